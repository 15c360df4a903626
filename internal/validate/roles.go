package validate

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"keyconsole/internal/apikey"
)

const (
	maxAccountIDLen = 64
	// maxBadShown keeps a message about many bad ids readable.
	maxBadShown = 3
)

// roleGrants checks the roles (blank entries skipped, duplicates dropped,
// order kept) and scopes account-viewer to the accounts given. Accounts given
// without account-viewer are refused, not dropped: whoever chose them
// believes the key can see them.
func roleGrants(rawRoles, rawAccounts []string) ([]apikey.RoleGrant, string, string) {
	grants, field, msg := grantRoles(rawRoles, rawAccounts)
	viewer := slices.ContainsFunc(grants, func(g apikey.RoleGrant) bool { return g.Role == apikey.RoleAccountViewer })
	if msg == "" && !viewer && len(AccountIDList(rawAccounts)) > 0 {
		return nil, "role_accounts", "Accounts count only for the Account Viewer role: tick that role, or clear the accounts."
	}
	return grants, field, msg
}

func grantRoles(rawRoles, rawAccounts []string) (grants []apikey.RoleGrant, field, msg string) {
	for _, raw := range rawRoles {
		r := apikey.Role(choice(raw))
		if r == "" || slices.ContainsFunc(grants, func(g apikey.RoleGrant) bool { return g.Role == r }) {
			continue
		}
		if !r.Known() {
			return nil, "roles", fmt.Sprintf("Unknown role %s; choose from: %s.", quote(strings.TrimSpace(raw)), roleLabels())
		}
		g := apikey.RoleGrant{Role: r}
		if r == apikey.RoleAccountViewer {
			if g.Accounts, msg = accountScope(rawAccounts); msg != "" {
				return nil, "role_accounts", msg
			}
		}
		grants = append(grants, g)
	}
	return grants, "", ""
}

func roleLabels() string {
	labels := make([]string, len(apikey.Roles))
	for i, r := range apikey.Roles {
		labels[i] = fmt.Sprintf("%s (%s)", r.Label(), r)
	}
	return oneOf(labels)
}

// AccountIDList splits an Account Viewer scope as sent (ids in repeated
// fields, or separated by commas or spaces) into its items, as typed.
func AccountIDList(raw []string) []string {
	var out []string
	for _, item := range raw {
		out = append(out, strings.FieldsFunc(item, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	return out
}

// IsAllAccounts tells whether a scope item means every account.
func IsAllAccounts(id string) bool { return id == apikey.AllAccounts || strings.EqualFold(id, "all") }

// accountScope reads the account ids of an account-viewer grant.
func accountScope(raw []string) ([]string, string) {
	var ids, bad []string
	all := false
	seen := map[string]bool{}
	for _, id := range AccountIDList(raw) {
		switch {
		case IsAllAccounts(id):
			all = true
		case !validAccountID(id):
			bad = append(bad, quote(id))
		case !seen[id]:
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch {
	case len(bad) == 1:
		return nil, fmt.Sprintf("Account id %s is not valid: an id has 1 to %d letters, digits, _ or -.", bad[0], maxAccountIDLen)
	case len(bad) > maxBadShown:
		bad = append(bad[:maxBadShown], fmt.Sprintf("%d more", len(bad)-maxBadShown))
		fallthrough
	case len(bad) > 1:
		return nil, fmt.Sprintf("Account ids %s are not valid: an id has 1 to %d letters, digits, _ or -.", allOf(bad), maxAccountIDLen)
	case all:
		return []string{apikey.AllAccounts}, ""
	case len(ids) == 0:
		return nil, "Choose the accounts this role may see, or All accounts."
	}
	return ids, ""
}

func validAccountID(id string) bool {
	if id == "" || len(id) > maxAccountIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
