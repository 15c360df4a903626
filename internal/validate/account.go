package validate

import "strings"

// NewAccount checks an account to be created: its name (as a key's name)
// and the id of the account it goes under.
func NewAccount(rawName, rawParent string) (name, parentID string, errs Errors) {
	errs = Errors{}
	var msg string
	name, msg = Name(rawName)
	errs.Add("name", msg)
	parentID = strings.TrimSpace(rawParent)
	switch {
	case parentID == "":
		errs.Add("parent_id", "Choose the account this one goes under.")
	case !validAccountID(parentID):
		errs.Add("parent_id", "Choose the parent account from the list.")
	}
	return name, parentID, errs
}
