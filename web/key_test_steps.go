package web

import (
	"net/netip"
	"strings"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
	"keyconsole/web/view"
)

// Verification checks a key in this order; the test shows each check,
// what it found, and for the first that fails what would fix it. The
// answer's code says which failed: the ones before passed, the ones after
// were not reached.
var testSteps = []struct {
	name  string
	fails string // the answer code when this check fails
}{
	{"Format and checksum", ""},
	{"Found", verify.NotFound},
	{"Active", verify.KeyInactive},
	{"Expiry", verify.KeyExpired},
	{"Client address", verify.IPNotAllowed},
	{"Account", verify.Forbidden},
	{"Rate limit", verify.RateLimited},
}

// explainSteps lays out the test of secret (never shown back) from ip in
// the account named accountName: k is the key found, nil when none (or
// one the visitor may not see).
func explainSteps(code string, k *apikey.Key, secret string, ip netip.Addr, accountName string) []view.TestStep {
	failed := -1
	for i, s := range testSteps {
		if s.fails != "" && s.fails == code {
			failed = i
		}
	}
	formatOK, format, formatFix := secretFormat(secret)
	if !formatOK {
		failed = 0
	}
	steps := make([]view.TestStep, len(testSteps))
	for i, s := range testSteps {
		st := view.TestStep{Name: s.name, Outcome: view.StepPassed}
		switch {
		case failed >= 0 && i > failed:
			st.Outcome, st.Detail = view.StepSkipped, "Not checked: an earlier check failed."
			steps[i] = st
			continue
		case i == failed:
			st.Outcome = view.StepFailed
		}
		switch i {
		case 0:
			st.Detail, st.Fix = format, formatFix
		case 1:
			st.Detail, st.Fix = found(k, secret)
		case 2:
			st.Detail, st.Fix = "The key is switched on.", ""
			if st.Outcome == view.StepFailed {
				st.Detail, st.Fix = "The key is switched off.", "Activate it on its details page."
			}
		case 3:
			st.Detail, st.Fix = expiry(k, st.Outcome == view.StepFailed)
		case 4:
			st.Detail, st.Fix = address(k, ip, st.Outcome == view.StepFailed)
		case 5:
			st.Detail = "The key works in " + accountName + "."
			if st.Outcome == view.StepFailed {
				st.Detail = "The key belongs to an account that does not reach " + accountName + ": a key works in its own account and those below it."
				st.Fix = "Test in the key's own account, or use a key of this one."
			}
		case 6:
			st.Detail = "Within its rate limit."
			if st.Outcome == view.StepFailed {
				st.Detail, st.Fix = "Over its rate limit right now.", "Wait a moment; the limit refills every second."
			}
		}
		steps[i] = st
	}
	return steps
}

// secretFormat says what the pasted text looks like: a generated key
// (whose checksum must hold), a JWT, or a custom value.
func secretFormat(secret string) (ok bool, detail, fix string) {
	switch {
	case strings.HasPrefix(secret, "kc_") && apikey.LooksGenerated(secret):
		return true, "A generated key; its checksum is right.", ""
	case strings.HasPrefix(secret, "kc_"):
		return false, "It starts like a generated key, but its checksum is wrong: a character is mistyped, missing or extra.", "Copy the key again from where it was stored."
	case apikey.LooksLikeJWT(secret):
		return true, "A JWT access key (its signature is checked with the look-up).", ""
	case len(secret) >= 32:
		return true, "A custom value.", ""
	}
	return false, "Too short for any key: custom values have 32 characters or more.", "Copy the whole key."
}

func found(k *apikey.Key, secret string) (string, string) {
	switch {
	case k == nil:
		return "No key has this secret: it is made up, was replaced by a regenerate, its grace period is over, or the key is in an account you cannot see.",
			"Regenerate the key and give the client the new secret."
	case apikey.HashSecret(secret) == k.SecretHash:
		return "The key “" + k.Name + "”, by its current secret.", ""
	case k.PreviousValidUntil != nil:
		return "The key “" + k.Name + "”, by its previous secret, which works until " + formatDateTime(*k.PreviousValidUntil) + " (grace period after a regenerate).", ""
	}
	return "The key “" + k.Name + "”.", ""
}

func expiry(k *apikey.Key, failed bool) (string, string) {
	switch {
	case failed:
		return "It expired " + formatDateTime(*k.ExpiresAt) + ".", "Edit the key and choose a later expiry."
	case k == nil || k.ExpiresAt == nil:
		return "It never expires.", ""
	}
	return "It expires " + formatDateTime(*k.ExpiresAt) + ".", ""
}

func address(k *apikey.Key, ip netip.Addr, failed bool) (string, string) {
	var list []string
	if k != nil {
		for _, e := range k.AllowedIPs {
			list = append(list, e.Source)
		}
	}
	switch {
	case len(list) == 0:
		return "No allow list: any address may use it.", ""
	case failed && !ip.IsValid():
		return "No client address was given, and the key works only from " + strings.Join(list, ", ") + ".", "Enter the address the client sends from."
	case failed:
		return ip.String() + " is not on the allow list (" + strings.Join(list, ", ") + ").", "Add the address to the key's allow list, or send from a listed one."
	}
	return ip.String() + " is on the allow list.", ""
}
