package logfmt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// The handler writes, byte for byte, what slog's TextHandler writes, for
// every kind of value, awkward strings, groups and derived handlers.
func TestSameAsTextHandler(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "plain", "two words", "k=v", `q"uote`, `back\slash`, "tab\there", "line\nbreak",
		"µs", "é", "\u2028", "\x7f", "\x00", "\xff", "日本", "\u00a0", "#", "-", "/api/v1/keys/verify"}
	str := func() string {
		s := ""
		for range rng.IntN(3) + 1 {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	at := time.Date(2026, 12, 2, 3, 48, 53, 437_123_456, time.UTC)
	values := func() slog.Value {
		switch rng.IntN(12) {
		case 0:
			return slog.StringValue(str())
		case 1:
			return slog.Int64Value(rng.Int64N(1e12) - 5e11)
		case 2:
			return slog.Uint64Value(rng.Uint64())
		case 3:
			return slog.BoolValue(rng.IntN(2) == 0)
		case 4:
			return slog.Float64Value(rng.Float64() * 1e6)
		case 5:
			return slog.DurationValue(time.Duration(rng.Int64N(1e12)))
		case 6:
			return slog.TimeValue(at.Add(time.Duration(rng.Int64N(1e15))).In(time.FixedZone("", 3600*(rng.IntN(5)-2))))
		case 7:
			return slog.AnyValue(errors.New(str()))
		case 8:
			return slog.AnyValue(netip.MustParseAddr("10.1.2.3")) // a TextMarshaler
		case 9:
			return slog.AnyValue([]byte(str()))
		case 10:
			return slog.GroupValue(slog.String(str(), str()), slog.Int("n", 3))
		default:
			return slog.AnyValue(struct{ A, B string }{str(), str()})
		}
	}
	for i := range 3000 {
		var want, got bytes.Buffer
		th := slog.Handler(slog.NewTextHandler(&want, nil))
		lh := slog.Handler(New(&got, nil))
		if i%3 == 0 {
			as := []slog.Attr{slog.String(str(), str()), slog.Any("v", values())}
			th, lh = th.WithAttrs(as), lh.WithAttrs(as)
		}
		// An empty group name is left out (slog.Logger never passes one;
		// TextHandler would write keys starting with ".").
		if g := str(); i%4 == 0 && g != "" {
			th, lh = th.WithGroup(g), lh.WithGroup(g)
		}
		r := slog.NewRecord(at.Add(time.Duration(i)*time.Millisecond), slog.Level(rng.IntN(20)-8), str(), 0)
		if i%7 == 0 {
			r.Time = time.Time{}
		}
		for range rng.IntN(8) {
			r.AddAttrs(slog.Attr{Key: str(), Value: values()})
		}
		if i%5 == 0 {
			r.AddAttrs(slog.Attr{}, slog.Group("empty"))
		}
		if err := th.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := lh.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("record %d:\n got %q\nwant %q", i, got.String(), want.String())
		}
	}
}

func TestLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := slog.New(New(&buf, slog.LevelWarn))
	l.Info("hidden")
	l.Warn("shown")
	if s := buf.String(); bytes.Contains(buf.Bytes(), []byte("hidden")) || !bytes.Contains([]byte(s), []byte("msg=shown")) {
		t.Fatalf("got %q", s)
	}
}

// BenchmarkRequestLine is the request log's line, here and in TextHandler.
func BenchmarkRequestLine(b *testing.B) {
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"logfmt", New(io.Discard, nil)}, {"TextHandler", slog.NewTextHandler(io.Discard, nil)}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				r.AddAttrs(slog.String("method", "POST"), slog.String("route", "/api/v1/keys/verify"), slog.Int("status", 200),
					slog.Duration("duration", 6349*time.Nanosecond), slog.Int64("bytes", 137))
				h.h.Handle(context.Background(), r)
			}
		})
	}
}
