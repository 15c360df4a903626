package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// A page that fails half-way sends nothing of itself: the error answer
// that follows is the whole response, not appended to half a page.
func TestRenderSendsNothingOfAFailedPage(t *testing.T) {
	t.Parallel()
	broken := errors.New("a row failed to render")
	half := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		io.WriteString(w, "<html><body><table><tr><td>half a page")
		return broken
	})
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := render(c, http.StatusOK, half); !errors.Is(err, broken) {
		t.Fatalf("render: %v", err)
	}
	if c.Response().Committed || rec.Body.Len() != 0 {
		t.Fatalf("a failed page was sent: committed %v, %q", c.Response().Committed, rec.Body.String())
	}
	whole := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "<p>whole</p>")
		return err
	})
	rec = httptest.NewRecorder()
	c = echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := render(c, http.StatusAccepted, whole); err != nil || rec.Code != http.StatusAccepted || rec.Body.String() != "<p>whole</p>" {
		t.Fatalf("render: %v, %d %q", err, rec.Code, rec.Body.String())
	}
}
