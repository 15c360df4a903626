package web

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/shards"
)

// inFlight counts the requests being answered, by method and route, so
// that a drain that runs out of time can say what it cut off. Each
// processor counts in a shard of its own (package shards): a request adds
// one to its context's shard as it begins and takes it off as it ends, and
// a drain sums the shards. The routes' places are fixed once from the
// routes: the verification path pays a look-up and two adds on its own
// processor, and allocates nothing.
type inFlight struct {
	places map[routeKey]int // a route's counter in a shard; len(routes): unmatched
	routes []routeKey       // by place
	shards shards.Set[[]atomic.Int64]
}

type routeKey struct{ method, route string }

func newInFlight(routes []*echo.Route) *inFlight {
	f := &inFlight{places: make(map[routeKey]int, len(routes))}
	for _, r := range routes {
		k := routeKey{r.Method, r.Path}
		if _, ok := f.places[k]; !ok {
			f.places[k] = len(f.routes)
			f.routes = append(f.routes, k)
		}
	}
	n := len(f.routes) + 1
	f.shards.New = func() *[]atomic.Int64 { counts := make([]atomic.Int64, n); return &counts }
	return f
}

// place is where method and route are counted.
func (f *inFlight) place(method, route string) int {
	if i, ok := f.places[routeKey{method, route}]; ok {
		return i
	}
	return len(f.routes)
}

// String lists the requests in flight, as "2 × POST /api/v1/keys".
func (f *inFlight) String() string {
	sums := make([]int64, len(f.routes)+1)
	f.shards.Each(func(counts *[]atomic.Int64) {
		for i := range *counts {
			sums[i] += (*counts)[i].Load()
		}
	})
	var out []string
	for i, k := range f.routes {
		if sums[i] > 0 {
			out = append(out, fmt.Sprintf("%d × %s %s", sums[i], k.method, k.route))
		}
	}
	sort.Strings(out)
	if v := sums[len(f.routes)]; v > 0 {
		out = append(out, fmt.Sprintf("%d unmatched", v))
	}
	return strings.Join(out, ", ")
}
