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
