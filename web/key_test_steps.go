package web

import (
	"fmt"
	"net/netip"
	"strings"

	"keyconsole/internal/apikey"
	"keyconsole/internal/verify"
	"keyconsole/web/view"
)

// explainSteps lays out the test of secret (never shown back) from ip in
// the account named accountName: each of verification's checks in its
// order, what it found, and for the first that failed what would fix it
// (the answer's code names it; later ones were not reached). k is the key
// found, nil when none (or one the visitor may not see).
func explainSteps(code string, k *apikey.Key, secret string, ip netip.Addr, accountName string) []view.TestStep {
	formatOK, format, formatFix := secretFormat(secret)
	failed := -1
	for i, c := range verify.Checks {
		if c.Code == code && (c.Step != verify.StepFormat || !formatOK) {
			failed = i
			break
		}
	}
	steps := make([]view.TestStep, len(verify.Checks))
	for i, c := range verify.Checks {
		st := view.TestStep{Name: c.Name, Outcome: view.StepPassed}
		switch {
		case failed >= 0 && i > failed:
			st.Outcome, st.Detail = view.StepSkipped, "Not checked: an earlier check failed."
			steps[i] = st
			continue
		case i == failed:
			st.Outcome = view.StepFailed
		}
		failing := st.Outcome == view.StepFailed
		switch c.Step {
		case verify.StepFormat:
			st.Detail, st.Fix = format, formatFix
		case verify.StepFound:
			st.Detail, st.Fix = found(k, secret)
		case verify.StepActive:
			st.Detail = "The key is switched on."
			if failing {
				st.Detail, st.Fix = "The key is switched off.", "Activate it on its details page."
			}
		case verify.StepExpiry:
			st.Detail, st.Fix = expiry(k, failing)
		case verify.StepAddress:
			st.Detail, st.Fix = address(k, ip, failing)
		case verify.StepAccount:
			st.Detail = "The key works in " + accountName + "."
			if failing {
				st.Detail = "The key belongs to an account that does not reach " + accountName + ": a key works in its own account and those below it."
				st.Fix = "Test in the key's own account, or use a key of this one."
			}
		case verify.StepRateLimit:
			st.Detail = "Within its rate limit."
			if failing {
				st.Detail, st.Fix = "Over its rate limit right now.", "Wait a moment; the limit refills every second."
			}
		}
		steps[i] = st
	}
	return steps
}

// secretFormat says what the pasted text looks like, as verification
// tells it: a generated key (whose checksum must hold), a JWT, or a
// custom value.
func secretFormat(secret string) (ok bool, detail, fix string) {
	switch verify.ShapeOf(secret) {
	case verify.ShapeGenerated:
		return true, "A generated key; its checksum is right.", ""
	case verify.ShapeBadChecksum:
		return false, "It starts like a generated key, but its checksum is wrong: a character is mistyped, missing or extra.", "Copy the key again from where it was stored."
	case verify.ShapeJWT:
		return true, "A JWT access key (its signature is checked with the look-up).", ""
	case verify.ShapeCustom:
		return true, "A custom value.", ""
	case verify.ShapeTooLong:
		return false, fmt.Sprintf("Too long for any key: none has more than %d characters.", verify.MaxSecretLen), "Copy the key alone, without the text around it."
	}
	return false, fmt.Sprintf("Too short for any key: custom values have %d characters or more.", apikey.MinCustomLen), "Copy the whole key."
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
