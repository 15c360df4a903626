package web

import (
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"keyconsole/internal/apikey"
)

// Verifications answered from several connections at once, while the
// tally is logged again and again, are each counted in exactly one tally
// line, by code, and none has a request line of its own.
func TestVerifyTallyCountsEveryAnswerOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, caller := ts.addKey(t, "verifier", func(k *apikey.Key) { k.AdvancedPermissions = []string{apikey.AdvancedVerify} })
	_, client := ts.addKey(t, "client")
	const workers, each = 4, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := client
				if (w+i)%4 == 0 {
					key = "kc_gen_never-issued-but-long-enough"
				}
				req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/keys/verify", strings.NewReader(`{"key":"`+key+`"}`))
				req.Header.Set("X-Api-Key", caller)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("verify: %d", res.StatusCode)
				}
			}
		})
	}
	stop := repeatAlongside(ts.srv.logVerifyTally)
	wg.Wait()
	stop()
	ts.srv.logVerifyTally()

	logs := ts.logs.String()
	if n := strings.Count(logs, "route=/api/v1/keys/verify"); n != 0 {
		t.Errorf("%d verifications logged one by one", n)
	}
	sum := map[string]int{}
	line := regexp.MustCompile(`msg=verifications (.*) period=\S+\n`)
	pair := regexp.MustCompile(`(\w+)=(\d+)`)
	for _, m := range line.FindAllStringSubmatch(logs, -1) {
		for _, p := range pair.FindAllStringSubmatch(m[1], -1) {
			n, _ := strconv.Atoi(p[2])
			sum[p[1]] += n
		}
	}
	unknown := workers * each / 4
	if want := map[string]int{"valid": workers*each - unknown, "not_found": unknown, "requests": workers * each}; !maps.Equal(sum, want) {
		t.Errorf("tallied %v, want %v:\n%s", sum, want, logs)
	}
}
