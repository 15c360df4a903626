package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// TestUsageAddressesRoundTrip: requests per client address add up across
// batches and days, keep the latest time seen, read back busiest first
// from the day asked for, and the addresses past the top n come as one
// row; rows of a key that is gone are skipped.
func TestUsageAddressesRoundTrip(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "seen")
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	row := func(day, addr string, requests, refused int, seen time.Duration) apikey.AddressUse {
		return apikey.AddressUse{KeyID: k.ID, Day: day, Address: addr, Requests: requests, Refused: refused, LastSeen: at.Add(seen)}
	}
	first := []apikey.AddressUse{
		row("2026-02-20", "192.0.2.1", 50, 0, -240*time.Hour), // before the day asked for
		row("2026-03-01", "192.0.2.1", 5, 1, -20*time.Hour),
		row("2026-03-01", "2001:db8::7", 2, 2, -19*time.Hour),
		row("2026-03-02", "192.0.2.1", 3, 0, time.Hour),
		row("2026-03-02", "198.51.100.4", 1, 0, 0),
		{KeyID: "key_gone", Day: "2026-03-02", Address: "192.0.2.1", Requests: 9, LastSeen: at},
	}
	if err := db.RecordUsageBatch(ctx, apikey.UsageBatch{Addresses: first}); err != nil {
		t.Fatal(err)
	}
	second := []apikey.AddressUse{
		row("2026-03-02", "192.0.2.1", 2, 1, 2*time.Hour),
		row("2026-03-02", "2001:db8::7", 1, 0, -time.Hour), // earlier than its day's last: the last stays
	}
	if err := db.RecordUsageBatch(ctx, apikey.UsageBatch{Addresses: second}); err != nil {
		t.Fatal(err)
	}
	got, err := db.KeyAddresses(ctx, k.ID, "2026-03-01", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []apikey.AddressUse{
		{KeyID: k.ID, Address: "192.0.2.1", Requests: 10, Refused: 2, LastSeen: at.Add(2 * time.Hour)},
		{KeyID: k.ID, Address: "2001:db8::7", Requests: 3, Refused: 2, LastSeen: at.Add(-time.Hour)},
		{KeyID: k.ID, Address: apikey.OtherAddresses, Requests: 1, Refused: 0, LastSeen: at},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	if all, _ := db.KeyAddresses(ctx, k.ID, "2026-03-01", 10); len(all) != 3 || all[2].Address != "198.51.100.4" {
		t.Fatalf("top 10: %v", all)
	}
	if none, err := db.KeyAddresses(ctx, k.ID, "2026-03-03", 10); err != nil || len(none) != 0 {
		t.Fatalf("after the last day: %v, %v", none, err)
	}
}

// TestUsageAddressesCappedPerDay: a key keeps at most AddressesPerDay
// addresses a day one by one, the busiest of a batch first; requests from
// further new addresses (in later batches too, and past one statement's
// rows) go to the day's other-addresses row, and nothing is lost. An
// address kept goes on counting by itself, and another day starts afresh.
func TestUsageAddressesCappedPerDay(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "rotating")
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	batch := func(day string, from, n, busy int) []apikey.AddressUse {
		var rows []apikey.AddressUse
		for i := from; i < from+n; i++ {
			r := apikey.AddressUse{KeyID: k.ID, Day: day, Address: fmt.Sprintf("2001:db8::%x", i), Requests: 1, LastSeen: at}
			if i == busy {
				r.Requests, r.Refused = 50, 50
			}
			rows = append(rows, r)
		}
		return rows
	}
	// The busiest address comes last, past the cap in order of arrival.
	if err := db.RecordUsageBatch(ctx, apikey.UsageBatch{Addresses: batch("2026-03-02", 0, AddressesPerDay+20, AddressesPerDay+19)}); err != nil {
		t.Fatal(err)
	}
	later := append(batch("2026-03-02", 1000, 3*usageRowsPer/2, -1), batch("2026-03-02", 0, 1, -1)...)
	later = append(later, batch("2026-03-03", 5000, 1, -1)...)
	if err := db.RecordUsageBatch(ctx, apikey.UsageBatch{Addresses: later}); err != nil {
		t.Fatal(err)
	}
	day, err := db.KeyAddresses(ctx, k.ID, "2026-03-02", 10_000)
	if err != nil {
		t.Fatal(err)
	}
	named, total := map[string]int{}, 0
	for _, a := range day {
		named[a.Address] = a.Requests
		total += a.Requests
	}
	if want := AddressesPerDay + 1 + 1; len(day) != want { // a day's addresses, the next day's one, the others
		t.Fatalf("%d rows, want %d", len(day), want)
	}
	if total != AddressesPerDay+20-1+50+3*usageRowsPer/2+1+1 {
		t.Fatalf("%d requests in all", total)
	}
	if named[fmt.Sprintf("2001:db8::%x", AddressesPerDay+19)] != 50 || named["2001:db8::0"] != 2 || named["2001:db8::1388"] != 1 {
		t.Fatalf("busiest %d, first %d, next day's %d", named[fmt.Sprintf("2001:db8::%x", AddressesPerDay+19)], named["2001:db8::0"], named["2001:db8::1388"])
	}
	if other := day[len(day)-1]; other.Address != apikey.OtherAddresses || other.Requests != 20+3*usageRowsPer/2 {
		t.Fatalf("other addresses %+v", other)
	}
}

// TestPruneUsageAddresses: the retention job removes the address rows of
// days before the cut with the daily counts, and keeps the rest.
func TestPruneUsageAddresses(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "pruned")
	at := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)
	var rows []apikey.AddressUse
	for d := 1; d <= 30; d++ {
		for i := range 40 {
			rows = append(rows, apikey.AddressUse{KeyID: k.ID, Day: fmt.Sprintf("2026-01-%02d", d), Address: fmt.Sprintf("10.0.%d.%d", d, i), Requests: 1, LastSeen: at})
		}
	}
	if err := db.RecordUsageBatch(ctx, apikey.UsageBatch{Addresses: rows}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneUsage(ctx, "2026-01-11")
	if err != nil || n != 10*40 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	left, err := db.KeyAddresses(ctx, k.ID, "2000-01-01", 10_000)
	if err != nil || len(left) != 20*40 {
		t.Fatalf("%d left: %v", len(left), err)
	}
	for _, a := range left {
		var d, i int
		if _, err := fmt.Sscanf(a.Address, "10.0.%d.%d", &d, &i); err != nil || d < 11 {
			t.Fatalf("%s outlived the cut (%v)", a.Address, err)
		}
	}
}
