package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"keyconsole/internal/apikey"
	"keyconsole/internal/validate"
	"keyconsole/web/view"
)

// attentionText says what the keys an attention rule finds have in common,
// precisely enough to tell why a key is or is not among them.
func attentionText(rule apikey.Attention, jwtLimit time.Duration) string {
	switch rule {
	case apikey.AttentionExpiring:
		return "active keys expiring within " + spanText(apikey.ExpiringWithin)
	case apikey.AttentionUnused:
		return "active keys never used or unused for " + spanText(apikey.UnusedFor)
	case apikey.AttentionPredefined:
		return "predefined keys still active"
	case apikey.AttentionAdminUnrestricted:
		return "active keys with an admin role (" + adminRoleNames() + ") and no allowed IPs"
	case apikey.AttentionIPRefused:
		return "keys refused for IP_NOT_ALLOWED in the last " + spanText(apikey.IPRefusedWithin)
	case apikey.AttentionJWTLong:
		return "active JWT keys whose unrevoked JWT stays valid offline for more than " + spanText(jwtLimit) + " from now"
	}
	return string(rule)
}

// spanText is a duration in whole days or hours where it is one.
func spanText(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d <= 48*time.Hour:
		return countOf(int(d/time.Hour), "hour")
	case d%(24*time.Hour) == 0:
		return countOf(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return countOf(int(d/time.Hour), "hour")
	}
	return d.String()
}

func adminRoleNames() string {
	var names []string
	for _, r := range apikey.AdminRoles() {
		names = append(names, r.Label())
	}
	return strings.Join(names, ", ")
}

// countText is a capped count: "1,000+" past the cap.
func countText(n int, moreThan bool) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if moreThan {
		s += "+"
	}
	return s
}

// attentionPanel fills the list's "Needs attention" panel from the rules'
// counts: rules that found keys link to them, the others are named once.
func attentionPanel(l *view.KeyList, counts []apikey.AttentionCount, account string, jwtLimit time.Duration, canDeactivate bool) {
	l.Attention, l.Checked = []view.AttentionItem{}, []string{}
	for _, c := range counts {
		text := attentionText(c.Rule, jwtLimit)
		if c.Count == 0 {
			l.Checked = append(l.Checked, text)
			continue
		}
		l.Attention = append(l.Attention, view.AttentionItem{
			Rule: string(c.Rule), Count: countText(c.Count, c.MoreThan), Text: text,
			URL:        keyListURL(validate.KeyList{Sort: apikey.SortByName, Attention: c.Rule}, account, nil),
			Deactivate: c.Rule == apikey.AttentionPredefined && canDeactivate,
		})
	}
}

// showingAttention names the attention rule cutting the list, with the
// link that lifts it and keeps the rest of the view.
func showingAttention(l *view.KeyList, q validate.KeyList, account string, jwtLimit time.Duration) {
	if q.Attention == "" {
		return
	}
	l.Showing = attentionText(q.Attention, jwtLimit)
	l.ShowingClearURL = keyListURL(q, account, func(v url.Values) { v.Del("attention"); v.Del("page") })
}
