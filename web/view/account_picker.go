package view

import "slices"

// AllAccountsChoice is the value of the "All accounts" box of an account picker.
const AllAccountsChoice = "all"

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
