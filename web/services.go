package web

import (
	"context"
	"net/netip"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/keys"
	"keyconsole/internal/signin"
	"keyconsole/internal/token"
	"keyconsole/internal/validate"
	"keyconsole/internal/verify"
)

// What the server needs of each service, declared where it is used:
// cmd/keyconsole wires the implementations, and every change goes through
// a service that checks the actor's permission and writes the audit event.

// keyService changes and reads API keys (internal/keys).
type keyService interface {
	Get(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error)
	List(ctx context.Context, who apikey.Actor, accountID string, q apikey.KeyQuery) (apikey.KeyPage, error)
	ActivePredefined(ctx context.Context, who apikey.Actor, accountID string) ([]*apikey.Key, error)
	Attention(ctx context.Context, who apikey.Actor, accountID string, now time.Time) ([]apikey.AttentionCount, error)
	JWTOfflineLimit() time.Duration
	Endpoints(ctx context.Context, who apikey.Actor, id string) ([]apikey.Endpoint, error)
	Usage(ctx context.Context, who apikey.Actor, id, since string) ([]apikey.UsageCount, error)
	Addresses(ctx context.Context, who apikey.Actor, id, since string, n int) ([]apikey.AddressUse, error)
	Audit(ctx context.Context, who apikey.Actor, id string, limit int) ([]apikey.AuditEvent, error)
	Sync(ctx context.Context, who apikey.Actor, id string) (apikey.SyncStatus, error)
	CanRegenerate(ctx context.Context, p *apikey.Principal, k *apikey.Key, path []string) (bool, error)
	RegenerateAllowed(ctx context.Context, p *apikey.Principal, k *apikey.Key, path []string) error
	Create(ctx context.Context, who apikey.Actor, accountID string, s apikey.Settings, customSecret string) (*apikey.Key, string, error)
	Update(ctx context.Context, who apikey.Actor, id string, version int, s apikey.Settings) (*apikey.Key, bool, error)
	UpdateLatest(ctx context.Context, who apikey.Actor, id string, edit func(*apikey.Key) (apikey.Settings, error)) (*apikey.Key, bool, error)
	Regenerate(ctx context.Context, who apikey.Actor, id string, grace time.Duration, custom string) (*apikey.Key, string, error)
	EndGracePeriod(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error)
	SetActive(ctx context.Context, who apikey.Actor, id string, active bool) (*apikey.Key, error)
	Delete(ctx context.Context, who apikey.Actor, id string) (*apikey.Key, error)
	Move(ctx context.Context, who apikey.Actor, id string, version int, to string) (*apikey.Key, error)
	SetEndpointTrust(ctx context.Context, who apikey.Actor, id, endpointID string, trusted bool) (*apikey.Key, error)
	JWT(ctx context.Context, who apikey.Actor, id string) (*apikey.KeyJWT, error)
	DeactivatePredefined(ctx context.Context, who apikey.Actor, accountID string) ([]*apikey.Key, error)
	PlanBulk(ctx context.Context, who apikey.Actor, accountID string, req keys.BulkRequest) (keys.BulkResult, error)
	Bulk(ctx context.Context, who apikey.Actor, accountID string, req keys.BulkRequest) (keys.BulkResult, error)
}

// accountService changes and reads the account tree (internal/accounts).
type accountService interface {
	Get(ctx context.Context, id string) (*apikey.Account, error)
	List(ctx context.Context) ([]apikey.Account, error)
	Version(ctx context.Context) (int64, error)
	Path(ctx context.Context, id string) ([]string, error)
	Uses(ctx context.Context, ids []string) (map[string]apikey.AccountUse, error)
	Create(ctx context.Context, who apikey.Actor, name, parentID string) (*apikey.Account, error)
	Move(ctx context.Context, who apikey.Actor, id, parentID string) error
	Delete(ctx context.Context, who apikey.Actor, id string, confirmed bool) error
	Deletion(ctx context.Context, who apikey.Actor, id string) ([]*apikey.Key, error)
}

// userService changes and lists console users (internal/users).
type userService interface {
	Page(ctx context.Context, who apikey.Actor, q apikey.UserQuery) ([]*apikey.User, int, error)
	Create(ctx context.Context, who apikey.Actor, in validate.User) (*apikey.User, error)
	SetRole(ctx context.Context, who apikey.Actor, id string, role apikey.Role, accounts []string) error
	SetActive(ctx context.Context, who apikey.Actor, id string, active bool) error
	ResetPassword(ctx context.Context, who apikey.Actor, id, password string) error
	Delete(ctx context.Context, who apikey.Actor, id string) error
}

// auditService reads the audit trail (internal/auditlog).
type auditService interface {
	List(ctx context.Context, who apikey.Actor, q apikey.AuditQuery) ([]apikey.AuditEvent, int, error)
	ShortPartWindow(ctx context.Context, who apikey.Actor, q apikey.AuditQuery, newest int) (*time.Time, error)
	Export(ctx context.Context, who apikey.Actor, q apikey.AuditQuery, fn func(apikey.AuditEvent) error) error
	DeletedAccountNames(ctx context.Context, who apikey.Actor, ids []string) (map[string]string, error)
	LastCheck(ctx context.Context, who apikey.Actor) (apikey.AuditCheck, error)
}

// keyVerifier judges secrets (internal/verify).
type keyVerifier interface {
	Verify(ctx context.Context, req verify.Request) (verify.Result, error)
	Explain(ctx context.Context, req verify.Request) (verify.Result, error)
	Judge(ctx context.Context, req verify.Request) (verify.Result, error)
	Record(res verify.Result, code string, ip netip.Addr)
}

// tokenSigner signs and checks user access tokens and publishes the JWKS
// (internal/token).
type tokenSigner interface {
	Parse(ctx context.Context, raw, kind string) (*token.Claims, error)
	JWKS(ctx context.Context) ([]token.JWK, error)
	Revoked(ctx context.Context) ([]apikey.KeyJWT, error)
}

// signInService proves who people are (internal/signin).
type signInService interface {
	Password(ctx context.Context, typed, password, ip string) (*apikey.User, error)
	User(ctx context.Context, id string) (*apikey.User, error)
	StartSession(ctx context.Context, user *apikey.User, previous string) (string, error)
	SessionUser(ctx context.Context, id string) (*apikey.User, error)
	EndSession(ctx context.Context, id string) error
	ChangePassword(ctx context.Context, user *apikey.User, sessionID, ip, current, password, confirm string) (validate.Errors, error)
	SignIn(ctx context.Context, k *apikey.Key, username, password, ip, endpointID, endpointName, endpointSecret string) (signin.Tokens, error)
	AccessTokenLive(ctx context.Context, c *token.Claims) (bool, error)
	Refresh(ctx context.Context, k *apikey.Key, refresh string) (signin.Tokens, error)
	SignOut(ctx context.Context, k *apikey.Key, refresh string) error
}

// readiness answers readiness checks: whether the database can serve.
type readiness interface {
	Check(ctx context.Context) error
}
