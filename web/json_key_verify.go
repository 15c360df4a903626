package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/internal/verify"
)

// verifyAnswer is what POST /api/v1/keys/verify always answers (200), with
// every field present: the key's id, account, roles and expiry for a valid
// key, null (and no roles) for a refusal, which says nothing of the key.
type verifyAnswer struct {
	Valid     bool       `json:"valid"`
	Code      string     `json:"code"`
	KeyID     *string    `json:"key_id"`
	AccountID *string    `json:"account_id"`
	Roles     []string   `json:"roles"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// jsonKeyVerify lets another service check a client's key through the same
// path the API itself uses. The caller's key needs the advanced permission
// "verify"; a key the caller may not see is answered NOT_FOUND, exactly as
// an unknown one, so nothing is learnt about other accounts.
func (s *Server) jsonKeyVerify(c echo.Context) error {
	caller := apiKeyOf(c)
	if caller == nil || !slices.Contains(caller.AdvancedPermissions, apikey.AdvancedVerify) {
		return apiErr(http.StatusForbidden, "FORBIDDEN", "This API key lacks the advanced permission \"verify\".")
	}
	body := &c.(*visitContext).verifyBody // the secret goes with the context's reset
	if err := decodeJSON(c, body); err != nil {
		return err
	}
	// A missing key is answered like an unknown one; only a malformed
	// address is the caller's mistake to fix.
	ip, msg := validate.ClientIP(body.ClientIP)
	if msg != "" {
		return validationError(map[string]string{"client_ip": msg})
	}
	res, err := s.verify(c, verify.Request{Secret: body.Key, ClientIP: ip, AccountID: body.AccountID})
	if err != nil {
		return err
	}
	code := res.Code
	if res.Key != nil {
		visible, err := s.callerSees(c, res.Key)
		if err != nil {
			return err
		}
		if !visible {
			code = verify.NotFound
		}
	}
	var out []byte
	if code == verify.Valid {
		// Made once a key's load and kept with it: with keys in rotation,
		// the key's strings and roles each cost a cache miss to copy.
		out = res.Memo.Bytes(res.Key, appendValidAnswer)
	} else {
		out = refusedAnswers[code]
	}
	s.applyKeyHeaders(c, nil)
	c.(*visitContext).verifyCode = code
	return writeJSONBytes(c, http.StatusOK, out)
}

// appendValidAnswer appends the answer for valid key k, with its newline.
func appendValidAnswer(b []byte, k *apikey.Key) []byte {
	// On the stack, as ans is: appendJSON keeps neither.
	var roles [8]string
	ans := verifyAnswer{Valid: true, Code: verify.Valid, KeyID: &k.ID, AccountID: &k.AccountID, Roles: roles[:0], ExpiresAt: k.ExpiresAt}
	for _, g := range k.Roles {
		ans.Roles = append(ans.Roles, string(g.Role))
	}
	return append(ans.appendJSON(b), '\n')
}

// refusedAnswers are the answers of every code but Valid: they say nothing
// of the key, so each is the same whatever was asked.
var refusedAnswers = func() map[string][]byte {
	out := map[string][]byte{}
	for _, code := range verify.Codes[1:] {
		ans := verifyAnswer{Code: code, Roles: []string{}}
		out[code] = append(ans.appendJSON(nil), '\n')
	}
	return out
}()

// appendJSON is the answer as encoding/json writes it (a test holds them
// equal), without its reflection: this is the verification path.
func (a *verifyAnswer) appendJSON(b []byte) []byte {
	b = append(b, `{"valid":`...)
	b = strconv.AppendBool(b, a.Valid)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, a.Code)
	b = append(b, `,"key_id":`...)
	b = appendJSONStringOrNull(b, a.KeyID)
	b = append(b, `,"account_id":`...)
	b = appendJSONStringOrNull(b, a.AccountID)
	b = append(b, `,"roles":[`...)
	for i, r := range a.Roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r)
	}
	b = append(b, `],"expires_at":`...)
	if a.ExpiresAt == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = a.ExpiresAt.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	return append(b, '}')
}

func appendJSONStringOrNull(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString quotes s as encoding/json does: ids, codes and role
// names need no escaping and are copied; anything else goes through it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			// A copy goes to Marshal, so that s itself never escapes (nor
			// the answer's roles with it).
			q, _ := json.Marshal(strings.Clone(s))
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON marks the bytes a JSON string holds as they are, whichever
// way encoding/json escapes (it escapes <, > and & for HTML).
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// callerSees tells whether the verifying key may know of key k: k is in the
// caller's account or below it, or the caller's roles let it view k's
// account. A key used on behalf of a signed-in user (a user access token
// beside it) sees no further than that user may.
func (s *Server) callerSees(c echo.Context, k *apikey.Key) (bool, error) {
	// Verification loads the path with the key; read it only otherwise.
	path := k.AccountPath
	if len(path) == 0 {
		var err error
		if path, err = s.accounts.Path(c.Request().Context(), k.AccountID); err != nil {
			return false, err
		}
	}
	p := principalOf(c)
	if p.OnBehalfOf != nil && !p.OnBehalfOf.CanIn(apikey.ViewApiKey, path) {
		return false, nil
	}
	return p.CanIn(apikey.ViewApiKey, path) || slices.Contains(path, p.AccountID), nil
}
