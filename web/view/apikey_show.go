package view

import "net/url"

// KeyDetails is the details page of one key.
type KeyDetails struct {
	ID         string
	URL        string
	Name       string
	KeyHint    string // the display prefix, "…" where it leaves something out
	Status     string
	StatusTone string
	Tab        string // "settings" or "audit"
	Settings   []Setting
	Audit      []AuditRow
	Usage      []UsageRow
	Endpoints  []EndpointRow
	UsageCodes []string // the refusal codes seen, as columns
	UsageChart UsageChart
	// UsageAddresses are the client addresses seen most over the same days.
	UsageAddresses []AddressRow
	// What the visitor may do here; hidden controls are refused by the server too.
	CanEdit       bool
	CanRegenerate bool
	CanDelete     bool
	CanAudit      bool
	CanMove       bool // not for predefined keys, which stay with their account
	Active        bool
	InheritedFrom string // set when shown from an account below the key's own
	OwnerURL      string // the key in its own account, where it can be changed; empty when the visitor may not see that account
	// ViewingAccount is the account the key is shown in, when not its own.
	ViewingAccount string
	// JWTOffline tells, for a JWT access key, how long an offline checker
	// may still accept its JWT once revoked; empty for other keys.
	JWTOffline string
	// OldSecretHead is the start of a generated secret that carries its
	// key's former type letter (such as "kc_g_"), and NewSecretHead the
	// start a regenerate would give; empty when the letter is right.
	OldSecretHead string
	NewSecretHead string
	// GraceUntil says until when the previous secret is still accepted; empty when it is not.
	GraceUntil string
	// Sync says whether the key's newest change reached every instance of
	// the console; SyncLagging when one has not applied it yet.
	Sync        string
	SyncLagging bool
}

// Setting is one labelled value on the details page.
type Setting struct {
	Label string
	Value string
	Mono  bool
}

// AuditRow is one event in a key's audit tab.
type AuditRow struct {
	At       string
	Actor    string
	ClientIP string
	Action   string
	Changes  []string
	Reason   string
}

// UsageRow is one day of a key's use.
// UsageChart is the usage tab's chart of requests a day: its bars, laid
// out by the server, and in words for those who do not see it.
type UsageChart struct {
	Bars                      []UsageBar
	Max                       int // the busiest day's requests: the top of the scale
	Width, Height, Base, Left int
	First, Last               string // the days at either end
	Summary                   string
}

// UsageBar is one day: accepted below, refused stacked on top.
type UsageBar struct {
	Day                       string
	Accepted, Refused         int
	X, Width                  int
	AcceptedY, AcceptedHeight int
	RefusedY, RefusedHeight   int
	Title                     string
}

type UsageRow struct {
	Day      string
	Accepted int
	Refused  []int // in the order of KeyDetails.UsageCodes
}

// AddressRow is one client address on the usage tab, or, when Others, the
// requests of every address not listed, together.
type AddressRow struct {
	Address     string
	Others      bool
	Requests    int // accepted and refused
	Refused     int
	LastSeen    string
	LastSeenISO string // for the time element's datetime
}

// EndpointRow is one device or app that signed users in with the key.
type EndpointRow struct {
	ID        string
	Name      string
	Trusted   bool
	FirstSeen string
	LastSeen  string
	ActionURL string // trust or distrust
}

// TabURL links to a tab of the details page, in the account it is shown in.
func (k KeyDetails) TabURL(tab string) string {
	v := url.Values{}
	if tab != "settings" {
		v.Set("tab", tab)
	}
	if k.ViewingAccount != "" {
		v.Set("account", k.ViewingAccount)
	}
	if len(v) == 0 {
		return k.URL
	}
	return k.URL + "?" + v.Encode()
}
