// Package view holds the console's templ components and the view models they
// render. Components receive models shaped like the screen; they never query
// anything and import neither echo nor the store.
package view

import "net/url"

// Page is what the layout needs around every screen.
type Page struct {
	Title       string // the <title> and the heading
	Section     string // the navigation entry to highlight, e.g. "api-keys"
	AccountName string // the account the page shows
	AccountID   string
	Accounts    []Option // the accounts the visitor may switch to, when few enough for a select
	// ManyAccounts: too many accounts for a select; the switcher links to
	// a chooser that finds them by name instead.
	ManyAccounts bool
	Breadcrumb   []Crumb
	Nav          []NavItem // only what the visitor may open
	CSRFToken    string
	UserName     string // empty when nobody is signed in
	UserRole     string
	// Flashes say what the last change did, once, at the top of the page.
	Flashes []string
}

// SwitchURL is where the account switcher goes: the current section's
// page, in the account chosen.
func (p Page) SwitchURL() string {
	for _, n := range p.Nav {
		if n.Section == p.Section {
			return n.URL
		}
	}
	return "/security/api-keys"
}

// ChooserURL is the account chooser, for this section.
func (p Page) ChooserURL() string { return ChooserURL(p.Section, p.AccountID) }

// ChooserURL is the account chooser, from account, back to section.
func ChooserURL(section, account string) string {
	return "/accounts/switch?" + url.Values{"account": {account}, "section": {section}}.Encode()
}

// Crumb is one step of the breadcrumb.
type Crumb struct {
	Label string
	URL   string // empty for the current page
}

// NavItem is one entry of the side navigation.
type NavItem struct {
	Section string
	Label   string
	URL     string
	Group   string
}

// WithReturn is the address u that, once done, goes back to back.
func WithReturn(u, back string) string {
	if back == "" {
		return u
	}
	return u + "?" + url.Values{"return": {back}}.Encode()
}
