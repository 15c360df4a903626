package web

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAuditLog(t *testing.T) {
	ts := newTestServer(t)
	ts.admin.post(t, "/security/api-keys", createForm("=HYPERLINK(\"http://evil\")"))
	ts.admin.post(t, "/security/api-keys", createForm("Plain key"))
	k := keyByName(t, ts, "Plain key")
	ts.admin.post(t, keyURL(k.ID)+"/deactivate", url.Values{})
	ts.admin.post(t, keyURL(k.ID)+"/delete", url.Values{})

	_, body := ts.get(t, "/security/audit")
	doc := parseHTML(t, body)
	if n := doc.Find(`[data-testid="audit-log-row"]`).Length(); n != 4 {
		t.Fatalf("%d rows, want 4", n)
	}
	if first := doc.Find(`[data-testid="audit-log-row"]`).First().Text(); !strings.Contains(first, "Deleted") || !strings.Contains(first, "(deleted)") {
		t.Errorf("newest first: %q", first)
	}
	for query, want := range map[string]int{
		"?action=key.created":                  2,
		"?key=plain":                           3,
		"?key=" + k.ID:                         3,
		"?actor=ADMIN":                         4,
		"?actor=nobody":                        0,
		"?from=" + ts.now.Format("2006-01-02"): 4,
		"?to=" + ts.now.AddDate(0, 0, -1).Format("2006-01-02"): 0,
	} {
		_, body := ts.get(t, "/security/audit"+query)
		if n := parseHTML(t, body).Find(`[data-testid="audit-log-row"]`).Length(); n != want {
			t.Errorf("%s: %d rows, want %d", query, n, want)
		}
	}
	// Bad filters are said beside their field, and kept.
	res, body := ts.get(t, "/security/audit?from=31/03/2026&to=2026-01-01&action=key.exploded")
	doc = parseHTML(t, body)
	if res.StatusCode != 422 || doc.Find(`[data-testid="error-from"]`).Text() == "" || doc.Find(`[data-testid="error-action"]`).Text() == "" {
		t.Fatalf("bad filters: %d", res.StatusCode)
	}
	if v, _ := doc.Find("#from").Attr("value"); v != "31/03/2026" {
		t.Errorf("from not kept: %q", v)
	}
	if res, body := ts.get(t, "/security/audit?from=2026-05-02&to=2026-05-01"); res.StatusCode != 422 || !strings.Contains(body, "before the start") {
		t.Errorf("reversed range: %d", res.StatusCode)
	}

	// The CSV holds the same events; a name that looks like a formula is defused.
	res, body = ts.get(t, "/security/audit.csv?action=key.created")
	if res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv headers %v", res.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "time_utc" {
		t.Fatalf("csv: %v %d rows", err, len(rows))
	}
	names := rows[1][6] + "|" + rows[2][6]
	if !strings.Contains(names, `'=HYPERLINK("http://evil")`) {
		t.Errorf("formula not defused: %q", names)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", rows[1][0]); err != nil {
		t.Errorf("time column %q", rows[1][0])
	}
}
