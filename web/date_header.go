package web

import (
	"net/http"
	"sync/atomic"
	"time"
)

// dates is the Date header of the current second. net/http formats one for
// every answer that has none, about a twentieth of a verification's
// processor time under load; the API's answers, which take milliseconds,
// carry this one instead, formatted once a second.
var dates dateHeader

type dateHeader struct{ now atomic.Pointer[datedSecond] }

type datedSecond struct {
	unix  int64
	value []string // shared by every answer of the second: never changed
}

// at is the header's value for t.
func (d *dateHeader) at(t time.Time) []string {
	s := t.Unix()
	if x := d.now.Load(); x != nil && x.unix == s {
		return x.value
	}
	x := &datedSecond{unix: s, value: []string{t.UTC().Format(http.TimeFormat)}}
	d.now.Store(x)
	return x.value
}
