package web

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

// keyBody is a key as JSON clients send it: the form's field names, lists as
// arrays. Pointers tell an absent field (PATCH leaves it alone) from an empty one.
type keyBody struct {
	AccountID               *string       `json:"account_id"`
	Name                    *string       `json:"name"`
	Type                    *string       `json:"type"`
	AccessType              *string       `json:"access_type"`
	CustomValue             *string       `json:"custom_value"`
	Active                  *bool         `json:"active"`
	AllowUnauthenticated    *bool         `json:"allow_unauthenticated"`
	AllowUntrustedEndpoints *bool         `json:"allow_untrusted_endpoints"`
	AutoEndpointTrust       *bool         `json:"auto_endpoint_trust"`
	AdvancedPermissions     *[]string     `json:"advanced_permissions"`
	Roles                   *[]string     `json:"roles"`
	RoleAccounts            *[]string     `json:"role_accounts"`
	ExpiresIn               *string       `json:"expires_in"`
	ExpiresOn               *string       `json:"expires_on"`
	CustomDays              *numberOrText `json:"custom_days"`
	AllowedIPs              *[]string     `json:"allowed_ips"`
	ResponseHeaders         *[]headerBody `json:"response_headers"`
	Version                 *int          `json:"version"`
	Reason                  string        `json:"reason"` // why, for the audit log
}

type headerBody struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Excluded bool   `json:"excluded"`
}

// numberOrText accepts 45 and "45" alike.
type numberOrText string

func (n *numberOrText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = numberOrText(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return err
	}
	*n = numberOrText(num.String())
	return nil
}

// overlay puts the fields the body has over in, so that a PATCH changes only
// what it names.
func (b keyBody) overlay(in validate.KeyInput) validate.KeyInput {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	flag := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	list := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = *src
		}
	}
	str(&in.Name, b.Name)
	str(&in.Type, b.Type)
	str(&in.AccessType, b.AccessType)
	str(&in.CustomValue, b.CustomValue)
	flag(&in.Active, b.Active)
	flag(&in.AllowUnauthenticated, b.AllowUnauthenticated)
	flag(&in.AllowUntrustedEndpoints, b.AllowUntrustedEndpoints)
	flag(&in.AutoEndpointTrust, b.AutoEndpointTrust)
	list(&in.AdvancedPermissions, b.AdvancedPermissions)
	list(&in.Roles, b.Roles)
	if b.Roles != nil && !slices.ContainsFunc(*b.Roles, isAccountViewer) {
		// The stored accounts go with the role; only accounts sent with
		// other roles are a contradiction to refuse.
		in.RoleAccounts = nil
	}
	list(&in.RoleAccounts, b.RoleAccounts)
	if b.ExpiresIn != nil || b.ExpiresOn != nil || b.CustomDays != nil {
		in.ExpiresIn, in.ExpiresOn, in.CustomDays = "", "", ""
		str(&in.ExpiresIn, b.ExpiresIn)
		str(&in.ExpiresOn, b.ExpiresOn)
		if b.CustomDays != nil {
			in.CustomDays = string(*b.CustomDays)
		}
	}
	if b.AllowedIPs != nil {
		in.AllowedIPs = strings.Join(*b.AllowedIPs, "\n")
	}
	if b.ResponseHeaders != nil {
		in.Headers = nil
		for _, h := range *b.ResponseHeaders {
			in.Headers = append(in.Headers, validate.HeaderInput{Name: h.Name, Value: h.Value, Excluded: h.Excluded})
		}
	}
	return in
}

func isAccountViewer(role string) bool {
	return strings.EqualFold(strings.TrimSpace(role), string(apikey.RoleAccountViewer))
}

// keyOut is a key as the API answers it. Never a secret or its hash.
type keyOut struct {
	ID                      string       `json:"id"`
	AccountID               string       `json:"account_id"`
	Name                    string       `json:"name"`
	Type                    string       `json:"type"`
	AccessType              string       `json:"access_type"`
	DisplayPrefix           string       `json:"display_prefix"`
	Status                  string       `json:"status"`
	Active                  bool         `json:"active"`
	AllowUnauthenticated    bool         `json:"allow_unauthenticated"`
	AllowUntrustedEndpoints bool         `json:"allow_untrusted_endpoints"`
	AutoEndpointTrust       bool         `json:"auto_endpoint_trust"`
	AdvancedPermissions     []string     `json:"advanced_permissions"`
	Roles                   []string     `json:"roles"`
	RoleAccounts            []string     `json:"role_accounts"`
	ExpiresAt               *time.Time   `json:"expires_at"`
	AllowedIPs              []string     `json:"allowed_ips"`
	ResponseHeaders         []headerBody `json:"response_headers"`
	PreviousSecretUntil     *time.Time   `json:"previous_secret_valid_until"`
	CreatedAt               time.Time    `json:"created_at"`
	CreatedBy               string       `json:"created_by"`
	UpdatedAt               time.Time    `json:"updated_at"`
	UpdatedBy               string       `json:"updated_by"`
	LastUsedAt              *time.Time   `json:"last_used_at"`
	LastUsedFrom            string       `json:"last_used_from"`
	Version                 int          `json:"version"`
}

func keyToOut(k *apikey.Key, now time.Time) keyOut {
	o := keyOut{
		ID: k.ID, AccountID: k.AccountID, Name: k.Name, Type: string(k.Type), AccessType: string(k.AccessType),
		DisplayPrefix: k.DisplayPrefix, Status: string(k.StatusAt(now)), Active: k.Active,
		AllowUnauthenticated: k.AllowUnauthenticated, AllowUntrustedEndpoints: k.AllowUntrustedEndpoints,
		AutoEndpointTrust: k.AutoEndpointTrust, AdvancedPermissions: orEmpty(k.AdvancedPermissions),
		Roles: []string{}, RoleAccounts: []string{}, ExpiresAt: k.ExpiresAt, AllowedIPs: []string{},
		ResponseHeaders: []headerBody{}, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy,
		UpdatedAt: k.UpdatedAt, UpdatedBy: k.UpdatedBy, LastUsedAt: k.LastUsedAt, LastUsedFrom: k.LastUsedFrom,
		Version: k.Version,
	}
	if k.PreviousSecretHash != "" && k.PreviousValidUntil != nil && now.Before(*k.PreviousValidUntil) {
		o.PreviousSecretUntil = k.PreviousValidUntil
	}
	for _, g := range k.Roles {
		o.Roles = append(o.Roles, string(g.Role))
		if g.Role == apikey.RoleAccountViewer {
			o.RoleAccounts = g.Accounts
		}
	}
	for _, e := range k.AllowedIPs {
		o.AllowedIPs = append(o.AllowedIPs, e.Prefix.String())
	}
	for _, h := range k.ResponseHeaders {
		o.ResponseHeaders = append(o.ResponseHeaders, headerBody{Name: h.Name, Value: h.Value, Excluded: h.Excluded})
	}
	return o
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseGrace reads a grace period: "0"/"immediately", "1h", "24h", "7d".
func parseGrace(raw string) (time.Duration, bool) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", "0", "none", "immediately":
		return 0, true
	case "1h":
		return time.Hour, true
	case "24h", "1d":
		return 24 * time.Hour, true
	case "7d", "168h":
		return 7 * 24 * time.Hour, true
	}
	if n, err := strconv.Atoi(raw); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	return 0, false
}

// accountSight is what the caller may see of the accounts keys' roles
// name, looked up once per account for one answer.
type accountSight struct {
	s    *Server
	c    echo.Context
	seen map[string]bool
	all  bool // the caller sees every account
}

func (s *Server) sightOf(c echo.Context) *accountSight {
	// An account with no parent known to none of the roles: only a reach
	// without limit of account takes it in.
	all := principalOf(c).CanIn(apikey.ViewApiKey, []string{""})
	return &accountSight{s: s, c: c, seen: map[string]bool{}, all: all}
}

// keyOut is k as the caller may read it: each account its roles name that
// the caller may not see is apikey.AnotherAccount (once), as on the pages.
func (a *accountSight) keyOut(k *apikey.Key, now time.Time) (keyOut, error) {
	o := keyToOut(k, now)
	if a.all {
		return o, nil
	}
	shown := []string{}
	for _, id := range o.RoleAccounts {
		ok, err := a.sees(id)
		if err != nil {
			return keyOut{}, err
		}
		switch {
		case ok || id == apikey.AllAccounts:
			shown = append(shown, id)
		case !slices.Contains(shown, apikey.AnotherAccount):
			shown = append(shown, apikey.AnotherAccount)
		}
	}
	o.RoleAccounts = shown
	return o, nil
}

func (a *accountSight) sees(id string) (bool, error) {
	if v, ok := a.seen[id]; ok {
		return v, nil
	}
	path, err := a.s.accounts.Path(a.c.Request().Context(), id)
	if apikey.ErrorCode(err) == apikey.ENOTFOUND {
		path, err = nil, nil
	}
	if err != nil {
		return false, err
	}
	v := principalOf(a.c).CanIn(apikey.ViewApiKey, path)
	a.seen[id] = v
	return v, nil
}
