package web

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// inFlight counts the requests being answered, by method and route, so
// that a drain that runs out of time can say what it cut off. The map is
// made once from the routes and only read after: the verification path
// pays a look-up and two atomic adds, and allocates nothing.
type inFlight struct {
	counts    map[routeKey]*atomic.Int64
	unmatched atomic.Int64
}

type routeKey struct{ method, route string }

func newInFlight(routes []*echo.Route) *inFlight {
	f := &inFlight{counts: make(map[routeKey]*atomic.Int64, len(routes))}
	for _, r := range routes {
		f.counts[routeKey{r.Method, r.Path}] = new(atomic.Int64)
	}
	return f
}

func (f *inFlight) counter(method, route string) *atomic.Int64 {
	if n := f.counts[routeKey{method, route}]; n != nil {
		return n
	}
	return &f.unmatched
}

// String lists the requests in flight, as "2 × POST /api/v1/keys".
func (f *inFlight) String() string {
	var out []string
	for k, n := range f.counts {
		if v := n.Load(); v > 0 {
			out = append(out, fmt.Sprintf("%d × %s %s", v, k.method, k.route))
		}
	}
	sort.Strings(out)
	if v := f.unmatched.Load(); v > 0 {
		out = append(out, fmt.Sprintf("%d unmatched", v))
	}
	return strings.Join(out, ", ")
}
