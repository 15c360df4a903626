package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// queryParams are the query parameters each operation of the JSON API
// takes, by method and Echo route ("GET /api/v1/keys/:id"), as the OpenAPI
// document states them: the document the API is tested against is also
// what decides which parameters it hears.
var queryParams = func() map[string][]string {
	type param struct{ Name, In string }
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	params := func(raw json.RawMessage) []param {
		var with struct{ Parameters []param }
		if err := json.Unmarshal(raw, &with); err != nil {
			panic("openapi.json: " + err.Error())
		}
		return with.Parameters
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	out := map[string][]string{}
	for path, item := range doc.Paths {
		route := strings.NewReplacer("{", ":", "}", "").Replace(path)
		// The path's own parameters (a list, not an object) apply to each
		// of its operations.
		var shared []param
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				panic("openapi.json: " + err.Error())
			}
		}
		for _, method := range []string{"get", "put", "post", "delete", "patch"} {
			raw, ok := item[method]
			if !ok {
				continue
			}
			names := []string{}
			for _, p := range slices.Concat(shared, params(raw)) {
				if p.In == "query" {
					names = append(names, p.Name)
				}
			}
			out[strings.ToUpper(method)+" "+route] = names
		}
	}
	return out
}()

// onlyDocumentedParams refuses, as a body's unknown fields are refused, a
// query parameter the operation does not take, one given twice, or a query
// that cannot be read: a mistyped parameter ("account" for "account_id")
// would otherwise be ignored and the request answered as if it were not
// there. An operation missing from the document stops the server's start.
func onlyDocumentedParams(method, route string, h echo.HandlerFunc) echo.HandlerFunc {
	names, ok := queryParams[method+" "+route]
	if !ok {
		panic(fmt.Sprintf("openapi.json does not describe %s %s", method, route))
	}
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" { // every request of the verification path
			return h(c)
		}
		if fields := queryErrors(raw, names); len(fields) > 0 {
			return validationError(fields)
		}
		return h(c)
	}
}

// queryErrors names what is wrong with query raw, for an operation taking
// names; empty when nothing is.
func queryErrors(raw string, names []string) map[string]string {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return map[string]string{"query": "The query string is not valid: escape its characters (%XX)."}
	}
	fields := map[string]string{}
	for name, vs := range values {
		if len(fields) == maxQueryErrors {
			break
		}
		switch {
		case len(names) == 0:
			fields[nameToRepeat(name, "query")] = "Unknown parameter: this operation takes no query parameters."
		case !slices.Contains(names, name):
			fields[nameToRepeat(name, "query")] = "Unknown parameter: this operation takes " + strings.Join(names, ", ") + "."
		case len(vs) > 1:
			fields[name] = "This parameter is given twice."
		}
	}
	return fields
}

// maxQueryErrors bounds the fields one refusal names: a query of thousands
// of unknown parameters gets a short answer.
const maxQueryErrors = 10

// nameToRepeat is the field an unknown name is reported under: the name
// itself where it looks like one (letters, digits, "_", "-", ".", shorter
// than any key's secret: 31 at most), else whole, so that the refusal
// never repeats a secret pasted where a name goes.
func nameToRepeat(name, whole string) string {
	if name == "" || len(name) > 31 {
		return whole
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return whole
		}
	}
	return name
}
