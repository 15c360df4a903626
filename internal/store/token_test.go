package store

import (
	"context"
	"testing"
	"time"

	"keyconsole/internal/apikey"
)

// The revocation list follows a JWT key's state: an expiry brought forward
// lists the JWT from then, a grace period lists the old JWT from its end,
// an expired JWT drops off the list.
func TestRevokedJWTsFollowTheKey(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	exp := now.Add(365 * 24 * time.Hour)
	first := &apikey.KeyJWT{ID: "jti-1", SecretHash: apikey.HashSecret("jwt-1"), ExpiresAt: exp}
	k := newKey(t, db, root(t, db), "offline", func(k *apikey.Key) {
		k.AccessType, k.SecretHash, k.IssuedJWT = apikey.AccessJWT, first.SecretHash, first
	})
	listed := func() map[string]apikey.KeyJWT {
		t.Helper()
		out := map[string]apikey.KeyJWT{}
		got, err := db.RevokedJWTs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range got {
			out[j.ID] = j
		}
		return out
	}
	// The expiry brought forward to tomorrow: listed from tomorrow on.
	tomorrow := now.Add(24 * time.Hour)
	k.ExpiresAt, k.IssuedJWT = &tomorrow, nil
	if err := db.UpdateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	if len(listed()) != 0 {
		t.Fatal("listed before the new expiry")
	}
	j, err := db.KeyJWT(ctx, k.ID, first.SecretHash)
	if err != nil || j.RevokedAt == nil || !j.RevokedAt.Equal(tomorrow) {
		t.Fatalf("revocation at the expiry: %+v %v", j, err)
	}
	// Pushed back again: the JWT stands until its own exp.
	k.ExpiresAt = nil
	if err := db.UpdateKey(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.KeyJWT(ctx, k.ID, first.SecretHash); j.RevokedAt != nil {
		t.Fatalf("still revoked: %+v", j)
	}
	// Regenerated with an hour's grace: the old JWT is listed from then.
	second := &apikey.KeyJWT{ID: "jti-2", SecretHash: apikey.HashSecret("jwt-2"), ExpiresAt: exp}
	k.IssuedJWT = second
	until := now.Add(time.Hour)
	if err := db.ReplaceSecret(ctx, k, second.SecretHash, "eyJ", apikey.AccessJWT, &until, "admin", nil); err != nil {
		t.Fatal(err)
	}
	if len(listed()) != 0 {
		t.Fatal("listed during the grace period")
	}
	*now = now.Add(2 * time.Hour)
	if got := listed(); len(got) != 1 || got["jti-1"].ExpiresAt.Unix() != exp.Unix() {
		t.Fatalf("after the grace period: %+v", got)
	}
	// Once expired, it is no longer listed.
	*now = exp.Add(time.Second)
	if got := listed(); len(got) != 0 {
		t.Fatalf("expired JWT still listed: %+v", got)
	}
}

// A refresh token used twice is seen as used; ending its chain ends every
// token of the sign-in and no other.
func TestRefreshChains(t *testing.T) {
	t.Parallel()
	db, now := openTest(t)
	ctx := context.Background()
	k := newKey(t, db, root(t, db), "app")
	u := &apikey.User{AccountID: root(t, db), Username: "mia", PasswordHash: "x", Role: apikey.RoleGlobalViewer, Active: true, CreatedBy: "admin"}
	if err := db.CreateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	add := func(hash, chain, old string) error {
		return db.AddRefreshToken(ctx, apikey.RefreshToken{Hash: hash, UserID: u.ID, KeyID: k.ID, ChainID: chain, ExpiresAt: now.Add(time.Hour)}, old, *now)
	}
	for _, step := range [][3]string{{"a1", "A", ""}, {"a2", "A", "a1"}, {"b1", "B", ""}} {
		if err := add(step[0], step[1], step[2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := add("a3", "A", "a1"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Fatalf("a used token rotated again: %v", err)
	}
	if a1, err := db.RefreshTokenByHash(ctx, "a1"); err != nil || a1.UsedAt == nil || a1.ChainID != "A" {
		t.Fatalf("used token: %+v %v", a1, err)
	}
	if err := db.EndRefreshChain(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	for chain, want := range map[string]bool{"A": false, "B": true} {
		if live, err := db.RefreshChainLive(ctx, chain, u.ID, *now); err != nil || live != want {
			t.Errorf("chain %s live %v, want %v (%v)", chain, live, want, err)
		}
	}
	// Expired tokens are swept; those still in date stay.
	if err := add("c1", "C", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteExpiredTokens(ctx, now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RefreshTokenByHash(ctx, "c1"); err != nil {
		t.Errorf("token in date swept: %v", err)
	}
	if err := db.DeleteExpiredTokens(ctx, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RefreshTokenByHash(ctx, "b1"); apikey.ErrorCode(err) != apikey.ENOTFOUND {
		t.Errorf("expired token kept: %v", err)
	}
}
