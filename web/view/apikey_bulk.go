package view

// KeyBulk is the bar of bulk actions above the key list: one GET form that
// the rows' checkboxes join through their form attribute, so that no form
// nests in another (the rows have forms of their own).
type KeyBulk struct {
	// Hidden carries the list's own query (whatever it filters on), so that
	// "all matching" selects what the list shows, and where to come back.
	Hidden  []Field
	Actions []Option // the actions the visitor may take, value and button label
	// AllMatching counts the account's own keys the filter matches, offered
	// when the page shows fewer; AllTooMany says a bulk action cannot take
	// them all (the cap, as MaxKeys).
	AllMatching int
	AllMoreThan bool
	AllTooMany  bool
	MaxKeys     string
	Filtered    bool // a search or filter is in force: "matching this filter"
}

// BulkConfirm asks before a bulk action, counting what it will change.
type BulkConfirm struct {
	Action     string // where the confirming form posts (the selection is in its query)
	Return     string
	CancelURL  string
	CSRFToken  string
	Button     string
	Danger     bool
	Summary    []string // one line per outcome: "12 keys will be deactivated."
	Changes    []BulkKey
	Unchanged  []BulkKey
	Refused    []BulkKey // every one, with why
	Predefined []string  // predefined keys among those to change, named
	Warning    string
	Refusal    string // why nothing can be asked (a selection past the cap); only Cancel
	Reason     string
	Errors     map[string]string
	// Extend asks by how much to extend, before anything can be counted;
	// Extending says what was chosen, with ChangeURL to choose again.
	Extend    *BulkExtend
	Extending string
	ChangeURL string
	// ChangesMore and UnchangedMore count the keys left out of Changes
	// and Unchanged, which name the first few only (Summary counts all).
	ChangesMore, UnchangedMore int
}

// BulkKey is one selected key, with why it stays as it is or is refused.
type BulkKey struct {
	Name, Hint, Why string
}

// BulkExtend is the question of how to extend expiries: a GET form that
// keeps the selection in Hidden.
type BulkExtend struct {
	Action string
	Hidden []Field
	Days   string
	Date   string
	Errors map[string]string
}
