package web

import (
	"maps"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
)

const maxAPILimit = 200

// jsonKeyList answers GET /api/v1/keys: the keys of account_id (default: the
// caller's own account), with the list page's q, type, status, sort and
// attention, and limit/offset paging.
func (s *Server) jsonKeyList(c echo.Context) error {
	p := principalOf(c)
	account := c.QueryParam("account_id")
	if account == "" {
		var err error
		if account, err = s.homeAccount(c, p); err != nil {
			return err
		}
	}
	limit, offset := apikey.DefaultPerPage, 0
	fields := map[string]string{}
	if v := c.QueryParam("limit"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > maxAPILimit {
			fields["limit"] = "Give a whole number from 1 to 200."
		} else {
			limit = n
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			fields["offset"] = "Give a whole number, 0 or more."
		} else {
			offset = n
		}
	}
	q := validate.KeyListQuery(validate.KeyListInput{Query: c.QueryParam("q"), Type: c.QueryParam("type"), Status: c.QueryParam("status"),
		Sort: c.QueryParam("sort"), Attention: c.QueryParam("attention")})
	maps.Copy(fields, q.Errors)
	if len(fields) > 0 {
		return validationError(fields)
	}
	now := s.now()
	page, err := s.keys.List(c.Request().Context(), actor(c), account, apikey.KeyQuery{
		Search: q.Query, Type: q.Type, Status: q.Status, Sort: q.Sort, PerPage: limit, Offset: offset, Now: now, Attention: q.Attention,
	})
	if apikey.ErrorCode(err) == apikey.EFORBIDDEN {
		return apiErr(http.StatusForbidden, "FORBIDDEN", "This API key may not see that account.")
	}
	if err != nil {
		return err
	}
	out := make([]keyOut, 0, len(page.Keys))
	sight := s.sightOf(c)
	for _, k := range page.Keys {
		o, err := sight.keyOut(k, now)
		if err != nil {
			return err
		}
		out = append(out, o)
	}
	// "total" stops at the count cap; "total_is_floor" says so.
	body := map[string]any{"keys": out, "total": page.Total, "total_is_floor": page.MoreThan, "limit": limit, "offset": offset}
	return s.apiJSON(c, http.StatusOK, body, &listInfo{count: len(out), limit: limit, offset: offset})
}

// jsonKeyGet answers GET /api/v1/keys/:id.
func (s *Server) jsonKeyGet(c echo.Context) error {
	k, err := s.keys.Get(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	o, err := s.sightOf(c).keyOut(k, s.now())
	if err != nil {
		return err
	}
	setETag(c, k.Version)
	return s.apiJSON(c, http.StatusOK, o, nil)
}
