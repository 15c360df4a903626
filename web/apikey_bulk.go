package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/keys"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

const bulkPath = "/security/api-keys/bulk"

// bulkWords is how each bulk action is put in words.
var bulkWords = map[keys.BulkAction]struct{ label, will, did string }{
	keys.BulkDeactivate: {"Deactivate", "will be deactivated", "Deactivated"},
	keys.BulkActivate:   {"Activate", "will be activated", "Activated"},
	keys.BulkExtend:     {"Extend expiry", "will get a later expiry", "Extended the expiry of"},
	keys.BulkDelete:     {"Delete", "will be deleted for good", "Deleted"},
}

// bulkPermissions are those that let a visitor try a bulk action at all;
// the keys service decides for each key (support, which may regenerate
// Chrome keys, is let in and refused key by key).
var bulkPermissions = []apikey.Permission{apikey.ModifyApiKey, apikey.DeleteApiKey, apikey.RegenerateChromeKey}

// keyBulkBar is the bar of bulk actions for the list, or nil when the
// visitor may take none here. It carries the list's query (from selfURL,
// whatever the list filters on), so "all matching" selects what it shows.
func (s *Server) keyBulkBar(c echo.Context, accountID string, path []string, page apikey.KeyPage, list view.KeyList) (*view.KeyBulk, error) {
	p := principalOf(c)
	b := &view.KeyBulk{MaxKeys: strconv.Itoa(keys.MaxBulkKeys), Filtered: list.Filtered}
	for _, a := range keys.BulkActions {
		need := apikey.ModifyApiKey
		if a == keys.BulkDelete {
			need = apikey.DeleteApiKey
		}
		if p.CanIn(need, path) {
			b.Actions = append(b.Actions, view.Option{Value: string(a), Label: bulkWords[a].label})
		}
	}
	if len(b.Actions) == 0 || len(list.Rows) == 0 {
		return nil, nil
	}
	self, err := url.Parse(list.SelfURL)
	if err != nil {
		return nil, err
	}
	params := self.Query()
	params.Del("page")
	params.Set("account", accountID)
	for _, name := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[name] {
			b.Hidden = append(b.Hidden, view.Field{Name: name, Value: v})
		}
	}
	b.Hidden = append(b.Hidden, view.Field{Name: "return", Value: list.SelfURL})
	if list.Total > len(list.Rows) || list.MoreThan {
		// The list counted the account's own keys among those it shows:
		// the ones "all matching" may act on.
		b.AllMatching, b.AllMoreThan = page.Own, page.OwnMoreThan
		b.AllTooMany = page.OwnMoreThan || page.Own > keys.MaxBulkKeys
	}
	return b, nil
}

// apiKeyBulk asks before a bulk action on the keys ticked in the list (id,
// repeated) or on all the list's filter matches (all=1 with the list's
// query), counting what will change; a confirmed post carries it out and
// returns to the list with what happened. The selection, the action and an
// extension travel in the query, so the question and its post agree.
func (s *Server) apiKeyBulk(c echo.Context) error {
	account, path, err := s.currentAccount(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	if !slices.ContainsFunc(bulkPermissions, func(need apikey.Permission) bool { return p.CanIn(need, path) }) {
		return echo.ErrForbidden
	}
	list := "/security/api-keys?" + url.Values{"account": {account.ID}}.Encode()
	v := view.BulkConfirm{
		Action: bulkPath + "?" + c.QueryString(), Return: returnTo(c, list),
		CSRFToken: csrfToken(c), Errors: map[string]string{},
	}
	v.CancelURL = v.Return
	action := keys.BulkAction(c.QueryParam("action"))
	if action == "" && c.Request().Method == http.MethodGet {
		return c.Redirect(http.StatusSeeOther, v.Return) // the bar sent without a button: nothing chosen
	}
	words, ok := bulkWords[action]
	if !ok {
		return apikey.FieldErrorf(apikey.EINVALID, "action", "Choose what to do: deactivate, activate, extend expiry or delete.")
	}
	title := words.label + " keys"
	ask := func(status int) error {
		return s.renderDialog(c, status, s.keysPage(c, title), title, view.BulkConfirmBody(v))
	}
	req := keys.BulkRequest{Action: action, Selection: keys.Selection{IDs: c.QueryParams()["id"]}}
	if c.QueryParam("all") == "1" {
		lq := validate.KeyListSelection(keyListInput(c))
		// Acting on every key is not what a filter it does not know meant;
		// the first field in order is named, the same one every time.
		if fields := slices.Sorted(maps.Keys(lq.Errors)); len(fields) > 0 {
			return echo.NewHTTPError(http.StatusBadRequest, lq.Errors[fields[0]])
		}
		req.Selection = keys.Selection{Query: keyQueryOf(lq, s.now())}
	}
	if action == keys.BulkExtend {
		var status int
		if req.Extend, v.Extending, status = s.bulkExtension(c, &v); status != 0 {
			return ask(status)
		}
	}
	ctx := c.Request().Context()
	who := actor(c)
	status := http.StatusOK
	switch {
	case confirmed(c):
		v.Reason = c.FormValue("reason")
		reason, msg := validate.Reason(v.Reason)
		if msg == "" {
			who.Reason = reason
			done, err := s.keys.Bulk(ctx, who, account.ID, req)
			if apikey.ErrorCode(err) != apikey.EINVALID {
				if err != nil {
					return err
				}
				return s.bulkDone(c, action, done, v.Return)
			}
		}
		v.Errors["reason"], status = msg, http.StatusUnprocessableEntity
	case c.Request().Method == http.MethodPost:
		v.Errors["confirm"] = nothingChanged
	}
	// Asked, or asked again: what the action would do now.
	plan, err := s.keys.PlanBulk(ctx, who, account.ID, req)
	if apikey.ErrorCode(err) == apikey.EINVALID {
		v.Refusal = apikey.ErrorMessage(err)
		return ask(http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	bulkQuestion(&v, action, plan)
	return ask(status)
}

// bulkExtension reads how to extend from the query: its absence or a
// mistake asks for it (the status to answer with), else the extension and
// what it is in words.
func (s *Server) bulkExtension(c echo.Context, v *view.BulkConfirm) (keys.Extension, string, int) {
	days, date := c.QueryParam("extend_days"), c.QueryParam("extend_to")
	query := c.QueryParams()
	chosen := query.Has("extend_days") || query.Has("extend_to")
	n, to, field, msg := validate.BulkExtension(days, date, s.now())
	// extend_again asks for the extension again, as chosen (its Change link).
	if chosen && msg == "" && !query.Has("extend_again") {
		again, _ := url.ParseQuery(c.QueryString())
		again.Set("extend_again", "1")
		v.ChangeURL = bulkPath + "?" + again.Encode()
		if to != nil {
			return keys.Extension{To: to}, "Extending to the end of " + date + " (UTC), where that is later than a key's expiry now.", 0
		}
		return keys.Extension{Days: n}, "Extending by " + countOf(n, "day") + " from each key's current expiry (from now for a key expired already).", 0
	}
	e := &view.BulkExtend{Action: bulkPath, Days: days, Date: date, Errors: map[string]string{}}
	for name, values := range c.QueryParams() {
		if name == "extend_days" || name == "extend_to" || name == "extend_again" {
			continue
		}
		for _, val := range values {
			e.Hidden = append(e.Hidden, view.Field{Name: name, Value: val})
		}
	}
	slices.SortStableFunc(e.Hidden, func(a, b view.Field) int { return strings.Compare(a.Name, b.Name) })
	v.Extend = e
	if !chosen || msg == "" {
		return keys.Extension{}, "", http.StatusOK
	}
	e.Errors[field] = msg
	return keys.Extension{}, "", http.StatusUnprocessableEntity
}

// bulkNamesShown bounds the keys a question names as changing or staying
// (a thousand names would bury the rest); refused keys are all named.
const bulkNamesShown = 100

// bulkQuestion puts the plan in v: the counts, the keys under each, and
// the button.
func bulkQuestion(v *view.BulkConfirm, action keys.BulkAction, plan keys.BulkResult) {
	words := bulkWords[action]
	changing := plan.With(keys.BulkChanged)
	v.Button = words.label + " " + countOf(len(changing), "key")
	v.Danger = action == keys.BulkDelete || action == keys.BulkDeactivate
	if len(changing) > 0 {
		v.Summary = append(v.Summary, countOf(len(changing), "key")+" "+words.will+".")
	} else {
		v.Summary = append(v.Summary, "None of these keys would change.")
	}
	for _, why := range unchangedWhys(plan) {
		n := 0
		for _, it := range plan.With(keys.BulkUnchanged) {
			if groupOf(it.Why) == why {
				n++
			}
		}
		v.Summary = append(v.Summary, countOf(n, "key")+" will stay as "+itThey(n)+" "+isAre(n)+" ("+why+").")
	}
	if n := plan.Count(keys.BulkRefused); n > 0 {
		v.Summary = append(v.Summary, countOf(n, "key")+" you may not change (listed below).")
	}
	for i, it := range changing {
		if i < bulkNamesShown {
			v.Changes = append(v.Changes, bulkKey(it))
		}
		if it.Predefined {
			v.Predefined = append(v.Predefined, it.Name)
		}
	}
	v.ChangesMore = max(0, len(changing)-bulkNamesShown)
	unchanged := plan.With(keys.BulkUnchanged)
	for _, it := range unchanged[:min(len(unchanged), bulkNamesShown)] {
		v.Unchanged = append(v.Unchanged, bulkKey(it))
	}
	v.UnchangedMore = max(0, len(unchanged)-bulkNamesShown)
	for _, it := range plan.With(keys.BulkRefused) {
		v.Refused = append(v.Refused, bulkKey(it))
	}
	switch action {
	case keys.BulkDeactivate:
		v.Warning = "Every client that uses these keys is refused from the next request on, until they are activated again."
	case keys.BulkDelete:
		v.Warning = "Every client that uses these keys is refused from the next request on. Deleting cannot be undone; to stop keys for a while, deactivate them instead."
		if len(v.Predefined) > 0 {
			v.Warning += " Predefined keys deleted do not come back: the account keeps working with the keys of its own."
		}
	}
}

// unchangedWhys lists the reasons keys stay as they are, each once, in
// the order first met: the expiry of each key is left out, so that keys
// that expire later already count together.
func unchangedWhys(plan keys.BulkResult) []string {
	var whys []string
	for _, it := range plan.With(keys.BulkUnchanged) {
		if w := groupOf(it.Why); !slices.Contains(whys, w) {
			whys = append(whys, w)
		}
	}
	return whys
}

func groupOf(why string) string {
	if i := strings.Index(why, " ("); i > 0 {
		return why[:i]
	}
	return why
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func itThey(n int) string {
	if n == 1 {
		return "it"
	}
	return "they"
}

func bulkKey(it keys.BulkItem) view.BulkKey {
	k := view.BulkKey{Name: it.Name, Why: it.Why}
	if it.DisplayPrefix != "" {
		k.Hint = apikey.KeyHint(it.DisplayPrefix)
	}
	return k
}

// Bounds of the refused keys a flash names: it travels in the session
// cookie, which browsers keep small.
const (
	flashRefusedNames = 5
	flashNameLen      = 40
)

// bulkDone ends a bulk action: a flash with the counts, another naming
// the refused keys with why (grouped by why), then back to the list.
func (s *Server) bulkDone(c echo.Context, action keys.BulkAction, res keys.BulkResult, next string) error {
	words := bulkWords[action]
	msg := words.did + " " + countOf(res.Count(keys.BulkChanged), "key") + "."
	if n := res.Count(keys.BulkUnchanged); n > 0 {
		msg += " " + countOf(n, "key") + " stayed as " + itThey(n) + " " + wasWere(n) + "."
	}
	if n := res.Count(keys.BulkRefused); n > 0 {
		msg += " " + countOf(n, "key") + " refused."
	}
	if err := s.flash(c, msg); err != nil {
		return err
	}
	if refused := refusedText(res.With(keys.BulkRefused)); refused != "" {
		if err := s.flash(c, refused); err != nil {
			return err
		}
	}
	return redirect(c, next)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// refusedText names the refused keys, grouped by why: "Refused: “a”,
// “b”: You do not have permission to do this."
func refusedText(refused []keys.BulkItem) string {
	if len(refused) == 0 {
		return ""
	}
	var whys []string
	names := map[string][]string{}
	for _, it := range refused {
		if _, ok := names[it.Why]; !ok {
			whys = append(whys, it.Why)
		}
		names[it.Why] = append(names[it.Why], it.Name)
	}
	var parts []string
	for _, why := range whys {
		n := names[why]
		shown := make([]string, 0, flashRefusedNames)
		for _, name := range n[:min(len(n), flashRefusedNames)] {
			if r := []rune(name); len(r) > flashNameLen {
				name = string(r[:flashNameLen]) + "…"
			}
			shown = append(shown, "“"+name+"”")
		}
		text := strings.Join(shown, ", ")
		if len(n) > flashRefusedNames {
			text += fmt.Sprintf(" and %d more", len(n)-flashRefusedNames)
		}
		parts = append(parts, text+": "+why)
	}
	return "Refused " + strings.Join(parts, " ")
}
