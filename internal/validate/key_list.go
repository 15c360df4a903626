package validate

import (
	"slices"
	"strconv"
	"strings"

	"keyconsole/internal/apikey"
)

// KeyListInput is the list page's query as received.
type KeyListInput struct {
	Query, Type, Status, Sort, Page string
}

// KeyList is a clean list query.
type KeyList struct {
	Query  string
	Type   apikey.Type
	Status apikey.Status
	Sort   string
	Page   int
}

// maxSearchLen bounds the search text; longer input is cut, not refused.
const maxSearchLen = 100

// KeyListQuery cleans the list's query parameters. Unlike a form it refuses
// nothing: an unknown value falls back to its default, so an old or mangled
// link still shows a list.
func KeyListQuery(in KeyListInput) KeyList {
	out := KeyList{Query: strings.TrimSpace(strings.ToValidUTF8(in.Query, "")), Sort: apikey.SortByName, Page: 1}
	if r := []rune(out.Query); len(r) > maxSearchLen {
		out.Query = string(r[:maxSearchLen])
	}
	if t := apikey.Type(in.Type); slices.Contains(apikey.Types, t) {
		out.Type = t
	}
	if s := apikey.Status(in.Status); slices.Contains(apikey.Statuses, s) {
		out.Status = s
	}
	if slices.Contains(apikey.SortOrders, strings.TrimPrefix(in.Sort, "-")) {
		out.Sort = in.Sort
	}
	if n, err := strconv.Atoi(in.Page); err == nil && n >= 1 && n <= 1_000_000 {
		out.Page = n
	}
	return out
}
