package validate

import (
	"strings"
	"testing"

	"keyconsole/internal/apikey"
)

func TestKeyListQueryAttention(t *testing.T) {
	t.Parallel()
	for _, a := range apikey.Attentions {
		q := KeyListQuery(KeyListInput{Attention: string(a)})
		if q.Attention != a || q.Errors != nil {
			t.Errorf("%s: %+v", a, q)
		}
	}
	if q := KeyListQuery(KeyListInput{}); q.Attention != "" || q.Errors != nil {
		t.Errorf("none: %+v", q)
	}
	q := KeyListQuery(KeyListInput{Attention: "stale", Type: "general"})
	if q.Attention != "" || q.Type != apikey.TypeGeneral || !strings.Contains(q.Errors["attention"], `"stale"`) ||
		!strings.Contains(q.Errors["attention"], "expiring, unused, predefined, admin-unrestricted, ip-refused, jwt-long") {
		t.Errorf("unknown: %+v", q)
	}
}
