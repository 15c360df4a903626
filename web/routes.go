package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
)

// goTo answers a GET of a post-only address with the page its form is
// on, so that the address of a refused post can be reloaded.
func goTo(where func(echo.Context) string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, where(c)) }
}

// routes lists every route of the console in one place, each with who may use it.
func (s *Server) routes() {
	e := s.echo

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if !s.metricsApart {
		e.GET("/metrics", s.metrics.handler())
	}
	// Files and pages go compressed when the client asks (compressed).
	e.GET("/static/*", compressed(staticFiles()))
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/security/api-keys") })

	// Before sign-in: a visit (for the CSRF token), no user.
	public := func(method, path string, h echo.HandlerFunc) {
		e.Add(method, path, compressed(chain(h, s.loadVisit, s.checkCSRF)))
	}
	public(http.MethodGet, "/login", s.loginForm)
	public(http.MethodPost, "/login", s.login)
	public(http.MethodPost, "/logout", s.logout)
	// Every form's address answers a GET (post/redirect/get): after a
	// refused post the address bar holds a page, not a post to repeat.
	public(http.MethodGet, "/logout", goTo(func(echo.Context) string { return "/" }))

	// The signed-in user's own password: open to a user who must change it.
	own := func(method, path string, h echo.HandlerFunc) {
		e.Add(method, path, compressed(chain(h, s.loadVisit, s.requireUser, s.checkCSRF)))
	}
	own(http.MethodGet, passwordPath, s.passwordForm)
	own(http.MethodPost, passwordPath, s.passwordChange)

	// Console pages: a signed-in user holding the permission, with a
	// password of their own.
	guarded := func(h echo.HandlerFunc, p apikey.Permission) echo.HandlerFunc {
		return chain(h, s.loadVisit, s.requireUser, s.requirePasswordChosen, s.checkCSRF, s.require(p))
	}
	console := func(method, path string, h echo.HandlerFunc, p apikey.Permission) {
		e.Add(method, path, compressed(guarded(h, p)))
	}
	// The answers that show a new secret, once, go uncompressed: their
	// length must not depend on how the secret compresses beside anything
	// else in them (BREACH).
	showsSecret := func(method, path string, h echo.HandlerFunc, p apikey.Permission) {
		e.Add(method, path, guarded(h, p))
	}
	console(http.MethodGet, "/security/api-keys", s.apiKeyList, apikey.ViewApiKey)
	console(http.MethodGet, "/security/api-keys/new", s.apiKeyNew, apikey.ModifyApiKey)
	console(http.MethodGet, "/security/api-keys/test", s.apiKeyTestForm, apikey.ViewApiKey)
	console(http.MethodPost, "/security/api-keys/test", s.apiKeyTest, apikey.ViewApiKey)
	showsSecret(http.MethodPost, "/security/api-keys", s.apiKeyCreate, apikey.ModifyApiKey)
	// The add form posts to its own address.
	showsSecret(http.MethodPost, "/security/api-keys/new", s.apiKeyCreate, apikey.ModifyApiKey)
	// Bulk actions: the keys service checks each key (support is refused
	// per key, not at the door).
	console(http.MethodGet, bulkPath, s.apiKeyBulk, apikey.ViewApiKey)
	console(http.MethodPost, bulkPath, s.apiKeyBulk, apikey.ViewApiKey)
	console(http.MethodGet, "/security/api-keys/:id", s.apiKeyShow, apikey.ViewApiKey)
	console(http.MethodGet, "/security/api-keys/:id/edit", s.apiKeyEdit, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/:id", s.apiKeySave, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/:id/edit", s.apiKeySave, apikey.ModifyApiKey)
	// Support may regenerate Chrome keys: the keys service decides per key.
	console(http.MethodGet, "/security/api-keys/:id/regenerate", s.apiKeyRegenerateConfirm, apikey.ViewApiKey)
	showsSecret(http.MethodPost, "/security/api-keys/:id/regenerate", s.apiKeyRegenerate, apikey.ViewApiKey)
	console(http.MethodGet, "/security/api-keys/:id/move", s.apiKeyMoveForm, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/:id/move", s.apiKeyMove, apikey.ModifyApiKey)
	// A GET of a change that asks first shows the question; the post acts
	// only with its confirm field.
	console(http.MethodGet, "/security/api-keys/:id/activate", s.apiKeyActivate, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/:id/activate", s.apiKeyActivate, apikey.ModifyApiKey)
	console(http.MethodGet, "/security/api-keys/:id/deactivate", s.apiKeyDeactivate, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/:id/deactivate", s.apiKeyDeactivate, apikey.ModifyApiKey)
	console(http.MethodGet, "/security/api-keys/:id/delete", s.apiKeyDeleteConfirm, apikey.DeleteApiKey)
	console(http.MethodPost, "/security/api-keys/:id/delete", s.apiKeyDelete, apikey.DeleteApiKey)
	console(http.MethodDelete, "/security/api-keys/:id", s.apiKeyDelete, apikey.DeleteApiKey)

	// Support may end the grace period of Chrome keys it regenerated.
	console(http.MethodGet, "/security/api-keys/:id/end-grace", goTo(func(c echo.Context) string { return keyURL(c.Param("id")) }), apikey.ViewApiKey)
	console(http.MethodPost, "/security/api-keys/:id/end-grace", s.apiKeyEndGrace, apikey.ViewApiKey)

	endpoints := goTo(func(c echo.Context) string { return keyURL(c.Param("id")) + "?tab=endpoints" })
	console(http.MethodGet, "/security/api-keys/:id/endpoints/:endpoint/trust", endpoints, apikey.ViewApiKey)
	console(http.MethodPost, "/security/api-keys/:id/endpoints/:endpoint/trust", s.apiKeyEndpointTrust, apikey.ModifyApiKey)
	console(http.MethodGet, "/security/api-keys/:id/endpoints/:endpoint/distrust", endpoints, apikey.ViewApiKey)
	console(http.MethodPost, "/security/api-keys/:id/endpoints/:endpoint/distrust", s.apiKeyEndpointDistrust, apikey.ModifyApiKey)

	console(http.MethodGet, "/security/api-keys/predefined/deactivate", s.predefinedDeactivate, apikey.ModifyApiKey)
	console(http.MethodPost, "/security/api-keys/predefined/deactivate", s.predefinedDeactivate, apikey.ModifyApiKey)

	console(http.MethodGet, "/security/audit", s.auditLog, apikey.ViewAudit)
	console(http.MethodGet, "/security/audit.csv", s.auditCSV, apikey.ViewAudit)

	console(http.MethodGet, "/accounts", s.accountList, apikey.ViewApiKey)
	console(http.MethodGet, "/accounts/switch", s.accountSwitch, apikey.ViewApiKey)
	console(http.MethodGet, "/accounts/choices", s.accountChoices, apikey.ViewApiKey)
	console(http.MethodPost, "/accounts", s.accountCreate, apikey.ManageUsers)
	console(http.MethodGet, "/accounts/:id/delete", s.accountDelete, apikey.ManageUsers)
	console(http.MethodPost, "/accounts/:id/delete", s.accountDelete, apikey.ManageUsers)
	console(http.MethodGet, "/accounts/:id/move", s.accountMoveForm, apikey.ManageUsers)
	console(http.MethodPost, "/accounts/:id/move", s.accountMove, apikey.ManageUsers)

	console(http.MethodGet, "/users", s.userList, apikey.ManageUsers)
	console(http.MethodGet, "/users/new", s.userNew, apikey.ManageUsers)
	console(http.MethodPost, "/users", s.userCreate, apikey.ManageUsers)
	console(http.MethodPost, "/users/new", s.userCreate, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id", s.userRoleForm, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id/role", s.userRoleForm, apikey.ManageUsers)
	console(http.MethodPost, "/users/:id/role", s.userRoleSave, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id/deactivate", s.userDeactivate, apikey.ManageUsers)
	console(http.MethodPost, "/users/:id/deactivate", s.userDeactivate, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id/activate", s.userActivate, apikey.ManageUsers)
	console(http.MethodPost, "/users/:id/activate", s.userActivate, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id/password", s.userPasswordForm, apikey.ManageUsers)
	console(http.MethodPost, "/users/:id/password", s.userPasswordReset, apikey.ManageUsers)
	console(http.MethodGet, "/users/:id/delete", s.userDelete, apikey.ManageUsers)
	console(http.MethodPost, "/users/:id/delete", s.userDelete, apikey.ManageUsers)

	// JSON API: authenticated by an API key, whose roles decide, and by a
	// user's access token where the key does not allow unauthenticated calls.
	// Never compressed: its answers carry new secrets and tokens.
	api := func(method, path string, h echo.HandlerFunc, p apikey.Permission) {
		e.Add(method, "/api/v1"+path, chain(onlyDocumentedParams(method, "/api/v1"+path, h), s.apiAuth, s.apiUser, s.apiRequire(p)))
	}
	// Signing a user in needs only the key.
	keyOnly := func(path string, h echo.HandlerFunc) {
		e.POST("/api/v1"+path, chain(onlyDocumentedParams(http.MethodPost, "/api/v1"+path, h), s.apiAuth))
	}
	keyOnly("/login", s.jsonLogin)
	keyOnly("/token/refresh", s.jsonRefresh)
	keyOnly("/logout", s.jsonLogout)
	e.GET("/api/v1/openapi.json", compressed(s.openAPI)) // public: the API's own description
	e.GET("/.well-known/jwks.json", s.jwks)
	e.GET("/.well-known/revoked-jwts.json", s.revokedJWTs)
	api(http.MethodGet, "/keys", s.jsonKeyList, apikey.ViewApiKey)
	api(http.MethodPost, "/keys", s.jsonKeyCreate, apikey.ModifyApiKey)
	api(http.MethodPost, "/keys/verify", s.jsonKeyVerify, "")            // the advanced permission "verify" decides
	api(http.MethodPost, "/keys/bulk", s.jsonKeyBulk, apikey.ViewApiKey) // the keys service decides per key
	api(http.MethodGet, "/keys/:id", s.jsonKeyGet, apikey.ViewApiKey)
	api(http.MethodPatch, "/keys/:id", s.jsonKeyUpdate, apikey.ModifyApiKey)
	api(http.MethodPost, "/keys/:id/regenerate", s.jsonKeyRegenerate, apikey.ViewApiKey) // the keys service decides per key
	api(http.MethodDelete, "/keys/:id", s.jsonKeyDelete, apikey.DeleteApiKey)
	api(http.MethodPost, "/keys/:id/move", s.jsonKeyMove, apikey.ModifyApiKey) // the keys service checks both accounts
	api(http.MethodGet, "/accounts", s.jsonAccountList, apikey.ViewApiKey)
	api(http.MethodPost, "/accounts", s.jsonAccountCreate, apikey.ManageUsers)
}
