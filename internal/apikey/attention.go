package apikey

import "time"

// Attention names a rule of the keys page's "Needs attention" panel; each
// is also a filter of the keys list (KeyQuery.Attention).
type Attention string

const (
	// Active keys that expire within ExpiringWithin (and have not yet).
	AttentionExpiring Attention = "expiring"
	// Active keys never used, or last used more than UnusedFor ago.
	AttentionUnused Attention = "unused"
	// Predefined keys still active.
	AttentionPredefined Attention = "predefined"
	// Active keys with a role that may change keys or users (AdminRoles)
	// and no allowed-IP entry: usable from anywhere.
	AttentionAdminUnrestricted Attention = "admin-unrestricted"
	// Keys refused for IP_NOT_ALLOWED within IPRefusedWithin.
	AttentionIPRefused Attention = "ip-refused"
	// Active JWT keys whose JWT offline checkers accept for longer than
	// the limit from now: unrevoked, with its exp more than the limit away.
	AttentionJWTLong Attention = "jwt-long"
)

// Attentions lists the rules in the panel's order.
var Attentions = []Attention{
	AttentionExpiring, AttentionUnused, AttentionPredefined,
	AttentionAdminUnrestricted, AttentionIPRefused, AttentionJWTLong,
}

// The attention rules' time spans.
const (
	ExpiringWithin         = 14 * 24 * time.Hour
	UnusedFor              = 90 * 24 * time.Hour
	IPRefusedWithin        = 24 * time.Hour
	DefaultJWTOfflineLimit = 30 * 24 * time.Hour
)

// AttentionCountCap is how far each rule counts: past it the panel says
// "1,000+", so that the panel costs at most that many index entries a rule.
const AttentionCountCap = 1000

// AdminRoles are the roles that may change keys or users: a key holding
// one is worth restricting to known addresses.
func AdminRoles() []Role {
	var out []Role
	for _, r := range Roles {
		if r.Has(ModifyApiKey) || r.Has(DeleteApiKey) || r.Has(ManageUsers) {
			out = append(out, r)
		}
	}
	return out
}

// AttentionCount is how many keys one rule finds, counted up to
// AttentionCountCap (MoreThan: counting stopped there).
type AttentionCount struct {
	Rule     Attention
	Count    int
	MoreThan bool
}
