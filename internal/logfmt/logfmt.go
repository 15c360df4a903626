// Package logfmt is a slog handler writing the lines slog's TextHandler
// writes (key=value, quoted where needed) at under half its cost, the
// record's making included (BenchmarkRequestLine: 480 ns against 692 ns in
// the last `make bench`): the console logs a line for every request,
// verifications included, and TextHandler was a fifth of a verification's
// processor time in the endpoint benchmark's profile.
// Options it does not take (ReplaceAttr, AddSource) are TextHandler's job.
package logfmt

import (
	"context"
	"encoding"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Handler writes one line per record to its writer.
type Handler struct {
	out    *output
	level  slog.Leveler
	attrs  []byte // WithAttrs, formatted: " k=v" each
	prefix string // WithGroup names, each followed by "."
}

// output is the writer and its lock, shared by handlers derived by With.
type output struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a handler writing to w records at level or above (nil: Info).
func New(w io.Writer, level slog.Leveler) *Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &Handler{out: &output{w: w}, level: level}
}

func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	bp := buffers.Get().(*[]byte)
	b := (*bp)[:0]
	sep := ""
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendTime(b, r.Time.Round(0))
		sep = " "
	}
	b = append(b, sep...)
	b = append(b, "level="...)
	b = appendString(b, r.Level.String())
	b = append(b, " msg="...)
	b = appendString(b, r.Message)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	b = append(b, '\n')
	h.out.mu.Lock()
	_, err := h.out.w.Write(b)
	h.out.mu.Unlock()
	if cap(b) <= 16<<10 { // a rare huge line is not kept
		*bp = b
		buffers.Put(bp)
	}
	return err
}

// appendAttr writes " key=value" as TextHandler does: values resolved,
// empty attributes and empty groups left out, groups' keys prefixed.
func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		as := a.Value.Group()
		if len(as) == 0 {
			return b
		}
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range as {
			b = appendAttr(b, prefix, g)
		}
		return b
	}
	b = append(b, ' ')
	switch {
	case prefix == "":
		b = appendString(b, a.Key)
	case !needsQuoting(prefix) && !needsQuoting(a.Key):
		b = append(append(b, prefix...), a.Key...)
	default: // quoted whole if either part needs it, as TextHandler does
		b = strconv.AppendQuote(b, prefix+a.Key)
	}
	b = append(b, '=')
	return appendValue(b, a.Value)
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return appendTime(b, v.Time())
	}
	x := v.Any()
	if tm, ok := x.(encoding.TextMarshaler); ok {
		data, err := tm.MarshalText()
		if err != nil {
			return appendString(b, "!ERROR:"+err.Error())
		}
		return appendString(b, string(data))
	}
	if bs, ok := x.([]byte); ok {
		return strconv.AppendQuote(b, string(bs))
	}
	return appendString(b, fmt.Sprintf("%+v", x))
}

// appendTime is RFC 3339 with exactly three digits of milliseconds, made
// as TextHandler makes it: RFC3339Nano has a fast path in package time,
// and a tenth of a millisecond added keeps its trailing zeros, the fourth
// digit then dropped.
func appendTime(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	b = t.Truncate(time.Millisecond).Add(time.Millisecond/10).AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// needsQuoting is TextHandler's rule: empty, or holding a space, '=', a
// character JSON would escape (but a backslash), or anything unprintable.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !plain[c] {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

var plain = func() (t [utf8.RuneSelf]bool) {
	for c := '!'; c <= 0x7f; c++ { // DEL too, as in TextHandler
		t[c] = c != '"' && c != '='
	}
	return t
}()
