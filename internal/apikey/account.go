package apikey

import "time"

// Account is a node in the vendor → customer → sub-account tree. Keys and
// users belong to one account.
type Account struct {
	ID        string
	ParentID  string // "" for the root
	Name      string
	CreatedAt time.Time
}

// NewID makes an opaque, unguessable identifier such as "key_3fQ9...".
func NewID(prefix string) (string, error) {
	r, err := RandomBase62(16)
	if err != nil {
		return "", err
	}
	return prefix + "_" + r, nil
}

// PredefinedKeys are the keys every new account starts with. Their secrets
// are never shown: regenerating one is the only way to see a value, and the
// console recommends replacing them with keys of the account's own.
func PredefinedKeys() []Settings {
	return []Settings{
		{Name: "Default key for client and gateway", Type: TypeGeneral, AccessType: AccessGenerated, Active: true,
			AllowUnauthenticated: true, AllowUntrustedEndpoints: true},
		{Name: "Chrome extension key", Type: TypeChrome, AccessType: AccessGenerated, Active: true},
		{Name: "Embedded terminal key", Type: TypeEmbedded, AccessType: AccessGenerated, Active: true},
	}
}

// Paths gives each account's path to the root (the account first, then
// each one above it), as permission checks take it.
func Paths(accounts []Account) map[string][]string {
	parent := make(map[string]string, len(accounts))
	for _, a := range accounts {
		parent[a.ID] = a.ParentID
	}
	out := make(map[string][]string, len(accounts))
	var path func(id string, depth int) []string
	path = func(id string, depth int) []string {
		if p, ok := out[id]; ok {
			return p
		}
		up, ok := parent[id]
		if !ok || depth > len(accounts) { // unknown, or a cycle
			return nil
		}
		p := []string{id}
		if up != "" {
			p = append(p, path(up, depth+1)...)
		}
		out[id] = p
		return p
	}
	for _, a := range accounts {
		path(a.ID, 0)
	}
	return out
}
