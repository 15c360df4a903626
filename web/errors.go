package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/web/view"
)

// statusOf maps a domain error code to an HTTP status.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	switch apikey.ErrorCode(err) {
	case apikey.ENOTFOUND:
		return http.StatusNotFound
	case apikey.ECONFLICT:
		return http.StatusConflict
	case apikey.EINVALID:
		return http.StatusUnprocessableEntity
	case apikey.EFORBIDDEN:
		return http.StatusForbidden
	case apikey.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// messageOf is what a person may read about err: the domain message, the
// standard text of an HTTP status, never a driver's or a stack's.
func messageOf(err error, status int) string {
	var ae *apikey.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if m, ok := he.Message.(string); ok && m != http.StatusText(status) {
			return m
		}
	}
	switch status {
	case http.StatusNotFound:
		return "There is nothing at this address."
	case http.StatusForbidden:
		return "You do not have permission to do this."
	case http.StatusMethodNotAllowed:
		return "This address does not take that method."
	case http.StatusInternalServerError:
		return "Something went wrong on our side. It has been logged; please try again."
	}
	return http.StatusText(status) + "."
}

// statusClientClosed is what a request its client abandoned is counted as.
const statusClientClosed = 499

// handleError answers every error a handler returns: JSON under /api/, a
// page elsewhere. Internal errors are logged with the request id only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The client went away (its request cancelled a read); nobody is
		// left to answer and nothing failed here. Counted and logged as
		// 499, nginx's "client closed request", not as our error.
		c.Response().Status = statusClientClosed
		return
	}
	status := statusOf(err)
	switch {
	case status == http.StatusServiceUnavailable:
		// Every request fails alike until the disk is freed: once a minute.
		if s.unready.due("storage", s.now()) {
			s.logger.Error("the database takes no writes", "request_id", requestIDOf(c), "err", err)
		}
	case status >= 500:
		s.logger.Error("request failed", "request_id", requestIDOf(c), "err", err)
	}
	msg := messageOf(err, status)
	var werr error
	if isAPI(c.Request()) {
		ae := apiErrorFrom(err)
		body := map[string]any{"code": ae.Code, "message": ae.Message}
		if len(ae.Fields) > 0 {
			body["fields"] = ae.Fields
		}
		s.applyKeyHeaders(c, nil)
		werr = writeJSON(c, ae.Status, map[string]any{"error": body})
	} else {
		// A signed-in visitor keeps the console's frame: header, menu, user.
		p, roleMay := s.page(c, http.StatusText(status), ""), ""
		if v := visitOf(c); status == http.StatusForbidden && v != nil && v.user != nil {
			roleMay = "Your role, " + v.user.Role.Label() + ", may " + v.user.Role.Scope() + "."
		}
		werr = render(c, status, view.ErrorPage(p, status, msg, roleMay))
	}
	if werr != nil {
		s.logger.Error("writing error answer", "request_id", requestIDOf(c), "err", werr)
	}
}

// apiCodeOf gives the contract's JSON error code for a status.
func apiCodeOf(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "FORBIDDEN"
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "CONFLICT"
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		return "VALIDATION"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusServiceUnavailable:
		return "STORAGE_UNAVAILABLE"
	}
	return "INTERNAL"
}
