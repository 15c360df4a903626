package web

import "unicode/utf8"

// verifyBody is what a verification asks; kept in the request's pooled
// context (visitContext), as decoding into a local would move it to the
// heap on every request.
type verifyBody struct {
	Key       string `json:"key"`
	ClientIP  string `json:"client_ip"`
	AccountID string `json:"account_id"`
}

// decodeFast reads the body nearly every verification sends, an object of
// these fields with plain string values, in a fraction of the general
// decoder's time. Anything else (escapes, other names or types, a name
// twice, invalid UTF-8) says false and takes the general decoder, with its
// errors: nothing is read here that it would refuse or read otherwise.
func (b *verifyBody) decodeFast(in []byte) bool {
	var out verifyBody
	var seen [3]bool
	i := skipJSONSpace(in, 0)
	if i == len(in) || in[i] != '{' {
		return false
	}
	i = skipJSONSpace(in, i+1)
	if i < len(in) && in[i] == '}' {
		*b = out
		return skipJSONSpace(in, i+1) == len(in)
	}
	for {
		name, j, ok := plainJSONString(in, i)
		if !ok {
			return false
		}
		if i = skipJSONSpace(in, j); i == len(in) || in[i] != ':' {
			return false
		}
		value, j, ok := plainJSONString(in, skipJSONSpace(in, i+1))
		if !ok {
			return false
		}
		var f int
		switch string(name) {
		case "key":
			f, out.Key = 0, string(value)
		case "client_ip":
			f, out.ClientIP = 1, string(value)
		case "account_id":
			f, out.AccountID = 2, string(value)
		default:
			return false
		}
		if seen[f] {
			return false
		}
		seen[f] = true
		if i = skipJSONSpace(in, j); i == len(in) {
			return false
		}
		if in[i] == '}' {
			break
		}
		if in[i] != ',' {
			return false
		}
		i = skipJSONSpace(in, i+1)
	}
	if skipJSONSpace(in, i+1) != len(in) {
		return false
	}
	*b = out
	return true
}

// plainJSONString is the content of the JSON string at in[i] when it has
// no escapes and no control characters and is valid UTF-8, and the index
// after it.
func plainJSONString(in []byte, i int) ([]byte, int, bool) {
	if i >= len(in) || in[i] != '"' {
		return nil, 0, false
	}
	ascii := true // then valid UTF-8 without a second look
	for j := i + 1; j < len(in); j++ {
		switch c := in[j]; {
		case c == '"':
			s := in[i+1 : j]
			return s, j + 1, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

func skipJSONSpace(in []byte, i int) int {
	for i < len(in) && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r') {
		i++
	}
	return i
}
