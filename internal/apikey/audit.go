package apikey

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audit actions.
const (
	ActionKeyCreated     = "key.created"
	ActionKeyUpdated     = "key.updated"
	ActionKeyRegenerated = "key.regenerated"
	ActionKeyActivated   = "key.activated"
	ActionKeyDeactivated = "key.deactivated"
	ActionKeyDeleted     = "key.deleted"
	ActionKeyMoved       = "key.moved"
	ActionKeyGraceEnded  = "key.grace_ended"
	ActionEndpointTrust  = "key.endpoint_trusted"
	ActionEndpointDrop   = "key.endpoint_distrusted"

	ActionUserCreated     = "user.created"
	ActionUserRoleChanged = "user.role_changed"
	ActionUserActivated   = "user.activated"
	ActionUserDeactivated = "user.deactivated"
	ActionUserDeleted     = "user.deleted"
	ActionUserSignedIn    = "user.signed_in"
	ActionUserSignInFail  = "user.sign_in_failed"
	ActionUserSignInLock  = "user.sign_in_locked"
	ActionPasswordChanged = "user.password_changed"
	ActionPasswordReset   = "user.password_reset"

	ActionAccountCreated = "account.created"
	ActionAccountMoved   = "account.moved"
	ActionAccountDeleted = "account.deleted"
)

// Targets of audit events: the part of the action before the dot.
const (
	TargetKey     = "key"
	TargetUser    = "user"
	TargetAccount = "account"
)

// ActionTarget is what an action changes: TargetKey, TargetUser or TargetAccount.
func ActionTarget(action string) string {
	target, _, _ := strings.Cut(action, ".")
	return target
}

// AuditEvent records one change: who, when, from where, to which key, user
// or account (the target, named by the action's prefix), and for edits what
// changed. It never holds a secret: nothing that builds one has a secret to
// give it.
type AuditEvent struct {
	ID         string
	At         time.Time
	ActorKind  string // PrincipalUser or PrincipalKey
	ActorID    string
	ActorName  string
	ClientIP   string
	AccountID  string // the account of the target
	TargetID   string
	TargetName string
	Action     string
	Changes    []Change
	Reason     string // why, in the actor's words (optional; regenerate, deactivate, delete)
}

// AuditCheck is what a walk of the audit trail's hash chain found.
type AuditCheck struct {
	At      time.Time // zero: never checked
	Entries int64     // the entries that linked
	Problem string    // the first entry changed, removed or inserted; "" when whole
}

// NewAuditEvent starts an event for principal p acting from ip.
func NewAuditEvent(p *Principal, ip, action string) *AuditEvent {
	return &AuditEvent{ActorKind: p.Kind, ActorID: p.ID, ActorName: p.Name, ClientIP: ip, Action: action}
}

// MaxReasonLen bounds the reason an actor gives, in characters.
const MaxReasonLen = 200

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "None"
	}
	s := slices.Clone(items)
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// RolesText is the roles of a key in words, e.g. "Support, Account Viewer (acc_a, acc_b)".
func RolesText(grants []RoleGrant) string {
	return RolesTextNamed(grants, func(id string) string { return id })
}

// RolesTextNamed is RolesText with each scoped account shown by name.
func RolesTextNamed(grants []RoleGrant, name func(accountID string) string) string {
	var parts []string
	for _, g := range grants {
		parts = append(parts, g.Text(name))
	}
	return listOrNone(parts)
}

// Text is one grant in words, its scoped accounts shown by name.
func (g RoleGrant) Text(name func(accountID string) string) string {
	if g.Role != RoleAccountViewer {
		return g.Role.Label()
	}
	return g.Role.Label() + " (" + g.ScopeText(name) + ")"
}

// ScopeText is the accounts of the grant in words: by name, or "all accounts".
func (g RoleGrant) ScopeText(name func(accountID string) string) string {
	if g.AllowsAllAccounts() {
		return "all accounts"
	}
	var names []string
	for _, id := range g.Accounts {
		n := name(id)
		if n == AnotherAccount && slices.Contains(names, n) {
			continue // how many are hidden is not shown either
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// AnotherAccount stands for an account the reader may not see, where a
// key's role names it.
const AnotherAccount = "another account"

// ExpiryText is an expiry in words.
func ExpiryText(t *time.Time) string {
	if t == nil {
		return "Never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func ipsText(prefixes []string) string {
	if len(prefixes) == 0 {
		return "Any address"
	}
	return strings.Join(prefixes, ", ")
}

// HeadersText is a key's response headers in words.
func HeadersText(hs []Header) string {
	if len(hs) == 0 {
		return "None"
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s: %s", h.Name, h.Value)
		if h.Excluded {
			parts[i] += " (excluded)"
		}
	}
	return strings.Join(parts, "; ")
}
