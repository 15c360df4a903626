package apikey

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// DefaultPerPage is the list's page size.
const DefaultPerPage = 50

// KeyQuery selects a page of keys.
type KeyQuery struct {
	AccountIDs []string // keys of these accounts; empty selects none
	Search     string   // part of the name or of the display prefix
	Type       Type
	Status     Status
	Sort       string // one of SortOrders, optionally prefixed with "-"
	Page       int    // from 1
	PerPage    int
	Offset     int       // when set, rows to skip, instead of Page
	Now        time.Time // decides which keys count as expired
	Attention  Attention // when set, only the keys that attention rule finds
	// JWTOfflineLimit is AttentionJWTLong's limit; 0: DefaultJWTOfflineLimit.
	JWTOfflineLimit time.Duration
}

// KeyPage is one page of the list and the total it was cut from.
type KeyPage struct {
	Keys     []*Key
	Total    int
	MoreThan bool // Total is a floor: counting stopped there
	// Own counts the keys of the list's own account among Total (not
	// those inherited from above), OwnMoreThan when counting stopped.
	Own         int
	OwnMoreThan bool
	Page        int
	PerPage     int
}

// Pages is the number of pages the total fills (at least 1).
func (p KeyPage) Pages() int {
	if p.Total == 0 || p.PerPage == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// KeyCountCap is how far an account's keys are counted: a total past it
// reads "more than" (counting on costs a scan of the account).
const KeyCountCap = 10_000

// AuditCountCap is how far audit events are counted: a total past it
// means "more than" (counting a year of events would cost a scan).
const AuditCountCap = 10_000

// AuditQuery selects audit events.
type AuditQuery struct {
	Actor    string     // part of the actor's name
	Key      string     // id or part of the name of the key, user or account changed
	Action   string     // exact action, e.g. key.updated
	Accounts []string   // when not empty, only events in these accounts
	From     *time.Time // inclusive
	To       *time.Time // exclusive
	Page     int
	PerPage  int // 0: no limit (the CSV export)
}

// BelowTrigrams tells whether a search text is too short for the trigram
// indexes that find the others: under three characters once trimmed and
// folded as the stored names are (cases.Fold: "ß" is two).
func BelowTrigrams(text string) bool {
	return utf8.RuneCountInString(cases.Fold().String(strings.TrimSpace(text))) < 3
}

// AccountUse counts what an account holds: what stops it being moved or deleted.
type AccountUse struct{ Keys, Users, Children int }

// UserQuery selects a page of users.
type UserQuery struct {
	AccountIDs []string // users of these accounts
	Page       int      // from 1
	PerPage    int
}
