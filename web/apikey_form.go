package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// defaultExpiry is the add form's preselected expiry: six months.
const defaultExpiry = "180d"

// keyInputFromForm reads the contract's key fields from a posted form.
func keyInputFromForm(c echo.Context) (validate.KeyInput, error) {
	form, err := c.FormParams()
	if err != nil {
		return validate.KeyInput{}, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	return keyInputFromValues(form), nil
}

// keyInputFromValues reads the key fields from form values.
func keyInputFromValues(form url.Values) validate.KeyInput {
	on := func(name string) bool {
		switch strings.ToLower(form.Get(name)) {
		case "true", "on", "1", "yes":
			return true
		}
		return false
	}
	return validate.KeyInput{
		Name: form.Get("name"), Type: form.Get("type"), AccessType: form.Get("access_type"), CustomValue: form.Get("custom_value"),
		Active: on("active"), AllowUnauthenticated: on("allow_unauthenticated"),
		AllowUntrustedEndpoints: on("allow_untrusted_endpoints"), AutoEndpointTrust: on("auto_endpoint_trust"),
		AdvancedPermissions: form["advanced_permissions"], Roles: form["roles"], RoleAccounts: form["role_accounts"],
		ExpiresIn: form.Get("expires_in"), ExpiresOn: form.Get("expires_on"), CustomDays: form.Get("custom_days"),
		AllowedIPs: form.Get("allowed_ips"), Headers: headerRowsFromForm(form),
	}
}

// keyValues is in as the form posts it: what keyInputFromValues reads back.
func keyValues(in validate.KeyInput) url.Values {
	v := url.Values{"name": {in.Name}, "type": {in.Type}, "access_type": {in.AccessType},
		"expires_in": {in.ExpiresIn}, "expires_on": {in.ExpiresOn}, "custom_days": {in.CustomDays}, "allowed_ips": {in.AllowedIPs}}
	for name, on := range map[string]bool{"active": in.Active, "allow_unauthenticated": in.AllowUnauthenticated,
		"allow_untrusted_endpoints": in.AllowUntrustedEndpoints, "auto_endpoint_trust": in.AutoEndpointTrust} {
		if on {
			v.Set(name, "true")
		}
	}
	v["advanced_permissions"], v["roles"], v["role_accounts"] = in.AdvancedPermissions, in.Roles, in.RoleAccounts
	for i, h := range in.Headers {
		v.Add("header_name", h.Name)
		v.Add("header_value", h.Value)
		if h.Excluded {
			v.Add("header_excluded", strconv.Itoa(i))
		}
	}
	return v
}

// headerRowsFromForm reads the header rows: names and values pair up by
// position; the excluded box of a row sends the row's index.
func headerRowsFromForm(form url.Values) []validate.HeaderInput {
	names, values := form["header_name"], form["header_value"]
	var out []validate.HeaderInput
	for i := range names {
		h := validate.HeaderInput{Name: names[i], Excluded: slices.Contains(form["header_excluded"], strconv.Itoa(i))}
		if i < len(values) {
			h.Value = values[i]
		}
		out = append(out, h)
	}
	return out
}

// blankHeaderRows are added to the form so headers can be added without JavaScript.
const blankHeaderRows = 2

// headerRows turns header inputs into form rows, with blank rows to fill.
func headerRows(in []validate.HeaderInput) []view.HeaderRow {
	var rows []view.HeaderRow
	for _, h := range in {
		if strings.TrimSpace(h.Name) == "" && strings.TrimSpace(h.Value) == "" {
			continue
		}
		rows = append(rows, view.HeaderRow{Name: h.Name, Value: h.Value, Excluded: h.Excluded})
	}
	for i := 0; i < blankHeaderRows; i++ {
		rows = append(rows, view.HeaderRow{})
	}
	return numbered(rows)
}

// withHeaderRow is the rows as posted, blank ones too, and one more blank
// row to fill (while a key may have more headers), which takes the focus:
// what "Add another header" asks for without JavaScript.
func withHeaderRow(in []validate.HeaderInput) []view.HeaderRow {
	var rows []view.HeaderRow
	for _, h := range in {
		rows = append(rows, view.HeaderRow{Name: h.Name, Value: h.Value, Excluded: h.Excluded})
	}
	if len(rows) < validate.MaxHeaders {
		rows = append(rows, view.HeaderRow{Focus: true})
	}
	return numbered(rows)
}

// numbered gives each row its index (which its excluded box sends) and its
// number as people count.
func numbered(rows []view.HeaderRow) []view.HeaderRow {
	for i := range rows {
		rows[i].Index, rows[i].Number = strconv.Itoa(i), strconv.Itoa(i+1)
	}
	return rows
}

// formOnly tells whether the key form was sent to come back changed rather
// than to be saved: to find accounts for the picker (with the query), or
// to add a header row.
func formOnly(c echo.Context, in validate.KeyInput, f *view.KeyForm) bool {
	q, find := pickerFind(c)
	add := c.FormValue("add_header") != ""
	if !find && !add {
		return false
	}
	f.Scope.Query = q
	if add {
		f.Headers = withHeaderRow(in.Headers)
	}
	if in.CustomValue != "" {
		f.Errors = map[string]string{"custom_value": retype}
	}
	return true
}

// keyFormFromInput puts what was typed back into the form. The custom value
// is a secret and is never echoed.
func keyFormFromInput(in validate.KeyInput) view.KeyForm {
	return view.KeyForm{
		Name: in.Name, Type: in.Type, AccessType: in.AccessType,
		Active: in.Active, AllowUnauthenticated: in.AllowUnauthenticated,
		AllowUntrustedEndpoints: in.AllowUntrustedEndpoints, AutoEndpointTrust: in.AutoEndpointTrust,
		AdvancedPermissions: in.AdvancedPermissions, Roles: in.Roles,
		Scope:     view.AccountPicker{Chosen: scopeChoices(in.RoleAccounts)},
		ExpiresIn: in.ExpiresIn, ExpiresOn: in.ExpiresOn, CustomDays: in.CustomDays, AllowedIPs: in.AllowedIPs,
		Headers: headerRows(in.Headers),
	}
}

// scopeChoices reads an Account Viewer scope as typed or ticked (ids in
// boxes, or separated by commas in JSON and older forms) into the picker's
// choices.
func scopeChoices(raw []string) []string {
	var out []string
	for _, id := range validate.AccountIDList(raw) {
		if validate.IsAllAccounts(id) {
			id = view.AllAccountsChoice
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// keyFormFromKey fills the edit form with a stored key.
func keyFormFromKey(k *apikey.Key) view.KeyForm {
	f := keyFormFromInput(keyInputFromKey(k))
	f.Edit, f.KeyName, f.CurrentExpiry = true, k.Name, apikey.ExpiryText(k.ExpiresAt)
	return f
}

// keyInputFromKey is a stored key as input: what the edit form shows and
// the base a PATCH changes.
func keyInputFromKey(k *apikey.Key) validate.KeyInput {
	in := validate.KeyInput{
		Type: string(k.Type), Active: k.Active, AllowUnauthenticated: k.AllowUnauthenticated,
		AllowUntrustedEndpoints: k.AllowUntrustedEndpoints, AutoEndpointTrust: k.AutoEndpointTrust,
		AdvancedPermissions: k.AdvancedPermissions, ExpiresIn: validate.ExpiryKeep,
	}
	for _, g := range k.Roles {
		in.Roles = append(in.Roles, string(g.Role))
		if g.Role == apikey.RoleAccountViewer {
			in.RoleAccounts = g.Accounts
		}
	}
	var ips []string
	for _, e := range k.AllowedIPs {
		ips = append(ips, e.Source)
	}
	in.AllowedIPs = strings.Join(ips, "\n")
	for _, h := range k.ResponseHeaders {
		in.Headers = append(in.Headers, validate.HeaderInput{Name: h.Name, Value: h.Value, Excluded: h.Excluded})
	}
	return in
}

// keyChoices are the options of the key form; an edit offers to keep the
// current expiry as it is.
func keyChoices(now time.Time, currentExpiry string) view.KeyChoices {
	ch := view.KeyChoices{MinDate: now.AddDate(0, 0, 1).Format("2006-01-02")}
	for _, t := range apikey.Types {
		ch.Types = append(ch.Types, view.Option{Value: string(t), Label: t.Label()})
	}
	ch.AccessTypes = []view.Option{{Value: string(apikey.AccessGenerated), Label: "Generated (recommended)"},
		{Value: string(apikey.AccessJWT), Label: "Signed JWT (checkable offline)"}, {Value: string(apikey.AccessCustom), Label: "Custom value"}}
	for _, r := range apikey.Roles {
		ch.Roles = append(ch.Roles, view.Option{Value: string(r), Label: r.Label()})
	}
	ch.Advanced = []view.Option{{Value: apikey.AdvancedVerify, Label: advancedLabels[apikey.AdvancedVerify]}}
	if currentExpiry != "" {
		ch.Expiries = append(ch.Expiries, view.Option{Value: validate.ExpiryKeep, Label: "Keep current (" + currentExpiry + ")"})
	}
	ch.Expiries = append(ch.Expiries,
		view.Option{Value: "never", Label: "Never"}, view.Option{Value: "30d", Label: "30 days"},
		view.Option{Value: "60d", Label: "60 days"}, view.Option{Value: "90d", Label: "90 days"},
		view.Option{Value: "180d", Label: "6 months"}, view.Option{Value: "365d", Label: "1 year"},
		view.Option{Value: "custom", Label: "Custom"})
	return ch
}

// renderDialog answers with body as a dialog when htmx asks for one, else as
// a page of its own, so every action works without JavaScript.
func (s *Server) renderDialog(c echo.Context, status int, p view.Page, title string, body templ.Component) error {
	if isFragmentRequest(c, "dialog-slot") {
		return render(c, status, view.Dialog(title, body))
	}
	s.headerAccount(c, &p)
	return render(c, status, view.DialogPage(p, title, body))
}

// headerAccount puts the shown account and its switcher in the header of a
// page that has not: a dialog opened as a page, without JavaScript, says
// where it acts and can switch like every other page. An account that
// cannot be shown leaves the header as it was; the page's own errors are
// its handler's.
func (s *Server) headerAccount(c echo.Context, p *view.Page) {
	if p.AccountName != "" || principalOf(c) == nil {
		return
	}
	if account, dir, err := s.shownAccount(c); err == nil {
		setAccount(p, account, dir)
	}
}

// redirect sends the browser to url: a 303 for forms, HX-Redirect for htmx,
// whose requests would otherwise follow it inside the dialog.
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// actor is the principal of this request and its address, for the audit trail.
func actor(c echo.Context) apikey.Actor {
	return apikey.Actor{Principal: principalOf(c), IP: c.RealIP()}
}

// actorWithReason is actor with the reason the form gave (field reason),
// or the message that refuses it, which q then shows beside the field.
func actorWithReason(c echo.Context, q *view.Confirm) (apikey.Actor, bool) {
	who := actor(c)
	q.AskReason, q.Reason = true, c.FormValue("reason")
	reason, msg := validate.Reason(q.Reason)
	if msg != "" {
		if q.Errors == nil {
			q.Errors = map[string]string{}
		}
		q.Errors["reason"] = msg
		return who, false
	}
	who.Reason = reason
	return who, true
}

func keyURL(id string) string { return "/security/api-keys/" + id }

// keysPage is the frame of the key pages.
func (s *Server) keysPage(c echo.Context, title string) view.Page {
	return s.page(c, title, "api-keys", view.Crumb{Label: "Security"}, view.Crumb{Label: "API access keys", URL: "/security/api-keys"}, view.Crumb{Label: title})
}

// storageError is a database that takes no writes for now as the error
// at the top of a form: the form comes back as typed (status 503).
func storageError(err error) (map[string]string, bool) {
	if apikey.ErrorCode(err) != apikey.EUNAVAILABLE {
		return nil, false
	}
	return map[string]string{"form": apikey.ErrorMessage(err)}, true
}

// fieldError turns a refusal that belongs beside a field (a taken name, a
// custom value in use), or a database that takes no writes for now, into
// form errors; other refusals are not form errors.
func fieldError(err error) (map[string]string, int, bool) {
	if errs, ok := storageError(err); ok {
		return errs, http.StatusServiceUnavailable, true
	}
	field := apikey.ErrorField(err)
	if field == "" {
		return nil, 0, false
	}
	status := http.StatusUnprocessableEntity
	if apikey.ErrorCode(err) == apikey.ECONFLICT {
		status = http.StatusConflict
	}
	return map[string]string{field: apikey.ErrorMessage(err)}, status, true
}

// keyWithPath loads the key named by the route and its account's path to
// the root, which permission checks need.
func (s *Server) keyWithPath(c echo.Context) (*apikey.Key, []string, error) {
	k, err := s.keys.Get(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return nil, nil, err
	}
	path, err := s.accounts.Path(c.Request().Context(), k.AccountID)
	return k, path, err
}

// advancedLabels name the advanced API permissions as people read them, on
// the form and the details page alike.
var advancedLabels = map[string]string{apikey.AdvancedVerify: "Verify other keys (POST /api/v1/keys/verify)"}

// advancedLabel is the permission's name, or its id when it has none.
func advancedLabel(p string) string {
	if l, ok := advancedLabels[p]; ok {
		return l
	}
	return p
}
