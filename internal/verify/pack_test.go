package verify

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"keyconsole/internal/apikey"
)

func fullKey() *apikey.Key {
	at := func(d int) *time.Time { t := time.Date(2027, 1, d, 0, 0, 0, 0, time.UTC); return &t }
	return &apikey.Key{
		ID: "key_1", AccountID: "acc_a",
		Settings: apikey.Settings{
			Name: "client", Type: apikey.TypeGeneral, AccessType: apikey.AccessGenerated, Active: true,
			AdvancedPermissions: []string{apikey.AdvancedVerify},
			Roles: []apikey.RoleGrant{{Role: apikey.RoleGlobalViewer},
				{Role: apikey.RoleAccountViewer, Accounts: []string{"acc_b", "acc_c"}}, {Role: apikey.RoleSupport, Accounts: []string{}}},
			ExpiresAt:       at(2),
			AllowedIPs:      []apikey.IPEntry{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Source: "10.0.0.0/8"}},
			ResponseHeaders: []apikey.Header{{Name: "X-Tenant", Value: "${account.name}"}},
		},
		SecretHash: "ab12", DisplayPrefix: "kc_g_AB", PreviousSecretHash: "cd34", PreviousValidUntil: at(3),
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CreatedBy: "admin", UpdatedBy: "ops",
		LastUsedAt: at(4), LastUsedFrom: "10.1.2.3", Version: 7,
		AccountPath: []string{"acc_a", "acc_root"},
	}
}

// A packed key is the key, field for field, and the key it came from is
// left as it was; its strings lie in one allocation, its lists in another
// (each capped: an append cannot write into its neighbour), its times in
// the copy itself.
func TestPackKeepsTheKey(t *testing.T) {
	t.Parallel()
	k, orig := fullKey(), fullKey()
	l := pack(k)
	if !reflect.DeepEqual(&l.key, orig) || !reflect.DeepEqual(k, orig) {
		t.Fatalf("packed %+v\nfrom %+v\nwant %+v", l.key, k, orig)
	}
	var strs []string
	walkStrings(reflect.ValueOf(&l.key).Elem(), &strs)
	lo, hi, total := uintptr(1<<63), uintptr(0), uintptr(0)
	for _, s := range strs {
		if s == "" {
			continue
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		lo, hi, total = min(lo, p), max(hi, p+uintptr(len(s))), total+uintptr(len(s))
	}
	if hi-lo != total {
		t.Errorf("the strings span %d bytes, holding %d: not one allocation", hi-lo, total)
	}
	lists := [][]string{l.key.AdvancedPermissions, l.key.AccountPath, l.key.Roles[1].Accounts}
	for i := 1; i < len(lists); i++ {
		prev := lists[i-1]
		if unsafe.Add(unsafe.Pointer(unsafe.SliceData(prev)), uintptr(len(prev))*unsafe.Sizeof("")) != unsafe.Pointer(&lists[i][0]) {
			t.Errorf("list %d does not follow list %d in one backing array", i, i-1)
		}
		if len(lists[i-1]) != cap(lists[i-1]) {
			t.Errorf("list %d is not capped", i-1)
		}
	}
	if l.key.Roles[0].Accounts != nil || l.key.Roles[2].Accounts == nil {
		t.Error("a nil list became empty, or an empty one nil")
	}
	if l.key.ExpiresAt != &l.times[0] || l.key.PreviousValidUntil != &l.times[1] || l.key.LastUsedAt != &l.times[2] {
		t.Error("the times are not held in the copy")
	}
	if bare := pack(&apikey.Key{ID: "key_2"}); bare.key.ExpiresAt != nil || bare.key.Roles != nil || bare.key.AccountPath != nil {
		t.Errorf("a bare key gained fields: %+v", bare.key)
	}
}

// walkStrings appends every string reachable from v, through structs,
// slices and pointers.
func walkStrings(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), out)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), out)
		}
	}
}
