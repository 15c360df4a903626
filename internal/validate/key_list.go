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
	Attention                       string
}

// KeyList is a clean list query.
type KeyList struct {
	Query  string
	Type   apikey.Type
	Status apikey.Status
	Sort   string
	Page   int
	// Attention is the attention rule whose keys the list is cut to.
	Attention apikey.Attention
	// Errors holds, by parameter, what was refused: only an attention
	// rule, which a link from the panel names; a list that quietly showed
	// all keys instead would look like a clean bill of health.
	Errors map[string]string
}

// maxSearchLen bounds the search text; longer input is cut, not refused.
const maxSearchLen = 100

// KeyListQuery cleans the list's query parameters. Unlike a form it refuses
// nearly nothing: an unknown value falls back to its default, so an old or
// mangled link still shows a list. An unknown attention rule is refused
// (Errors).
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
	if a := apikey.Attention(strings.TrimSpace(in.Attention)); slices.Contains(apikey.Attentions, a) {
		out.Attention = a
	} else if a != "" {
		out.Errors = map[string]string{"attention": "There is no attention filter " + strconv.Quote(truncate(string(a), 40)) +
			". Choose one of: " + attentionNames() + "."}
	}
	return out
}

// KeyListSelection cleans a list query that selects keys to act on (a
// bulk action's "all matching"): unlike the list's, an unknown type or
// status is refused rather than dropped, since acting on every key is
// not what a mistyped filter meant.
func KeyListSelection(in KeyListInput) KeyList {
	out := KeyListQuery(in)
	refuse := func(field, given string, kept bool, choices string) {
		if strings.TrimSpace(given) == "" || kept {
			return
		}
		if out.Errors == nil {
			out.Errors = map[string]string{}
		}
		out.Errors[field] = "There is no " + field + " " + strconv.Quote(truncate(given, 40)) + ". Choose one of: " + choices + "."
	}
	refuse("type", in.Type, out.Type != "", joinNames(apikey.Types))
	refuse("status", in.Status, out.Status != "", joinNames(apikey.Statuses))
	return out
}

func joinNames[T ~string](values []T) string {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

func attentionNames() string {
	return joinNames(apikey.Attentions)
}

// truncate cuts s to n characters, for echoing input back in a message.
func truncate(s string, n int) string {
	if r := []rune(strings.ToValidUTF8(s, "")); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
