package web

import (
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
)

var verifyBodySeeds = []string{
	`{"key":"kc_g_abc","client_ip":"10.1.2.3"}`,
	` { "key" : "k" , "client_ip" : "" , "account_id" : "acc_1" } ` + "\n",
	`{}`, `{ }`, `[]`, `{"key":"a","key":"b"}`, `{"Key":"a"}`, `{"key":"a\"b"}`, `{"key":"a\u00e9"}`,
	`{"key":"é日本"}`, "{\"key\":\"\xff\"}", "{\"key\":\"a\tb\"}", `{"key":1}`, `{"key":null}`, `{"key":"a",}`,
	`{"key":"a"} x`, `{"key":"a"}{}`, `{"key" "a"}`, `{"key":"a"`, `{"other":"a"}`, `{,}`, `{"key":"a" "client_ip":"b"}`,
	"\ufeff{}", `{"key":"a","client_ip":"b","account_id":"c","x":"d"}`,
}

// The fast path reads a body only as the general decoder reads it.
func FuzzVerifyBodyFast(f *testing.F) {
	for _, s := range verifyBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast verifyBody
		if !fast.decodeFast(in) {
			return
		}
		var full verifyBody
		if err := jsonv2.Unmarshal(in, &full, jsonv2.RejectUnknownMembers(true)); err != nil {
			t.Fatalf("%q: read fast as %+v, refused by the decoder: %v", in, fast, err)
		}
		if fast != full {
			t.Fatalf("%q: fast %+v, decoder %+v", in, fast, full)
		}
	})
}

// What clients send takes the fast path.
func TestVerifyBodyFastTakesPlainBodies(t *testing.T) {
	t.Parallel()
	for _, s := range verifyBodySeeds[:4] {
		var b verifyBody
		if !b.decodeFast([]byte(s)) {
			t.Errorf("%q: not read fast", s)
		}
	}
	var b verifyBody
	if !b.decodeFast([]byte(verifyBodySeeds[0])) || b.Key != "kc_g_abc" || b.ClientIP != "10.1.2.3" || b.AccountID != "" {
		t.Errorf("read %+v", b)
	}
}
