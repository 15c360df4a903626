package apikey

// Principal is whoever makes a request: a signed-in user or an API key.
// Both are judged by the same roles and permissions.
type Principal struct {
	Kind      string // "user" or "key"
	ID        string
	Name      string // username or key name, for the audit trail
	AccountID string // the account the user or key belongs to
	Grants    []RoleGrant
}

// Principal kinds.
const (
	PrincipalUser = "user"
	PrincipalKey  = "key"
)

// UserPrincipal is the principal of a signed-in user.
func UserPrincipal(u *User) *Principal {
	return &Principal{Kind: PrincipalUser, ID: u.ID, Name: u.Username, AccountID: u.AccountID, Grants: []RoleGrant{u.Grant()}}
}

// KeyPrincipal is the principal of a request made with key k.
func KeyPrincipal(k *Key) *Principal {
	return &Principal{Kind: PrincipalKey, ID: k.ID, Name: k.Name, AccountID: k.AccountID, Grants: k.Roles}
}

// Can tells whether any of the principal's roles grants p, in some account.
func (p *Principal) Can(perm Permission) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.Has(perm) {
			return true
		}
	}
	return false
}

// CanIn tells whether the principal may do perm in the given account: a
// role limited to named accounts counts only in those.
func (p *Principal) CanIn(perm Permission, accountID string) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if !g.Role.Has(perm) {
			continue
		}
		if g.Role != RoleAccountViewer || g.AllowsAllAccounts() {
			return true
		}
		for _, a := range g.Accounts {
			if a == accountID {
				return true
			}
		}
	}
	return false
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
