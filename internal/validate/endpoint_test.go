package validate

import (
	"strings"
	"testing"
)

func TestEndpoint(t *testing.T) {
	cases := []struct {
		id, name         string
		wantID, wantName string
		field            string
	}{
		{"", "", "", "", ""},
		{"dev-42", "", "dev-42", "dev-42", ""},
		{" tablet:7 ", " Front desk ", "tablet:7", "Front desk", ""},
		{"", "orphan name", "", "", "endpoint_id"},
		{"has space", "", "", "", "endpoint_id"},
		{strings.Repeat("a", 129), "", "", "", "endpoint_id"},
		{"ok", "bad\u202ename", "", "", "endpoint_name"},
	}
	for _, c := range cases {
		id, name, errs := Endpoint(c.id, c.name)
		if c.field != "" {
			if errs[c.field] == "" {
				t.Errorf("%q/%q: no error on %s (%v)", c.id, c.name, c.field, errs)
			}
			continue
		}
		if errs.Any() || id != c.wantID || name != c.wantName {
			t.Errorf("%q/%q: %q %q %v", c.id, c.name, id, name, errs)
		}
	}
}
