package validate

import (
	"fmt"
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

func headers(pairs ...string) []HeaderInput {
	var out []HeaderInput
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, HeaderInput{Name: pairs[i], Value: pairs[i+1]})
	}
	return out
}

func manyHeaders(n int) []HeaderInput {
	var out []HeaderInput
	for i := range n {
		out = append(out, HeaderInput{Name: fmt.Sprintf("X-H%d", i), Value: "v"})
	}
	return out
}

var headerCases = []struct {
	name    string
	in      []HeaderInput
	want    []apikey.Header
	wantErr string
}{
	{name: "none"},
	{name: "blank rows skipped", in: headers("", "", " ", " ")},
	{name: "plain", in: headers(" X-Shop ", " blue \n"), want: []apikey.Header{{Name: "X-Shop", Value: "blue"}}},
	{name: "excluded kept", in: []HeaderInput{{Name: "X-Debug", Excluded: true}}, want: []apikey.Header{{Name: "X-Debug", Excluded: true}}},
	{name: "excluded on a blank row", in: []HeaderInput{{Name: "X-A", Value: "1"}, {Excluded: true}}, wantErr: "Header 2: Excluded is ticked on an empty row"},
	{name: "tab and unicode in value", in: headers("X-Note", "a\tb ☕"), want: []apikey.Header{{Name: "X-Note", Value: "a\tb ☕"}}},
	{name: "every token character", in: headers("!#$%&'*+-.^_`|~09azAZ", "x"), want: []apikey.Header{{Name: "!#$%&'*+-.^_`|~09azAZ", Value: "x"}}},
	{
		name: "placeholders",
		in:   headers("X-Key", "${key.name} ${key.id} ${account.name} ${result.count}/${result.limit}/${result.offset} $ {} $x"),
		want: []apikey.Header{{Name: "X-Key", Value: "${key.name} ${key.id} ${account.name} ${result.count}/${result.limit}/${result.offset} $ {} $x"}},
	},
	{name: "20 headers", in: manyHeaders(20), want: func() []apikey.Header {
		var out []apikey.Header
		for _, h := range manyHeaders(20) {
			out = append(out, apikey.Header{Name: h.Name, Value: h.Value})
		}
		return out
	}()},
	{name: "21 headers", in: manyHeaders(21), wantErr: "at most 20 response headers; there are 21"},
	{name: "no name", in: headers("", "x"), wantErr: "Header 1: enter a header name."},
	{name: "space in name", in: headers("X Shop", "x"), wantErr: "Header 1 “X Shop”: a header name may only use letters, digits"},
	{name: "colon in name", in: headers("X-Shop:", "x"), wantErr: "may only use letters, digits"},
	{name: "non-ASCII name", in: headers("X-Café", "x"), wantErr: "may only use letters, digits"},
	{name: "long name", in: headers("X-"+strings.Repeat("a", 63), "x"), wantErr: "at most 64 characters"},
	{name: "reserved", in: headers("x", "1", "Set-Cookie", "a=b"), wantErr: "Header 2 “Set-Cookie”: this header is reserved"},
	{name: "reserved any case", in: headers("content-LENGTH", "1"), wantErr: "reserved"},
	{name: "reserved prefix Access-Control-", in: headers("Access-Control-Allow-Origin", "*"), wantErr: "reserved"},
	{name: "reserved prefix Sec-", in: headers("sec-fetch-site", "none"), wantErr: "reserved"},
	{name: "caching is reserved", in: headers("Cache-Control", "public, max-age=3600"), wantErr: "reserved"},
	{name: "browser protection is reserved", in: headers("X-Content-Type-Options", "none"), wantErr: "reserved"},
	{name: "reserved prefix Cross-Origin-", in: headers("Cross-Origin-Resource-Policy", "cross-origin"), wantErr: "reserved"},
	{name: "duplicate", in: headers("X-A", "1", "x-a", "2"), wantErr: "Header 2 “x-a”: same name as header 1."},
	{name: "long value", in: headers("X-A", strings.Repeat("a", 1025)), wantErr: "longer than 1024 bytes"},
	{name: "long multibyte value", in: headers("X-A", strings.Repeat("é", 513)), wantErr: "longer than 1024 bytes"},
	{name: "CRLF in value", in: headers("X-A", "a\r\nSet-Cookie: x=1"), wantErr: "remove line breaks and other control characters"},
	{name: "NUL in value", in: headers("X-A", "a\x00b"), wantErr: "control characters"},
	{name: "DEL in value", in: headers("X-A", "a\x7fb"), wantErr: "control characters"},
	{name: "invalid UTF-8", in: headers("X-A", "a\xffb"), wantErr: "not valid UTF-8"},
	{name: "unknown placeholder", in: headers("X-A", "id ${key.secret}"), wantErr: "unknown placeholder “${key.secret}”; use ${key.name}"},
	{name: "empty placeholder", in: headers("X-A", "${}"), wantErr: "unknown placeholder “${}”"},
	{name: "unclosed placeholder", in: headers("X-A", "hi ${key.name"), wantErr: "the placeholder “${key.name” is not closed"},
	{name: "second placeholder unknown", in: headers("X-A", "${key.id}${oops}"), wantErr: "unknown placeholder “${oops}”"},
	{
		name:    "several bad headers",
		in:      headers("Host", "x", "X-Ok", "1", "X Y", "2"),
		wantErr: "Header 1 “Host”: this header is reserved because it controls HTTP itself or security; choose another name. Header 3 “X Y”: a header name",
	},
}

func TestResponseHeaders(t *testing.T) {
	for _, c := range headerCases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := ResponseHeaders(c.in)
			checkMsg(t, msg, c.wantErr)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestReservedHeaders(t *testing.T) {
	for _, name := range []string{
		"Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive",
		"Upgrade", "Host", "Trailer", "TE", "Proxy-Authenticate", "Proxy-Authorization", "Set-Cookie", "Cookie",
		"Authorization", "WWW-Authenticate", "X-Api-Key", "Content-Security-Policy", "Strict-Transport-Security",
		"Location", "Date", "Retry-After", "Access-Control-Allow-Origin", "Sec-WebSocket-Key",
	} {
		for _, n := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
			_, msg := ResponseHeaders(headers(n, "x"))
			checkMsg(t, msg, "“"+n+"”: this header is reserved")
		}
	}
}
