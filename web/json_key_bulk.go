package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/keys"
	"keyconsole/internal/validate"
)

// bulkBody is what POST /api/v1/keys/bulk takes: the action, and ids or
// all_matching with the list's filter (q, type, status, attention, as GET
// /api/v1/keys takes them; here an unknown value is refused).
type bulkBody struct {
	AccountID   string   `json:"account_id"`
	Action      string   `json:"action"`
	IDs         []string `json:"ids"`
	AllMatching bool     `json:"all_matching"`
	Q           string   `json:"q"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	Attention   string   `json:"attention"`
	ExtendDays  *int     `json:"extend_days"`
	ExtendTo    string   `json:"extend_to"`
	Reason      string   `json:"reason"`
}

type bulkKeyOut struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	Why     string `json:"why,omitempty"`
}

type bulkOut struct {
	Changed   int          `json:"changed"`
	Unchanged int          `json:"unchanged"`
	Refused   int          `json:"refused"`
	Keys      []bulkKeyOut `json:"keys"`
}

// jsonKeyBulk answers POST /api/v1/keys/bulk: one action on many keys of
// an account, each checked, changed and audited on its own; 200 with what
// happened to each.
func (s *Server) jsonKeyBulk(c echo.Context) error {
	var body bulkBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	who, err := apiActorWithReason(c, body.Reason)
	if err != nil {
		return err
	}
	p := principalOf(c)
	if body.AccountID == "" {
		if body.AccountID, err = s.homeAccount(c, p); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	path, err := s.accounts.Path(ctx, body.AccountID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(bulkPermissions, func(need apikey.Permission) bool { return p.CanIn(need, path) }) {
		return apiErr(http.StatusForbidden, "FORBIDDEN", "This API key may not change keys there.")
	}
	req := keys.BulkRequest{Action: keys.BulkAction(body.Action), Selection: keys.Selection{IDs: body.IDs}}
	if body.AllMatching {
		if len(body.IDs) > 0 {
			return validationError(map[string]string{"ids": "Give ids or all_matching, not both."})
		}
		q := validate.KeyListSelection(validate.KeyListInput{Query: body.Q, Type: body.Type, Status: body.Status, Attention: body.Attention})
		if len(q.Errors) > 0 {
			return validationError(q.Errors)
		}
		req.Selection = keys.Selection{Query: &apikey.KeyQuery{Search: q.Query, Type: q.Type, Status: q.Status, Sort: q.Sort, Now: s.now(), Attention: q.Attention}}
	}
	if req.Action == keys.BulkExtend {
		days := ""
		if body.ExtendDays != nil {
			days = strconv.Itoa(*body.ExtendDays)
		}
		n, to, field, msg := validate.BulkExtension(days, body.ExtendTo, s.now())
		if msg != "" {
			return validationError(map[string]string{field: msg})
		}
		req.Extend = keys.Extension{Days: n, To: to}
	}
	res, err := s.keys.Bulk(ctx, who, body.AccountID, req)
	if err != nil {
		return err
	}
	out := bulkOut{Changed: res.Count(keys.BulkChanged), Unchanged: res.Count(keys.BulkUnchanged), Refused: res.Count(keys.BulkRefused), Keys: []bulkKeyOut{}}
	for _, it := range res.Items {
		out.Keys = append(out.Keys, bulkKeyOut{ID: it.ID, Name: it.Name, Outcome: string(it.Outcome), Why: it.Why})
	}
	return s.apiJSON(c, http.StatusOK, out, nil)
}
