package view

import "slices"

// KeyForm is the add or edit form: what was typed, what is wrong with it,
// and the choices it offers.
type KeyForm struct {
	Edit      bool   // editing an existing key: no name, access type or custom value
	Action    string // where the form posts
	KeyName   string // the key being edited, for the heading
	Version   string
	CSRFToken string
	Conflict  string // someone else saved first: who and when
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

// Confirm asks before regenerating or deleting.
type Confirm struct {
	Title     string
	Message   string
	Warning   string
	Action    string // where the confirming form posts
	Button    string
	Danger    bool
	CancelURL string
	CSRFToken string
	Grace     []Option // for a regenerate: how long the old secret keeps working
	// GraceChosen is the grace chosen, when the question comes back.
	GraceChosen string
	// Secrets, for a regenerate of a custom-value key: the kinds of new
	// secret to choose from, and Chosen the one chosen.
	Secrets []Option
	Chosen  string
	Errors  map[string]string
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
