package view

// KeyDetails is the details page of one key.
type KeyDetails struct {
	ID            string
	URL           string
	Name          string
	DisplayPrefix string
	Status        string
	StatusTone    string
	Tab           string // "settings" or "audit"
	Settings      []Setting
	Audit         []AuditRow
	Usage         []UsageRow
	Endpoints     []EndpointRow
	UsageCodes    []string // the refusal codes seen, as columns
	// What the visitor may do here; hidden controls are refused by the server too.
	CanEdit       bool
	CanRegenerate bool
	CanDelete     bool
	CanAudit      bool
	Active        bool
	// GraceUntil says until when the previous secret is still accepted; empty when it is not.
	GraceUntil string
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
}

// UsageRow is one day of a key's use.
type UsageRow struct {
	Day      string
	Accepted int
	Refused  []int // in the order of KeyDetails.UsageCodes
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
