package web

import (
	"net/http"
	"slices"
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
	var body struct {
		Key       string `json:"key"`
		ClientIP  string `json:"client_ip"`
		AccountID string `json:"account_id"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	// A missing key is answered like an unknown one; only a malformed
	// address is the caller's mistake to fix.
	ip, msg := validate.ClientIP(body.ClientIP)
	if msg != "" {
		return validationError(map[string]string{"client_ip": msg})
	}
	ctx := c.Request().Context()
	res, err := s.verify(ctx, verify.Request{Secret: body.Key, ClientIP: ip, AccountID: body.AccountID})
	if err != nil {
		return err
	}
	ans := verifyAnswer{Code: res.Code, Roles: []string{}}
	if res.Key != nil {
		visible, err := s.callerSees(c, res.Key)
		if err != nil {
			return err
		}
		if !visible {
			ans.Code = verify.NotFound
		}
	}
	if ans.Code == verify.Valid {
		k := res.Key
		ans.Valid, ans.KeyID, ans.AccountID, ans.ExpiresAt = true, &k.ID, &k.AccountID, k.ExpiresAt
		for _, g := range k.Roles {
			ans.Roles = append(ans.Roles, string(g.Role))
		}
	}
	return s.apiJSON(c, http.StatusOK, ans, nil)
}

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
