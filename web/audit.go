package web

import (
	"encoding/csv"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

const auditPerPage = 100

// DefaultAuditShortWindow is Config.AuditShortWindow's default. No index
// finds a part of a name under three characters (trigrams need three): it
// is matched in each event read, newest first, and one found in few
// events read the whole trail (1.3 s for a million events on SQLite, 0.8
// on PostgreSQL). Among the newest 100,000 it takes a tenth of that; the
// page says so and links to the events before them.
const DefaultAuditShortWindow = 100_000

// auditActions are the actions the log can be filtered by.
var auditActions = []string{apikey.ActionKeyCreated, apikey.ActionKeyUpdated, apikey.ActionKeyRegenerated,
	apikey.ActionKeyActivated, apikey.ActionKeyDeactivated, apikey.ActionKeyDeleted, apikey.ActionKeyMoved, apikey.ActionKeyGraceEnded,
	apikey.ActionEndpointTrust, apikey.ActionEndpointDrop,
	apikey.ActionUserCreated, apikey.ActionUserRoleChanged, apikey.ActionUserActivated, apikey.ActionUserDeactivated, apikey.ActionUserDeleted,
	apikey.ActionUserSignedIn, apikey.ActionUserSignInFail, apikey.ActionUserSignInLock, apikey.ActionPasswordChanged, apikey.ActionPasswordReset,
	apikey.ActionAccountCreated, apikey.ActionAccountMoved, apikey.ActionAccountDeleted}

// targetLabels name the kinds of things the audit trail records changes to.
var targetLabels = map[string]string{apikey.TargetKey: "Key", apikey.TargetUser: "User", apikey.TargetAccount: "Account"}

// auditQuery reads the filters shared by the page and the CSV export.
func auditQuery(c echo.Context) (validate.AuditInput, validate.AuditQuery, validate.Errors) {
	in := validate.AuditInput{Actor: c.QueryParam("actor"), Key: c.QueryParam("key"), Action: c.QueryParam("action"),
		From: c.QueryParam("from"), To: c.QueryParam("to"), Page: c.QueryParam("page")}
	q, errs := validate.AuditFilter(in, auditActions)
	return in, q, errs
}

func storeAuditQuery(q validate.AuditQuery) apikey.AuditQuery {
	return apikey.AuditQuery{Actor: q.Actor, Key: q.Key, Action: q.Action, From: q.From, To: q.To, Page: q.Page}
}

// auditScope is the account the audit log shows, and the accounts whose
// events that covers: it and every account below it (nil for all).
func (s *Server) auditScope(c echo.Context) (*apikey.Account, accountDirectory, []string, error) {
	account, _, err := s.currentAccount(c)
	if err != nil {
		return nil, accountDirectory{}, nil, err
	}
	dir, err := s.accountDirectory(c)
	if err != nil {
		return nil, accountDirectory{}, nil, err
	}
	ids := dir.below(account.ID)
	if len(ids) == len(dir.tree) {
		ids = nil // everything: events of accounts since deleted too
	}
	return account, dir, ids, nil
}

// auditLog shows the audit log of an account and those below it, newest
// first, filtered and paged.
func (s *Server) auditLog(c echo.Context) error {
	account, dir, scope, err := s.auditScope(c)
	if err != nil {
		return err
	}
	in, q, errs := auditQuery(c)
	l := view.AuditLog{Filter: view.AuditFilter{Actor: in.Actor, Key: in.Key, Action: in.Action, From: in.From, To: in.To, Errors: errs}}
	for _, a := range auditActions {
		l.Filter.Actions = append(l.Filter.Actions, view.Option{Value: a, Label: targetLabels[apikey.ActionTarget(a)] + ": " + actionLabel(a)})
	}
	params := url.Values{}
	for k, v := range map[string]string{"actor": in.Actor, "key": in.Key, "action": in.Action, "from": in.From, "to": in.To} {
		if strings.TrimSpace(v) != "" {
			params.Set(k, strings.TrimSpace(v))
		}
	}
	l.Filtered = len(params) > 0
	if id := c.QueryParam("account"); id != "" {
		params.Set("account", id)
		l.Account = id
	}
	l.CSVURL = "/security/audit.csv?" + params.Encode()
	// Who reads the whole trail sees how its chain last checked out.
	if check, err := s.audit.LastCheck(c.Request().Context(), actor(c)); err == nil {
		l.Chain = &view.ChainCheck{Entries: check.Entries, Problem: check.Problem}
		if !check.At.IsZero() {
			l.Chain.At = check.At.Format("2006-01-02 15:04 UTC")
		}
	} else if apikey.ErrorCode(err) != apikey.EFORBIDDEN {
		return err
	}
	status := http.StatusOK
	if errs.Any() {
		status = http.StatusUnprocessableEntity
	} else {
		sq := storeAuditQuery(q)
		sq.PerPage, sq.Accounts = auditPerPage, scope
		if l.Window, err = s.shortPartWindow(c, &sq, params); err != nil {
			return err
		}
		events, total, err := s.audit.List(c.Request().Context(), actor(c), sq)
		if err != nil {
			return err
		}
		l.Total, l.CountCap = total, apikey.AuditCountCap
		names := s.auditNames(c.Request().Context(), actor(c), dir)
		if err := names.learn(events...); err != nil {
			return err
		}
		for _, ev := range events {
			l.Rows = append(l.Rows, auditRow(ev, principalOf(c), names))
		}
		page := func(n int) string {
			v := maps.Clone(params)
			if n > 1 {
				v.Set("page", strconv.Itoa(n))
			}
			return "/security/audit?" + v.Encode()
		}
		if q.Page > 1 {
			l.PrevURL = page(q.Page - 1)
		}
		if q.Page*auditPerPage < total {
			l.NextURL = page(q.Page + 1)
		}
	}
	p := s.page(c, "Audit log", "audit", view.Crumb{Label: "Security"}, view.Crumb{Label: "Audit log"})
	setAccount(&p, account, dir)
	return render(c, status, view.AuditPage(p, l))
}

// shortPartWindow bounds q to the days the audit service says a short
// name part is matched in (ShortPartWindow), and says which, linking to
// the days before them: params, the page's filters, with the day before as
// the end date. (The window is found again for each page: pages of one can
// differ only if as many events as it holds were written in between.)
func (s *Server) shortPartWindow(c echo.Context, q *apikey.AuditQuery, params url.Values) (*view.AuditWindow, error) {
	from, err := s.audit.ShortPartWindow(c.Request().Context(), actor(c), *q, s.auditShortWindow)
	if from == nil || err != nil {
		return nil, err
	}
	q.From = from
	var short []string
	for _, part := range []string{q.Actor, q.Key} {
		if part != "" {
			short = append(short, "“"+part+"”")
		}
	}
	verb := " is"
	if len(short) > 1 {
		verb = " are"
	}
	earlier := maps.Clone(params)
	earlier.Set("to", from.AddDate(0, 0, -1).Format(time.DateOnly))
	w := &view.AuditWindow{Parts: strings.Join(short, " and ") + verb, From: from.Format(time.DateOnly),
		Events: countText(s.auditShortWindow, false), EarlierURL: "/security/audit?" + earlier.Encode()}
	if q.To != nil {
		w.To = q.To.AddDate(0, 0, -1).Format(time.DateOnly) // the day given, which q.To follows
	}
	return w, nil
}

// auditRow is one event as the log shows it, linking to what it changed
// where that still exists and the viewer may open it.
func auditRow(ev apikey.AuditEvent, viewer *apikey.Principal, names *auditNames) view.AuditLogRow {
	target := apikey.ActionTarget(ev.Action)
	r := view.AuditLogRow{At: formatDateTime(ev.At), Actor: ev.ActorName, ClientIP: ev.ClientIP,
		Account: names.name(ev.AccountID), AccountID: ev.AccountID,
		TargetKind: targetLabels[target], Target: ev.TargetName, Action: actionLabel(ev.Action)}
	switch {
	case ev.Action == apikey.ActionKeyDeleted || ev.Action == apikey.ActionAccountDeleted:
		r.Gone = true
	case target == apikey.TargetKey:
		r.TargetURL = keyURL(ev.TargetID)
	case target == apikey.TargetAccount:
		r.TargetURL = "/security/api-keys?account=" + url.QueryEscape(ev.TargetID)
	case target == apikey.TargetUser && viewer.Can(apikey.ManageUsers):
		r.TargetURL = "/users"
	}
	for _, ch := range ev.Changes {
		r.Changes = append(r.Changes, names.change(ch, " → "))
	}
	r.Reason = ev.Reason
	return r
}

// changeText is one change in words: "Field: before → after", or just
// "Field: value" for something that had no value before.
func changeText(ch apikey.ChangeText, arrow string) string {
	if ch.From == "" {
		return ch.Label + ": " + ch.To
	}
	return ch.Label + ": " + ch.From + arrow + ch.To
}

// auditCSV exports every event the filters select.
func (s *Server) auditCSV(c echo.Context) error {
	_, dir, scope, err := s.auditScope(c)
	if err != nil {
		return err
	}
	names := s.auditNames(c.Request().Context(), actor(c), dir)
	_, q, errs := auditQuery(c)
	if errs.Any() {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The filters are not valid: "+firstError(errs))
	}
	sq := storeAuditQuery(q)
	sq.Accounts = scope
	// Streamed as it is read: the header goes with the first row, so a
	// refusal still answers as an error page.
	var w *csv.Writer
	err = s.audit.Export(c.Request().Context(), actor(c), sq, func(ev apikey.AuditEvent) error {
		if w == nil {
			w = s.startAuditCSV(c)
		}
		// Names of deleted accounts are looked up as they first come.
		if err := names.learn(ev); err != nil {
			return err
		}
		var changes []string
		for _, ch := range ev.Changes {
			changes = append(changes, names.change(ch, " -> "))
		}
		return w.Write([]string{ev.At.UTC().Format("2006-01-02T15:04:05Z"), ev.ActorKind, cell(ev.ActorName), ev.ClientIP,
			ev.AccountID, ev.TargetID, cell(ev.TargetName), ev.Action, cell(strings.Join(changes, "; ")), cell(names.name(ev.AccountID)), cell(ev.Reason)})
	})
	if err != nil && w == nil {
		return err
	}
	if w == nil {
		w = s.startAuditCSV(c)
	}
	w.Flush()
	if err != nil {
		// Too late for an error page: the download ends short, and the log says why.
		s.logger.Error("audit export cut short", "request_id", requestIDOf(c), "err", err)
		return nil
	}
	return w.Error()
}

// startAuditCSV answers with the CSV's headers and its first line.
func (s *Server) startAuditCSV(c echo.Context) *csv.Writer {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="keyconsole-audit.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	// The account's name comes last, so columns read by place stay where they were.
	w.Write([]string{"time_utc", "actor_kind", "actor", "client_ip", "account_id", "target_id", "target_name", "action", "changes", "account", "reason"})
	return w
}

// cell keeps a spreadsheet from running a value as a formula: names are
// chosen by people, and "=HYPERLINK(...)" is a name like any other.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
