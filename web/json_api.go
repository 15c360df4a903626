package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/token"
	"keyconsole/internal/validate"
	"keyconsole/internal/verify"
)

// apiError is a JSON API refusal with the contract's code.
type apiError struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func validationError(fields map[string]string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "VALIDATION", Message: "Some fields are not valid.", Fields: fields}
}

// bodyError refuses a body that cannot be read at all: a VALIDATION error
// whose field is the body itself.
func bodyError(msg string) *apiError { return bodyErrorWith(http.StatusBadRequest, msg) }

// bodyErrorWith is bodyError with another status: 413 for a body too large,
// 415 for one of a kind the operation does not read.
func bodyErrorWith(status int, msg string) *apiError {
	return &apiError{Status: status, Code: "VALIDATION", Message: msg, Fields: map[string]string{"body": msg}}
}

// apiErrorFrom maps any error a handler returns to the contract's codes.
func apiErrorFrom(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var stale *apikey.StaleError
	if errors.As(err, &stale) {
		return apiErr(http.StatusConflict, "CONFLICT", apikey.ErrorMessage(err))
	}
	if f := apikey.ErrorField(err); f != "" {
		ae := validationError(map[string]string{f: apikey.ErrorMessage(err)})
		if apikey.ErrorCode(err) == apikey.ECONFLICT {
			ae.Status, ae.Code, ae.Message = http.StatusConflict, "CONFLICT", apikey.ErrorMessage(err)
		}
		return ae
	}
	status := statusOf(err)
	out := apiErr(status, apiCodeOf(status), messageOf(err, status))
	if out.Code == "VALIDATION" {
		out.Fields = map[string]string{"body": out.Message} // every VALIDATION names a field
	}
	return out
}

// refusals maps a failed verification of the caller's own key to an answer.
var refusals = map[string]*apiError{
	verify.NotFound:     apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "A valid API key is required in X-Api-Key or Authorization: Bearer."),
	verify.KeyInactive:  apiErr(http.StatusUnauthorized, "KEY_INACTIVE", "This API key is inactive."),
	verify.KeyExpired:   apiErr(http.StatusUnauthorized, "KEY_EXPIRED", "This API key has expired."),
	verify.IPNotAllowed: apiErr(http.StatusForbidden, "IP_NOT_ALLOWED", "This API key may not be used from this address."),
	verify.Forbidden:    apiErr(http.StatusForbidden, "FORBIDDEN", "This API key may not be used here."),
	verify.RateLimited:  apiErr(http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests with this API key; slow down."),
}

// apiAuth authenticates a JSON API request by its key, through the same
// verification other services use, and makes the key the request's principal.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secret := headerValue(c.Request().Header, "X-Api-Key")
		inBearer := secret == ""
		if inBearer {
			if auth := headerValue(c.Request().Header, echo.HeaderAuthorization); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
				secret = strings.TrimSpace(auth[7:])
			}
		}
		ip := clientAddr(c)
		res, err := s.judge(c, verify.Request{Secret: secret, ClientIP: ip})
		if err != nil {
			return err
		}
		if res.Code != verify.Valid {
			s.verifier.Record(res, res.Code, ip)
			if res.Code == verify.RateLimited {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(res.RetryAfter.Seconds(), 1)))))
			}
			return refusals[res.Code]
		}
		newAPIVisit(c, res.Key, inBearer)
		err = next(c)
		s.verifier.Record(res, usageCode(c, err), ip)
		return err
	}
}

// usageCode is how a request that its key opened counts in the key's usage:
// refused (401 or 403: no user, no permission) under its error's code,
// else accepted.
func usageCode(c echo.Context, err error) string {
	status, code := c.Response().Status, ""
	if err != nil {
		ae := apiErrorFrom(err)
		status, code = ae.Status, ae.Code
	}
	switch {
	case status != http.StatusUnauthorized && status != http.StatusForbidden:
		return verify.Valid
	case code == "":
		return apiCodeOf(status)
	}
	return code
}

// apiUser asks for a signed-in user's access token beside a key that does
// not allow unauthenticated requests. The key's roles still decide what
// may be done; the audit trail names the user too.
func (s *Server) apiUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := visitOf(c)
		k := v.key
		if k.AllowUnauthenticated {
			return next(c)
		}
		needToken := apiErr(http.StatusUnauthorized, "UNAUTHORIZED",
			"This key needs a signed-in user: send the key in X-Api-Key and the user's access token as Authorization: Bearer (POST /api/v1/login).")
		if v.keyInBearer {
			return needToken
		}
		auth := c.Request().Header.Get("Authorization")
		if len(auth) <= 7 || !strings.EqualFold(auth[:7], "bearer ") {
			return needToken
		}
		claims, err := s.tokens.Parse(c.Request().Context(), strings.TrimSpace(auth[7:]), token.KindUser)
		if err != nil || claims.KeyID != k.ID {
			return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The user's access token is expired, not valid or for another key: refresh it or sign in again.")
		}
		user, err := s.signin.User(c.Request().Context(), claims.Subject)
		if err != nil || !user.Active {
			return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The signed-in user no longer exists or is inactive.")
		}
		if claims.PasswordVersion != user.PasswordVersion || user.MustChangePassword {
			return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "The user's password changed since this token was issued: sign in again.")
		}
		live, err := s.signin.AccessTokenLive(c.Request().Context(), claims)
		if err != nil {
			return err
		}
		if !live {
			return apiErr(http.StatusUnauthorized, "UNAUTHORIZED", "This sign-in has ended (signed out, its refresh token reused, its endpoint distrusted or its user deactivated): sign in again.")
		}
		p := apikey.KeyPrincipal(k)
		p.Name, p.OnBehalfOf = k.Name+" ("+user.Username+")", apikey.UserPrincipal(user)
		v.principal = p
		return next(c)
	}
}

// apiRequire refuses a key whose roles lack permission p ("" leaves the
// decision to the handler).
func (s *Server) apiRequire(p apikey.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if who := principalOf(c); p != "" && !who.Can(p) {
				if who.OnBehalfOf != nil {
					return apiErr(http.StatusForbidden, "FORBIDDEN", fmt.Sprintf("The key and the signed-in user must both be allowed %s; one of them is not.", p))
				}
				return apiErr(http.StatusForbidden, "FORBIDDEN", fmt.Sprintf("This API key's roles do not grant %s.", p))
			}
			return next(c)
		}
	}
}

// clientAddr is the request's client address (see the server's IP extractor).
func clientAddr(c echo.Context) netip.Addr {
	a, _ := netip.ParseAddr(c.RealIP())
	return a.Unmap()
}

// errEmptyJSON is a request without a body where one was expected.
var errEmptyJSON = bodyError("The body is empty; send a JSON object.")

// errFormForJSON refuses a form sent where JSON is taken (curl -d sends
// one unless told otherwise).
var errFormForJSON = bodyErrorWith(http.StatusUnsupportedMediaType,
	"This operation takes a JSON object: send it with Content-Type: application/json.")

// decodeJSON reads a JSON body into v. Names are matched exactly; a name
// v does not have, or one given twice, is refused by name; so is anything
// after the object. It decodes with encoding/json/v2's implementation
// (three times faster than v1's Decoder, and on the verification path). A
// URL-encoded form is refused (415) rather than read as an empty body.
func decodeJSON(c echo.Context, v any) error {
	if r := c.Request(); r.ContentLength != 0 && isMediaType(headerValue(r.Header, echo.HeaderContentType), echo.MIMEApplicationForm) {
		// limitBody read it as a form already; it would look empty here.
		return errFormForJSON
	}
	buf := &c.(*visitContext).body
	buf.Reset()
	// The body comes capped at the server's limit (limitBody).
	if _, err := buf.ReadFrom(c.Request().Body); err != nil {
		return readBodyError(c, err)
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return errEmptyJSON
	}
	if f, ok := v.(interface{ decodeFast([]byte) bool }); ok && f.decodeFast(buf.Bytes()) {
		return nil
	}
	err := jsonv2.Unmarshal(buf.Bytes(), v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var semantic *jsonv2.SemanticError
	var syntax *jsontext.SyntacticError
	switch {
	case errors.As(err, &semantic) && semantic.JSONPointer == "":
		return bodyError("The body is not a JSON object.")
	case errors.Is(err, jsonv2.ErrUnknownName):
		return validationError(map[string]string{nameToRepeat(semantic.JSONPointer.LastToken(), "body"): "Unknown field."})
	case errors.As(err, &semantic):
		return validationError(map[string]string{fieldName(semantic.JSONPointer): "This field has the wrong type."})
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syntax):
		return validationError(map[string]string{fieldName(syntax.JSONPointer): "This field is given twice."})
	}
	return bodyError("The body is not valid JSON.")
}

// fieldName names the field at p as the forms do: "response_headers.name"
// for /response_headers/0/name (list positions left out).
func fieldName(p jsontext.Pointer) string {
	var names []string
	for tok := range p.Tokens() {
		if strings.Trim(tok, "0123456789") != "" {
			names = append(names, tok)
		}
	}
	return strings.Join(names, ".")
}

// listInfo fills the ${result.*} placeholders of list answers.
type listInfo struct{ count, limit, offset int }

// apiJSON writes a JSON answer with the caller key's response headers.
func (s *Server) apiJSON(c echo.Context, status int, body any, list *listInfo) error {
	s.applyKeyHeaders(c, list)
	return writeJSON(c, status, body)
}

var jsonContentType = []string{echo.MIMEApplicationJSON}

// writeJSON answers body as JSON. Echo's own JSON reads the query string
// (for ?pretty) and sets the header through the allocating Set; this is on
// the verification path.
func writeJSON(c echo.Context, status int, body any) error {
	res := c.Response()
	res.Header()[echo.HeaderContentType] = jsonContentType
	res.WriteHeader(status)
	return json.NewEncoder(res).Encode(body)
}

// writeJSONBytes answers JSON already encoded.
func writeJSONBytes(c echo.Context, status int, body []byte) error {
	res := c.Response()
	res.Header()[echo.HeaderContentType] = jsonContentType
	res.WriteHeader(status)
	_, err := res.Write(body)
	return err
}

// applyKeyHeaders adds the key's response headers, placeholders filled,
// unless marked excluded.
func (s *Server) applyKeyHeaders(c echo.Context, list *listInfo) {
	k := apiKeyOf(c)
	if k == nil || len(k.ResponseHeaders) == 0 {
		return
	}
	var accountName string
	for _, h := range k.ResponseHeaders {
		if h.Excluded || validate.ReservedHeader(h.Name) {
			continue
		}
		if strings.Contains(h.Value, "${account.name}") && accountName == "" {
			if a, err := s.accounts.Get(c.Request().Context(), k.AccountID); err == nil {
				accountName = a.Name
			}
		}
		c.Response().Header().Set(h.Name, fillPlaceholders(h.Value, k, accountName, list))
	}
}

func fillPlaceholders(v string, k *apikey.Key, accountName string, list *listInfo) string {
	count, limit, offset := "", "", ""
	if list != nil {
		count, limit, offset = strconv.Itoa(list.count), strconv.Itoa(list.limit), strconv.Itoa(list.offset)
	}
	return strings.NewReplacer(
		"${key.name}", headerSafe(k.Name), "${key.id}", k.ID, "${account.name}", headerSafe(accountName),
		"${result.count}", count, "${result.limit}", limit, "${result.offset}", offset,
	).Replace(v)
}

// headerSafe drops what may not stand in a header value (names are checked
// on the way in, but a placeholder brings them into a header).
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
