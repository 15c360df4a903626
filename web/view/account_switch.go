package view

// AccountChoices is a chooser of accounts: those found by name, a page at
// a time, each a link. The header's switcher uses it (each link goes to the
// section the visitor was in, in that account), and so does the move page
// (each link chooses the new parent).
type AccountChoices struct {
	Action string  // where the search goes
	Keep   []Field // what the search keeps, besides the query
	Query  string
	Rows   []AccountChoice
	Pages  // of the accounts found
	// RowTarget, when set, is where htmx loads a row's link (a dialog)
	// instead of following it.
	RowTarget string
}

// Field is a hidden form field.
type Field struct {
	Name  string
	Value string
}

// AccountChoice is one account to choose.
type AccountChoice struct {
	URL     string
	Label   string // the name, indented by depth in the tree, or its place in it
	Note    string // beside the label, e.g. "current parent"
	Current bool   // the one chosen now
}
