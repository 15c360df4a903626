package apikey

import "slices"

// Principal is whoever makes a request: a signed-in user or an API key.
// Both are judged by the same roles and permissions.
type Principal struct {
	Kind      string // "user" or "key"
	ID        string
	Name      string // username or key name, for the audit trail
	AccountID string // the account the user or key belongs to
	Grants    []RoleGrant
	// OnBehalfOf is the signed-in user a key acts for, whose role must
	// allow what the key does too.
	OnBehalfOf *Principal
}

// Principal kinds.
const (
	PrincipalUser   = "user"
	PrincipalKey    = "key"
	PrincipalSystem = "system" // the command line or the first start, for the audit trail
)

// SystemPrincipal acts for the command line and the first start (name says
// which): whoever runs them holds the database itself, so it acts as a
// Global Admin.
func SystemPrincipal(name string) *Principal {
	return &Principal{Kind: PrincipalSystem, ID: name, Name: name,
		Grants: []RoleGrant{{Role: RoleGlobalAdmin, Accounts: []string{AllAccounts}}}}
}

// UserPrincipal is the principal of a signed-in user.
func UserPrincipal(u *User) *Principal {
	return &Principal{Kind: PrincipalUser, ID: u.ID, Name: u.Username, AccountID: u.AccountID, Grants: []RoleGrant{u.Grant()}}
}

// KeyPrincipal is the principal of a request made with key k.
func KeyPrincipal(k *Key) *Principal {
	return &Principal{Kind: PrincipalKey, ID: k.ID, Name: k.Name, AccountID: k.AccountID, Grants: k.Roles}
}

// Can tells whether the principal's roles grant perm, in some account.
func (p *Principal) Can(perm Permission) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.Has(perm) {
			return p.OnBehalfOf == nil || p.OnBehalfOf.Can(perm)
		}
	}
	return false
}

// CanIn tells whether the principal may do perm in an account, given that
// account's path to the root (the account first, then each one above it;
// store.AccountPath gives it). Global roles reach every account. An
// account-viewer reaches the accounts it names and everything below them.
// Support reaches its own account and everything below it. A key used for
// a signed-in user may do only what both the key and the user may.
func (p *Principal) CanIn(perm Permission, path []string) bool {
	if p == nil || len(path) == 0 {
		return false
	}
	if p.OnBehalfOf != nil && !p.OnBehalfOf.CanIn(perm, path) {
		return false
	}
	for _, g := range p.Grants {
		if !g.Role.Has(perm) {
			continue
		}
		switch {
		case g.Role == RoleGlobalAdmin || g.Role == RoleGlobalViewer:
			return true
		case g.Role == RoleAccountViewer && g.AllowsAllAccounts():
			return true
		case g.Role == RoleAccountViewer:
			for _, a := range g.Accounts {
				if slices.Contains(path, a) {
					return true
				}
			}
		case slices.Contains(path, p.AccountID):
			return true
		}
	}
	return false
}

// Tops lists the accounts where the principal's reach for perm begins,
// when limited to part of the tree (each reach is such an account and
// everything below it): those an Account Viewer names, the own account for
// support; and those of the user a key acts for. A key works in every
// account below its own, so one above a top is seen there, inherited.
func (p *Principal) Tops(perm Permission) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, g := range p.Grants {
		switch {
		case !g.Role.Has(perm):
		case g.Role == RoleAccountViewer && !g.AllowsAllAccounts():
			out = append(out, g.Accounts...)
		default:
			out = append(out, p.AccountID)
		}
	}
	out = append(out, p.OnBehalfOf.Tops(perm)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// HasRole tells whether the principal holds role r.
func (p *Principal) HasRole(r Role) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// Covers tells whether the principal already holds every power the grants
// would give a key in the account with path keyPath. A narrower right that
// reveals a key's secret (support regenerating a Chrome key) must not hand
// over more than its holder has. pathOf gives the path of an account a
// grant names; all reach rules hold for an account and everything below it,
// so covering the top of each reach covers the whole of it.
func (p *Principal) Covers(grants []RoleGrant, keyPath []string, pathOf func(accountID string) []string) bool {
	for _, g := range grants {
		for _, perm := range rolePermissions[g.Role] {
			switch {
			case g.Role == RoleSupport:
				if !p.CanIn(perm, keyPath) {
					return false
				}
			case g.Role == RoleAccountViewer && !g.AllowsAllAccounts():
				for _, a := range g.Accounts {
					if !p.CanIn(perm, pathOf(a)) {
						return false
					}
				}
			default: // a global reach
				if !p.canEverywhere(perm) {
					return false
				}
			}
		}
	}
	return true
}

// canEverywhere tells whether a grant without limit of account gives perm.
func (p *Principal) canEverywhere(perm Permission) bool {
	if p.OnBehalfOf != nil && !p.OnBehalfOf.canEverywhere(perm) {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.Has(perm) && (g.Role == RoleGlobalAdmin || g.Role == RoleGlobalViewer || g.Role == RoleAccountViewer && g.AllowsAllAccounts()) {
			return true
		}
	}
	return false
}

// Actor is who asks a service for something, and from which address.
type Actor struct {
	*Principal
	IP     string
	Reason string // why the actor makes this change, when it said; goes into its audit events
}

// Event starts the audit event of a change the actor makes.
func (a Actor) Event(action string) *AuditEvent {
	ev := NewAuditEvent(a.Principal, a.IP, action)
	ev.Reason = a.Reason
	return ev
}
