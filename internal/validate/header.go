package validate

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"keyconsole/internal/apikey"
)

// HeaderInput is one response header row as submitted.
type HeaderInput struct {
	Name, Value string
	Excluded    bool
}

const (
	MaxHeaders        = 20 // response headers a key may have
	maxHeaderNameLen  = 64
	maxHeaderValueLen = 1024
)

// reservedHeaders frame the HTTP message, decide caching, or carry security
// decisions; a key that set them could break every answer, let a secret be
// cached, or weaken the browser's protection.
var reservedHeaders = map[string]bool{
	"cache-control": true, "pragma": true, "expires": true, "age": true, "vary": true,
	"etag": true, "last-modified": true, "content-disposition": true, "content-range": true,
	"x-content-type-options": true, "x-frame-options": true, "referrer-policy": true,
	"permissions-policy": true, "x-xss-protection": true, "x-request-id": true,
	"content-length": true, "content-type": true, "content-encoding": true,
	"transfer-encoding": true, "connection": true, "keep-alive": true,
	"upgrade": true, "host": true, "trailer": true, "te": true,
	"proxy-authenticate": true, "proxy-authorization": true,
	"set-cookie": true, "cookie": true, "authorization": true,
	"www-authenticate": true, "x-api-key": true,
	"content-security-policy": true, "strict-transport-security": true,
	"location": true, "date": true, "retry-after": true,
}

var reservedHeaderPrefixes = []string{"access-control-", "sec-", "cross-origin-", "content-security-policy"}

// ReservedHeader tells whether a key may not set the header name: checked
// when a key is saved, and again when its headers are added to an answer,
// for keys saved before a name was reserved.
func ReservedHeader(name string) bool {
	lower := strings.ToLower(name)
	return reservedHeaders[lower] || slices.ContainsFunc(reservedHeaderPrefixes, func(p string) bool { return strings.HasPrefix(lower, p) })
}

// placeholders may appear in a value as ${name}; the server fills them in.
var placeholders = []string{"key.name", "key.id", "account.name", "result.count", "result.limit", "result.offset"}

// ResponseHeaders checks the headers added to API answers made with a key.
// Rows with neither name nor value are skipped (the empty row of a form).
// Every bad header is reported at once, numbered as the person sees them.
func ResponseHeaders(in []HeaderInput) ([]apikey.Header, string) {
	var out []apikey.Header
	var problems []string
	seen := map[string]int{}
	for i, h := range in {
		name, value := strings.TrimSpace(h.Name), strings.TrimSpace(h.Value)
		if name == "" && value == "" {
			if h.Excluded {
				// A tick on an empty row would be dropped unseen.
				problems = append(problems, fmt.Sprintf("Header %d: Excluded is ticked on an empty row; enter the header or untick Excluded.", i+1))
			}
			continue
		}
		reason := headerName(name)
		if first, dup := seen[strings.ToLower(name)]; reason == "" && dup {
			reason = fmt.Sprintf("same name as header %d", first)
		}
		if reason == "" {
			reason = headerValue(value)
		}
		if reason != "" {
			label := fmt.Sprintf("Header %d", i+1)
			if name != "" {
				label += " " + quote(name)
			}
			problems = append(problems, label+": "+reason+".")
			continue
		}
		seen[strings.ToLower(name)] = i + 1
		out = append(out, apikey.Header{Name: name, Value: value, Excluded: h.Excluded})
	}
	if len(problems) > 0 {
		return nil, strings.Join(problems, " ")
	}
	if len(out) > MaxHeaders {
		return nil, fmt.Sprintf("Add at most %d response headers; there are %d.", MaxHeaders, len(out))
	}
	return out, ""
}

func headerName(name string) string {
	switch {
	case name == "":
		return "enter a header name"
	case strings.IndexFunc(name, notTokenChar) >= 0:
		return "a header name may only use letters, digits and ! # $ % & ' * + - . ^ _ ` | ~"
	case len(name) > maxHeaderNameLen:
		return fmt.Sprintf("a header name has at most %d characters", maxHeaderNameLen)
	case ReservedHeader(name):
		return "this header is reserved because it controls HTTP itself or security; choose another name"
	}
	return ""
}

// notTokenChar is the complement of RFC 7230's tchar.
func notTokenChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

func headerValue(v string) string {
	switch {
	case !utf8.ValidString(v):
		return "the value is not valid UTF-8 text"
	case len(v) > maxHeaderValueLen:
		return fmt.Sprintf("the value is longer than %d bytes", maxHeaderValueLen)
	case strings.IndexFunc(v, func(r rune) bool { return r != '\t' && unicode.Is(unicode.Cc, r) }) >= 0:
		// A line break here would let the value start a header of its own.
		return "remove line breaks and other control characters from the value"
	}
	return placeholderProblem(v)
}

// placeholderProblem finds the first ${...} that is not a known placeholder.
func placeholderProblem(v string) string {
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			return ""
		}
		v = v[i+2:]
		j := strings.IndexByte(v, '}')
		if j < 0 {
			return fmt.Sprintf("the placeholder %s is not closed; add }", quote("${"+v))
		}
		if name := v[:j]; !slices.Contains(placeholders, name) {
			known := make([]string, len(placeholders))
			for k, p := range placeholders {
				known[k] = "${" + p + "}"
			}
			return fmt.Sprintf("unknown placeholder %s; use %s", quote("${"+name+"}"), oneOf(known))
		}
		v = v[j+1:]
	}
}
