package apikey

import "time"

// LastUse is the latest request seen with a key.
type LastUse struct {
	KeyID string
	At    time.Time
	From  string
	// Every: written only where the stored last use is older than At by
	// more than this (or there is none); zero writes any older one.
	Every time.Duration
}

// CodeIPNotAllowed is verification's refusal of a client address outside
// a key's allowed IPs; the usage flush keeps each key's latest one.
const CodeIPNotAllowed = "IP_NOT_ALLOWED"

// UsageCount is a number of requests with a key on one day with one outcome.
type UsageCount struct {
	KeyID string
	Day   string // YYYY-MM-DD, UTC
	Code  string // VALID or the refusal code
	Count int
	// Latest is when the newest of an IP_NOT_ALLOWED count's requests came
	// (zero: not known); it moves the key's last IP refusal.
	Latest time.Time
}

// AddressUse is the requests with a key from one client address on one day,
// or, as read back for the usage tab, over several days.
type AddressUse struct {
	KeyID    string
	Day      string // YYYY-MM-DD, UTC; empty when summed over days
	Address  string // OtherAddresses for the addresses counted together
	Requests int    // accepted and refused
	Refused  int
	LastSeen time.Time
}

// OtherAddresses is the Address of the requests from addresses that are
// not kept one by one (there were too many), counted together.
const OtherAddresses = ""

// UsageBatch is what the usage recorder writes in one transaction.
type UsageBatch struct {
	LastUses  []LastUse
	Counts    []UsageCount
	Addresses []AddressUse
}
