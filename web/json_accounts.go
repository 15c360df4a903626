package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

type accountOut struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	ParentID  string    `json:"parent_id"`
	CreatedAt time.Time `json:"created_at"`
}

// jsonAccountList answers GET /api/v1/accounts: the accounts the key may see,
// parents before children.
func (s *Server) jsonAccountList(c echo.Context) error {
	accounts, err := s.accounts.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := principalOf(c)
	out := []accountOut{}
	for _, t := range accountTree(accounts) {
		if p.CanIn(apikey.ViewApiKey, t.path) {
			out = append(out, accountOut{ID: t.account.ID, Name: t.account.Name, ParentID: t.account.ParentID, CreatedAt: t.account.CreatedAt})
		}
	}
	return s.apiJSON(c, http.StatusOK, map[string]any{"accounts": out, "total": len(out)}, &listInfo{count: len(out), limit: len(out)})
}

// jsonAccountCreate answers POST /api/v1/accounts with 201 and the new
// account, which comes with its predefined keys.
func (s *Server) jsonAccountCreate(c echo.Context) error {
	var body struct {
		Name     string `json:"name"`
		ParentID string `json:"parent_id"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	name, parent, errs := validate.NewAccount(body.Name, body.ParentID)
	if errs.Any() {
		return validationError(errs)
	}
	a, err := s.accounts.Create(c.Request().Context(), actor(c), name, parent)
	if err != nil {
		return err
	}
	return s.apiJSON(c, http.StatusCreated, accountOut{ID: a.ID, Name: a.Name, ParentID: a.ParentID, CreatedAt: a.CreatedAt}, nil)
}
