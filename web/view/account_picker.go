package view

import "slices"

// AllAccountsChoice is the value of the "All accounts" box of an account picker.
const AllAccountsChoice = "all"

// AccountPicker chooses the accounts an Account Viewer sees: a box for each
// account when there are few (Options); else boxes for those chosen
// (Named) and a search by name that finds more (Found).
type AccountPicker struct {
	Chosen  []string // account ids, or AllAccountsChoice
	Options []Option // every account, when few enough to list
	Search  bool     // too many accounts to list: found by name
	Named   []Option // the chosen accounts, by name, when searching
	Query   string   // the search, and what it found not yet chosen
	Found   []Option
	More    int // how many more the search found than Found lists
}

// pickerOptions are the accounts a picker offers, plus any already chosen
// that it would not offer (an account since deleted), so saving the form
// does not drop them unseen.
func pickerOptions(options []Option, chosen []string) []Option {
	out := slices.Clone(options)
	for _, id := range chosen {
		if id == AllAccountsChoice || slices.ContainsFunc(options, func(o Option) bool { return o.Value == id }) {
			continue
		}
		out = append(out, Option{Value: id, Label: id + " (no such account)"})
	}
	return out
}
