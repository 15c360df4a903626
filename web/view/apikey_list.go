package view

import "strings"

// KeyList is the API access keys list screen.
type KeyList struct {
	Filter    KeyFilter
	Rows      []KeyRow
	Columns   []SortColumn
	Total     int
	MoreThan  bool   // Total is where counting stopped
	From, To  int    // 1-based positions of the first and last row shown
	PrevURL   string // empty on the first page
	NextURL   string // empty on the last page
	ClearURL  string
	Filtered  bool // a search or filter is in force
	PastEnd   bool // a page after the last one was asked for
	FirstURL  string
	CanCreate bool
	CanModify bool // may switch keys on and off (the rows' status buttons)
	// RowActions: some row has an action for the visitor, so the table
	// has a column for them.
	RowActions bool
	NewURL     string
	TestURL    string
	SelfURL    string // this view, for buttons that come back to it
	CSRFToken  string
	// PredefinedActive counts the account's predefined keys still active;
	// while any are, the page recommends replacing them.
	PredefinedActive int
	PredefinedURL    string // where the button that switches them off posts
	// Attention is the "Needs attention" panel's rules that found keys,
	// Checked the phrases of those that found none (nil on fragments).
	Attention []AttentionItem
	Checked   []string
	// Showing says which attention rule cuts the list, with the link that
	// lifts it ("" when none does).
	Showing, ShowingClearURL string
	// AttentionError is why the attention filter asked for was refused.
	AttentionError string
	// Bulk offers bulk actions on ticked rows; nil when the visitor may take none.
	Bulk *KeyBulk
}

// AttentionItem is one line of the "Needs attention" panel.
type AttentionItem struct {
	Rule  string // the filter's value, e.g. "expiring"
	Count string // e.g. "12" or "1,000+"
	Text  string // what the keys have in common
	URL   string // the list cut to them
	// Deactivate: the line offers to switch the account's predefined keys off.
	Deactivate bool
}

// KeyFilter is the toolbar's state, echoed back into its inputs.
type KeyFilter struct {
	Query   string
	Type    string
	Status  string
	Sort    string
	Account string // ?account= of the view, kept by the search form
	// Attention is the attention rule in force, kept by the search form.
	Attention string
	Types     []Option
	Statuses  []Option
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// SortColumn is a sortable column heading.
type SortColumn struct {
	Label string
	URL   string // the list sorted by this column (reversed when already sorted by it)
	Sort  string // "ascending", "descending" or "" for aria-sort
}

// KeyRow is one key in the list.
type KeyRow struct {
	ID            string
	URL           string
	Name          string
	KeyHint       string // the display prefix, "…" where it leaves something out
	Type          string
	Roles         []string
	Status        string // "Active", "Inactive", "Expired", "Expires in 3 days"
	StatusTone    string // "ok", "off", "bad", "warn": the badge colour
	Created       string
	CreatedTitle  string
	Expires       string
	LastUsed      string
	LastUsedFrom  string
	Active        bool
	InheritedFrom string // the account above that owns the key; read-only here
	// What the visitor may do to the key from its row's menu.
	CanEdit, CanRegenerate, CanDelete bool
	// Selectable: the row can be ticked for a bulk action (not inherited).
	Selectable bool
}

// HasMenu tells whether the row offers a menu of actions.
func (r KeyRow) HasMenu() bool { return r.CanEdit || r.CanRegenerate || r.CanDelete }

// joinPhrases lists phrases that may hold commas themselves.
func joinPhrases(p []string) string { return strings.Join(p, "; ") }
