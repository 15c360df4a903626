package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

// jsonKeyUpdate answers PATCH /api/v1/keys/:id: the fields the body names
// change, the others stay. A version to check comes from If-Match (412
// when someone saved since) or the body's "version" (409); without either
// the change applies to the key as it is, however often others save.
func (s *Server) jsonKeyUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	var body keyBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	match, matched, err := ifMatch(c)
	if err != nil {
		return err
	}
	who, err := apiActorWithReason(c, body.Reason)
	if err != nil {
		return err
	}
	edit := func(k *apikey.Key) (apikey.Settings, error) {
		fields := map[string]string{}
		// What GET answered may be sent back unchanged; changing it is refused.
		for name, changed := range map[string]bool{
			"name":         body.Name != nil && *body.Name != k.Name,
			"access_type":  body.AccessType != nil && *body.AccessType != string(k.AccessType),
			"custom_value": body.CustomValue != nil,
			"account_id":   body.AccountID != nil && *body.AccountID != k.AccountID,
		} {
			if changed {
				fields[name] = "This cannot change after the key is created."
			}
		}
		if fields["account_id"] != "" {
			fields["account_id"] = "Move a key with POST /api/v1/keys/" + k.ID + "/move."
		}
		if len(fields) > 0 {
			return apikey.Settings{}, validationError(fields)
		}
		settings, errs := validate.KeyEdit(body.overlay(keyInputFromKey(k)), k.ExpiresAt, s.now())
		if errs.Any() {
			return apikey.Settings{}, validationError(errs)
		}
		return settings, nil
	}
	var k *apikey.Key
	switch {
	case matched || body.Version != nil:
		version := match
		if !matched {
			version = *body.Version
		}
		if k, err = s.keys.Get(ctx, actor(c), c.Param("id")); err != nil {
			return err
		}
		var settings apikey.Settings
		if settings, err = edit(k); err != nil {
			return err
		}
		k, _, err = s.keys.Update(ctx, who, k.ID, version, settings)
		if err != nil && matched {
			return preconditionFailed(err)
		}
	default:
		k, _, err = s.keys.UpdateLatest(ctx, who, c.Param("id"), edit)
	}
	if err != nil {
		return err
	}
	setETag(c, k.Version)
	// As GET shows it: accounts the caller may not see stay unnamed.
	o, err := s.sightOf(c).keyOut(k, s.now())
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusOK, o, nil)
}

// ifMatch reads If-Match: one strong entity tag, a key's version as
// ETag gives it ("3"). "*" asks for nothing more than the key's being there.
func ifMatch(c echo.Context) (version int, given bool, err error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, false, nil
	}
	v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(h, `"`), `"`))
	if err != nil || v < 1 || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) {
		return 0, false, validationError(map[string]string{"If-Match": `Give the key's ETag as it was answered, for example "3".`})
	}
	return v, true, nil
}

// preconditionFailed turns a version conflict under If-Match into 412.
func preconditionFailed(err error) error {
	var stale *apikey.StaleError
	if errors.As(err, &stale) {
		return apiErr(http.StatusPreconditionFailed, "PRECONDITION_FAILED", apikey.ErrorMessage(err))
	}
	return err
}

// setETag gives a key's answer its version as an entity tag, for If-Match.
func setETag(c echo.Context, version int) {
	c.Response().Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
}
