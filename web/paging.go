package web

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/web/view"
)

// pageParam is the page a list was asked for, counted from 1.
func pageParam(c echo.Context) int {
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		return n
	}
	return 1
}

// pageBounds are the bounds, within n items, of the page-th page of per;
// empty past the last.
func pageBounds(n, page, per int) (from, to int) {
	from = min((page-1)*per, n)
	return from, min(from+per, n)
}

// pagesOf is where page stands among n items shown per a page, with links
// to the pages beside it, and the bounds of its items.
func pagesOf(n, page, per int, link func(page int) string) (p view.Pages, from, to int) {
	from, to = pageBounds(n, page, per)
	p = view.Pages{Total: n, From: from + 1, To: to}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if to < n {
		p.NextURL = link(page + 1)
	}
	return p, from, to
}

// pageLink makes the links of a list's pages: action with the fields of
// keep, the search q and the page, each only when set.
func pageLink(action string, keep []view.Field, q string) func(page int) string {
	return func(page int) string {
		if v := linkValues(keep, q, page); len(v) > 0 {
			return action + "?" + v.Encode()
		}
		return action
	}
}

func linkValues(keep []view.Field, q string, page int) url.Values {
	v := url.Values{}
	for _, f := range keep {
		if f.Value != "" {
			v.Set(f.Name, f.Value)
		}
	}
	if q != "" {
		v.Set("q", q)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}
