package view

// AccountChoices is the account chooser: the accounts the visitor may
// switch to, found by name, a page at a time, each a link to the section
// the visitor was in, in that account.
type AccountChoices struct {
	Section  string // kept by the search, as is the account
	Current  string // the account the visitor was in
	Query    string
	Rows     []AccountChoice
	Total    int
	From, To int    // 1-based positions of the first and last shown
	PrevURL  string // pages; empty at either end
	NextURL  string
}

// AccountChoice is one account to switch to.
type AccountChoice struct {
	URL     string
	Label   string // the name, indented by depth in the tree
	Current bool
}
