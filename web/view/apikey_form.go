package view

import (
	"slices"
	"strconv"
)

// KeyForm is the add or edit form: what was typed, what is wrong with it,
// and the choices it offers.
type KeyForm struct {
	Edit      bool   // editing an existing key: no name, access type or custom value
	Action    string // where the form posts
	KeyName   string // the key being edited, for the heading
	Version   string
	CSRFToken string
	Conflict  string // someone else saved first: who and when
	// Base is the key as this form was filled from it (form-encoded, no
	// secret), so a conflict can tell what someone else changed since.
	Base    string
	Changes []FieldChange     // after a conflict: what someone else changed
	Flags   map[string]string // fields both changed: a note beside each
	// SecretHead is how the edited key's generated secret starts ("kc_g_"),
	// which a change of type does not change; empty otherwise.
	SecretHead string

	Name, Type, AccessType                                                   string
	Active, AllowUnauthenticated, AllowUntrustedEndpoints, AutoEndpointTrust bool
	AdvancedPermissions                                                      []string
	Roles                                                                    []string
	Scope                                                                    AccountPicker // the accounts of an Account Viewer role
	ExpiresIn, ExpiresOn, CustomDays                                         string
	CurrentExpiry                                                            string // for the "keep" choice of an edit
	AllowedIPs                                                               string
	Headers                                                                  []HeaderRow
	Errors                                                                   map[string]string

	Choices KeyChoices
}

// SubmitLabel is what the form's button says.
func (f KeyForm) SubmitLabel() string {
	if f.Edit {
		return "Save changes"
	}
	return "Create key"
}

// KeyChoices are the fixed options of the key form.
type KeyChoices struct {
	Types       []Option
	AccessTypes []Option
	Roles       []Option
	Advanced    []Option
	Expiries    []Option
	MinDate     string // earliest custom date, YYYY-MM-DD
}

// Has tells whether a multi-choice field holds v.
func Has(values []string, v string) bool { return slices.Contains(values, v) }

// SecretShown is the show-once dialog after create or regenerate.
type SecretShown struct {
	KeyName string
	KeyURL  string
	Secret  string
	Created bool // created rather than regenerated
	ListURL string
	// OldValidUntil says until when the replaced secret still works after a
	// regenerate with a grace period; empty when it stopped at once.
	OldValidUntil string
}

// secretLine is about how many characters of a secret a line of the
// secret box holds at its narrowest (a 390 px phone).
const secretLine = 30

// SecretRows is how many lines the secret box needs for secret: one for a
// generated secret, several for a JWT, so all of it shows without
// scrolling where CSS cannot size the box to its content.
func SecretRows(secret string) string {
	return strconv.Itoa(max(1, (len(secret)+secretLine-1)/secretLine))
}

// Confirm asks before a change that is hard to take back, naming exactly
// what changes; its form carries the confirm field, without which such a
// change does not act.
type Confirm struct {
	Title     string
	Message   string
	Warning   string
	Action    string // where the confirming form posts
	Button    string
	Danger    bool
	CancelURL string
	Return    string // where to go once done: the page that asked
	// Version is the key's version when asked: a post that carries an
	// older one (a reload of the answer) is asked again, not obeyed.
	Version   string
	CSRFToken string
	Grace     []Option // for a regenerate: how long the old secret keeps working
	// GraceChosen is the grace chosen, when the question comes back.
	GraceChosen string
	// Secrets, for a regenerate of a custom-value key: the kinds of new
	// secret to choose from, and Chosen the one chosen.
	Secrets []Option
	Chosen  string
	Errors  map[string]string
	// AskReason offers the optional reason that goes into the audit log;
	// Reason is what was typed, when the question comes back.
	AskReason bool
	Reason    string
	// Items are listed under ItemsLabel: what goes with the thing deleted.
	ItemsLabel string
	Items      []string
	Hidden     []Field // more fields posted with the form (confirm, return and version have their own)
	// Refusal says why it cannot be done; the form then offers only Cancel.
	Refusal string
}

// FieldChange is one field someone else changed while the form was open,
// as people read it. From is empty when the form did not say what it was
// filled from; Yours is the user's own new value, when they changed it too.
type FieldChange struct {
	Label, From, To, Yours string
}

// HeaderRow is one response header row of the key form.
type HeaderRow struct {
	Index    string // from 0, what the row's excluded box sends
	Number   string // from 1, as its labels say
	Name     string
	Value    string
	Excluded bool
	Focus    bool // the row just added without JavaScript
}
