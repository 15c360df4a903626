package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"keyconsole/internal/apikey"
)

// headerRowsIn reads the key form's header rows as "name=value", with
// " (excluded)" when ticked.
func headerRowsIn(doc *goquery.Document) []string {
	var out []string
	doc.Find(`table.header-rows tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		name, _ := tr.Find(`input[name="header_name"]`).Attr("value")
		value, _ := tr.Find(`input[name="header_value"]`).Attr("value")
		row := name + "=" + value
		if _, on := tr.Find(`input[name="header_excluded"]`).Attr("checked"); on {
			row += " (excluded)"
		}
		out = append(out, row)
	})
	return out
}

// TestAddHeaderRowWithoutJavaScript: "Add another header" sends the add form
// back as typed, with one more empty row (named for its place, and taking
// the focus), and saves nothing; the form then saves every row. On the edit
// form it keeps the version the form was read at.
func TestAddHeaderRowWithoutJavaScript(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, body := ts.get(t, "/security/api-keys/new")
	v := formValues(parseHTML(t, body).Find(`[data-testid="key-form"]`))
	v.Set("name", "Header key")
	v.Set("allowed_ips", "10.0.0.0/8")
	v["header_name"], v["header_value"], v["header_excluded"] = []string{"X-Team", "X-Env"}, []string{"payments", "prod"}, []string{"1"}
	v.Set("add_header", "Add another header")
	res, body := ts.admin.post(t, "/security/api-keys", v)
	doc := parseHTML(t, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("add a row: %d", res.StatusCode)
	}
	if p, _ := ts.db.ListKeys(context.Background(), storeQuery(ts, "Header key")); p.Total != 0 {
		t.Fatal("adding a row saved the key")
	}
	if got := headerRowsIn(doc); !slices.Equal(got, []string{"X-Team=payments", "X-Env=prod (excluded)", "="}) {
		t.Errorf("rows %q", got)
	}
	added := doc.Find(`table.header-rows tbody tr`).Last().Find(`input[name="header_name"]`)
	if label, _ := added.Attr("aria-label"); label != "Header name, row 3" || added.AttrOr("autofocus", "none") == "none" {
		t.Errorf("the new row is %q, autofocus %v", label, added.AttrOr("autofocus", "none"))
	}
	if name, _ := doc.Find(`#name`).Attr("value"); name != "Header key" || strings.TrimSpace(doc.Find(`#allowed_ips`).Text()) != "10.0.0.0/8" {
		t.Errorf("typed fields not kept: %q", name)
	}

	v = formValues(doc.Find(`[data-testid="key-form"]`))
	v["header_name"], v["header_value"] = []string{"X-Team", "X-Env", "X-Region"}, []string{"payments", "prod", "eu"}
	if res, _ := ts.admin.post(t, "/security/api-keys", v); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	k := keyByName(t, ts, "Header key")
	if got := apikey.HeadersText(k.ResponseHeaders); got != "X-Team: payments; X-Env: prod (excluded); X-Region: eu" {
		t.Errorf("stored %s", got)
	}

	_, body = ts.get(t, keyURL(k.ID)+"/edit")
	v = formValues(parseHTML(t, body).Find(`[data-testid="key-form"]`))
	v.Set("add_header", "Add another header")
	res, body = ts.admin.post(t, keyURL(k.ID), v)
	doc = parseHTML(t, body)
	if res.StatusCode != http.StatusOK || len(headerRowsIn(doc)) != 6 || doc.Find(`input[name="version"]`).AttrOr("value", "") != "1" {
		t.Fatalf("edit, add a row: %d, rows %q, version %q", res.StatusCode, headerRowsIn(doc), doc.Find(`input[name="version"]`).AttrOr("value", ""))
	}
	if got, _ := ts.db.Key(context.Background(), k.ID); got.Version != 1 {
		t.Errorf("adding a row saved the edit: version %d", got.Version)
	}
}

// TestBrowserAddHeaderRow: with scripts, "Add another header" adds an empty
// row in place, focused; without, the form comes back with one, focused,
// with what was typed. Either way the key saves with every row.
func TestBrowserAddHeaderRow(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := newBrowser(t, ts)
	b.signIn("admin", "pw-admin-long-enough")
	plain := b.another().withoutJavaScript()
	plain.signIn("admin", "pw-admin-long-enough")
	for _, c := range []struct {
		b         *browser
		name      string
		form      string
		navigates bool
	}{
		{b, "With script", openDialog + ` [data-testid="key-form"]`, false},
		{plain, "Without script", `[data-testid="dialog-page"] [data-testid="key-form"]`, true},
	} {
		c.b.open("/security/api-keys")
		c.b.do(chromedp.Click(chromedp.CSS(`[data-testid="add-key"]`)), chromedp.WaitVisible(chromedp.CSS(c.form)))
		c.b.do(chromedp.SendKeys(chromedp.ID("name"), c.name))
		for i, h := range []string{"X-One", "X-Two"} {
			c.b.do(chromedp.SendKeys(chromedp.CSS(c.form+` input[aria-label="Header name, row `+string(rune('1'+i))+`"]`), h),
				chromedp.SendKeys(chromedp.CSS(c.form+` input[aria-label="Header value, row `+string(rune('1'+i))+`"]`), "v"))
		}
		add := chromedp.Click(chromedp.CSS(c.form + ` [data-testid="add-header"]`))
		if c.navigates {
			c.b.navigates(add)
		} else {
			c.b.do(add)
		}
		third := c.form + ` input[aria-label="Header name, row 3"]`
		c.b.do(chromedp.WaitVisible(chromedp.CSS(third)))
		if !c.b.js(`document.activeElement === document.querySelector('` + third + `')`) {
			t.Errorf("%s: the new row has no focus", c.name)
		}
		if v := run(c.b, chromedp.Value(chromedp.ID("name"))); v != c.name {
			t.Errorf("%s: the name became %q", c.name, v)
		}
		c.b.do(chromedp.SendKeys(chromedp.CSS(third), "X-Three"),
			chromedp.SendKeys(chromedp.CSS(c.form+` input[aria-label="Header value, row 3"]`), "v"),
			chromedp.Click(chromedp.CSS(c.form+` input[aria-label="Excluded, row 3"]`)),
			chromedp.Click(chromedp.CSS(c.form+` .form-actions button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="secret-dialog"]`)))
		if got := apikey.HeadersText(keyByName(t, ts, c.name).ResponseHeaders); got != "X-One: v; X-Two: v; X-Three: v (excluded)" {
			t.Errorf("%s: stored %s", c.name, got)
		}
	}
}
