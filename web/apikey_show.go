package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"keyconsole/internal/apikey"
	"keyconsole/internal/keys"
	"keyconsole/internal/usage"
	"keyconsole/internal/verify"
	"keyconsole/web/view"
)

// auditTabSize is how many of a key's newest events its audit tab shows.
const auditTabSize = 100

// apiKeyShow is the details page: every setting, who made and changed the
// key, when it was last used, and its audit trail.
func (s *Server) apiKeyShow(c echo.Context) error {
	ctx := c.Request().Context()
	k, path, err := s.keyWithPath(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	canRegenerate, err := s.keys.CanRegenerate(ctx, p, k, path)
	if err != nil {
		return err
	}
	status, tone := keyStatus(k, s.now())
	dir, err := s.accountDirectory(c)
	if err != nil {
		return err
	}
	d := view.KeyDetails{
		ID: k.ID, URL: keyURL(k.ID), Name: k.Name, KeyHint: apikey.KeyHint(k.DisplayPrefix), Status: status, StatusTone: tone,
		Active: k.Active, Tab: "settings", Settings: keySettings(k, dir.roleName),
		CanEdit:       p.CanIn(apikey.ModifyApiKey, path),
		CanRegenerate: canRegenerate,
		CanDelete:     p.CanIn(apikey.DeleteApiKey, path),
		CanAudit:      p.CanIn(apikey.ViewAudit, path),
	}
	// Opened from an account below the key's own, the key is inherited:
	// read-only here, with the way to where it can be changed.
	owner, err := s.accounts.Get(ctx, k.AccountID)
	if err != nil {
		return err
	}
	shown, viewing := owner, k.AccountID
	if c.QueryParam("account") != "" {
		// The account must be one the visitor may see, and the key must
		// work there: its own account or one below.
		a, viewingPath, err := s.currentAccount(c)
		if err != nil {
			return err
		}
		if !slices.Contains(viewingPath, k.AccountID) {
			return apikey.Errorf(apikey.ENOTFOUND, "This key does not work in that account.")
		}
		shown, viewing = a, a.ID
	}
	if viewing != k.AccountID {
		d.InheritedFrom = owner.Name
		if p.CanIn(apikey.ViewApiKey, path) {
			d.OwnerURL = keyURL(k.ID) + "?account=" + url.QueryEscape(k.AccountID)
		}
		d.CanEdit, d.CanRegenerate, d.CanDelete = false, false, false
		d.ViewingAccount = viewing
	}
	d.CanMove = d.CanEdit && keys.MoveRefusal(k) == nil
	if d.Sync, d.SyncLagging, err = s.keySync(c, k.ID); err != nil {
		return err
	}
	if d.OldSecretHead = k.StaleSecretHead(); d.OldSecretHead != "" {
		d.NewSecretHead = apikey.SecretHead(k.Type)
	}
	if k.PreviousSecretHash != "" && k.PreviousValidUntil != nil && s.now().Before(*k.PreviousValidUntil) {
		d.GraceUntil = formatDateTime(*k.PreviousValidUntil)
	}
	if k.AccessType == apikey.AccessJWT {
		j, err := s.keys.JWT(ctx, actor(c), k.ID)
		if err != nil && apikey.ErrorCode(err) != apikey.ENOTFOUND {
			return err
		}
		d.JWTOffline = jwtOfflineText(j, s.now())
	}
	if c.QueryParam("tab") == "endpoints" {
		d.Tab = "endpoints"
		eps, err := s.keys.Endpoints(ctx, actor(c), k.ID)
		if err != nil {
			return err
		}
		for _, e := range eps {
			action := "trust"
			if e.Trusted {
				action = "distrust"
			}
			d.Endpoints = append(d.Endpoints, view.EndpointRow{ID: e.EndpointID, Name: e.Name, Trusted: e.Trusted,
				FirstSeen: formatDateTime(e.FirstSeenAt), LastSeen: formatDateTime(e.LastSeenAt),
				ActionURL: keyURL(k.ID) + "/endpoints/" + url.PathEscape(e.EndpointID) + "/" + action})
		}
	}
	if c.QueryParam("tab") == "usage" {
		d.Tab = "usage"
		since := s.now().AddDate(0, 0, -30).Format("2006-01-02")
		counts, err := s.keys.Usage(ctx, actor(c), k.ID, since)
		if err != nil {
			return err
		}
		d.Usage, d.UsageCodes = usageRows(counts)
		d.UsageChart = usageChart(counts, s.now())
		addrs, err := s.keys.Addresses(ctx, actor(c), k.ID, since, usageAddressesShown)
		if err != nil {
			return err
		}
		d.UsageAddresses = addressRows(addrs)
	}
	if c.QueryParam("tab") == "audit" && d.CanAudit {
		d.Tab = "audit"
		events, err := s.keys.Audit(ctx, actor(c), k.ID, auditTabSize)
		if err != nil {
			return err
		}
		names := s.auditNames(ctx, actor(c), dir)
		if err := names.learn(events...); err != nil {
			return err
		}
		for _, ev := range events {
			row := view.AuditRow{At: formatDateTime(ev.At), Actor: ev.ActorName, ClientIP: ev.ClientIP, Action: actionLabel(ev.Action), Reason: ev.Reason}
			for _, ch := range ev.Changes {
				row.Changes = append(row.Changes, names.change(ch, " → "))
			}
			d.Audit = append(d.Audit, row)
		}
	}
	pg := s.keysPage(c, k.Name)
	setAccount(&pg, shown, dir)
	return render(c, http.StatusOK, view.KeyDetailsPage(pg, d))
}

// keySync says whether the key's newest change has reached every running
// instance: "Applied on all 2 instances", or which one lags and since when.
func (s *Server) keySync(c echo.Context, id string) (string, bool, error) {
	st, err := s.keys.Sync(c.Request().Context(), actor(c), id)
	if err != nil {
		return "", false, err
	}
	switch {
	case st.Instances == 0:
		return "", false, nil
	case len(st.Lagging) == 0 && st.Instances == 1:
		return "Applied on the one running instance", false, nil
	case len(st.Lagging) == 0:
		return fmt.Sprintf("Applied on all %d instances", st.Instances), false, nil
	}
	// Host names are for those who run the service, not for customers.
	if p := principalOf(c); !p.HasRole(apikey.RoleGlobalAdmin) && !p.HasRole(apikey.RoleGlobalViewer) {
		return fmt.Sprintf("Not yet applied on %d of %d instances (changed %s)", len(st.Lagging), st.Instances, formatDateTime(st.Lagging[0].Since)), true, nil
	}
	var names []string
	for _, l := range st.Lagging {
		names = append(names, l.Name)
	}
	return fmt.Sprintf("Not yet applied on %s (changed %s)", strings.Join(names, ", "), formatDateTime(st.Lagging[0].Since)), true, nil
}

// usageRows turns daily counts into a table, newest day first, with a
// column for each refusal code that occurred.
func usageRows(counts []apikey.UsageCount) ([]view.UsageRow, []string) {
	var codes, days []string
	byDay := map[string]map[string]int{}
	for _, c := range counts {
		if byDay[c.Day] == nil {
			byDay[c.Day] = map[string]int{}
			days = append(days, c.Day)
		}
		byDay[c.Day][c.Code] += c.Count
		if c.Code != verify.Valid && !slices.Contains(codes, c.Code) {
			codes = append(codes, c.Code)
		}
	}
	slices.Sort(codes)
	slices.Reverse(days)
	rows := make([]view.UsageRow, 0, len(days))
	for _, day := range days {
		r := view.UsageRow{Day: day, Accepted: byDay[day][verify.Valid]}
		for _, code := range codes {
			r.Refused = append(r.Refused, byDay[day][code])
		}
		rows = append(rows, r)
	}
	return rows, codes
}

// usageAddressesShown is how many client addresses the usage tab lists one
// by one; the rest share a row.
const usageAddressesShown = 10

// addressRows turns a key's busiest client addresses into the usage tab's rows.
func addressRows(addrs []apikey.AddressUse) []view.AddressRow {
	rows := make([]view.AddressRow, 0, len(addrs))
	for _, a := range addrs {
		rows = append(rows, view.AddressRow{Address: a.Address, Others: a.Address == apikey.OtherAddresses,
			Requests: a.Requests, Refused: a.Refused,
			LastSeen: formatDateTime(a.LastSeen), LastSeenISO: a.LastSeen.UTC().Format(time.RFC3339)})
	}
	return rows
}

// keySettings lists a key's settings as the details page shows them.
func keySettings(k *apikey.Key, roleAccount func(string) string) []view.Setting {
	ips := "Any address"
	if len(k.AllowedIPs) > 0 {
		var parts []string
		for _, e := range k.AllowedIPs {
			parts = append(parts, e.Source)
		}
		ips = strings.Join(parts, ", ")
	}
	lastUsed := "Never"
	if k.LastUsedAt != nil {
		lastUsed = formatDateTime(*k.LastUsedAt)
		if k.LastUsedFrom != "" {
			lastUsed += " from " + k.LastUsedFrom
		}
		// Written at most once in the interval while the key is in use:
		// the time may be behind by up to that much.
		lastUsed += fmt.Sprintf(" (kept to within %d minutes)", int(usage.LastUseEvery/time.Minute))
	}
	access := map[apikey.AccessType]string{apikey.AccessGenerated: "Generated", apikey.AccessCustom: "Custom value",
		apikey.AccessJWT: "Signed JWT (public keys at /.well-known/jwks.json)"}[k.AccessType]
	yes := func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	}
	advanced := "None"
	if len(k.AdvancedPermissions) > 0 {
		labels := make([]string, len(k.AdvancedPermissions))
		for i, p := range k.AdvancedPermissions {
			labels[i] = advancedLabel(p)
		}
		advanced = strings.Join(labels, ", ")
	}
	return []view.Setting{
		{Label: "Type", Value: k.Type.Label()},
		{Label: "Secret", Value: access},
		{Label: "Key prefix", Value: apikey.KeyHint(k.DisplayPrefix), Mono: true},
		{Label: "Key id", Value: k.ID, Mono: true},
		{Label: "Roles", Value: apikey.RolesTextNamed(k.Roles, roleAccount)},
		{Label: "Advanced permissions", Value: advanced},
		{Label: "Allow unauthenticated requests", Value: yes(k.AllowUnauthenticated)},
		{Label: "Allow untrusted endpoints", Value: yes(k.AllowUntrustedEndpoints)},
		{Label: "Automatic endpoint trust", Value: yes(k.AutoEndpointTrust)},
		{Label: "Expires", Value: apikey.ExpiryText(k.ExpiresAt)},
		{Label: "Allowed IP addresses", Value: ips},
		{Label: "Response headers", Value: apikey.HeadersText(k.ResponseHeaders)},
		{Label: "Created", Value: formatDateTime(k.CreatedAt) + " by " + k.CreatedBy},
		{Label: "Last change", Value: formatDateTime(k.UpdatedAt) + " by " + k.UpdatedBy},
		{Label: "Last used", Value: lastUsed},
	}
}

// actionLabels say each audited action in words; the target column says
// whether it was a key, a user or an account.
var actionLabels = map[string]string{
	apikey.ActionKeyCreated: "Created", apikey.ActionKeyUpdated: "Edited", apikey.ActionKeyRegenerated: "Secret regenerated",
	apikey.ActionKeyActivated: "Activated", apikey.ActionKeyDeactivated: "Deactivated", apikey.ActionKeyDeleted: "Deleted",
	apikey.ActionKeyMoved:      "Moved to another account",
	apikey.ActionKeyGraceEnded: "Old secret stopped", apikey.ActionEndpointTrust: "Endpoint trusted", apikey.ActionEndpointDrop: "Endpoint distrusted",
	apikey.ActionUserCreated: "Created", apikey.ActionUserRoleChanged: "Role changed",
	apikey.ActionUserActivated: "Activated", apikey.ActionUserDeactivated: "Deactivated", apikey.ActionUserDeleted: "Deleted",
	apikey.ActionUserSignedIn: "Signed in", apikey.ActionUserSignInFail: "Sign-in failed", apikey.ActionUserSignInLock: "Sign-in locked out",
	apikey.ActionPasswordChanged: "Password changed", apikey.ActionPasswordReset: "Password reset",
	apikey.ActionAccountCreated: "Created", apikey.ActionAccountMoved: "Moved", apikey.ActionAccountDeleted: "Deleted",
}

func actionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	return action
}

// apiKeyEndpointTrust and apiKeyEndpointDistrust set an endpoint's trust
// and return to the Endpoints tab.
func (s *Server) apiKeyEndpointTrust(c echo.Context) error    { return s.setEndpointTrust(c, true) }
func (s *Server) apiKeyEndpointDistrust(c echo.Context) error { return s.setEndpointTrust(c, false) }

func (s *Server) setEndpointTrust(c echo.Context, trusted bool) error {
	k, err := s.keys.SetEndpointTrust(c.Request().Context(), actor(c), c.Param("id"), c.Param("endpoint"), trusted)
	if err != nil {
		return err
	}
	msg := "The endpoint " + c.Param("endpoint") + " is trusted: it may sign users in with “" + k.Name + "”."
	if !trusted {
		msg = "The endpoint " + c.Param("endpoint") + " is no longer trusted by “" + k.Name + "”; its refresh tokens ended."
	}
	return s.done(c, msg, keyURL(k.ID)+"?tab=endpoints")
}

// jwtOfflineText tells how long an offline checker may still accept the
// key's JWT j once revoked (nil: a JWT signed before JWTs were recorded).
func jwtOfflineText(j *apikey.KeyJWT, now time.Time) string {
	if j == nil {
		return "Offline checkers: this JWT was signed before revocations were published, so they cannot be told when it is revoked. Regenerate it to get one they can."
	}
	list := fmt.Sprintf("a checker that fetches /.well-known/revoked-jwts.json (cached up to %d seconds) refuses it within %d seconds of the revocation; one that does not accepts it until its exp, %s.",
		int(RevocationListMaxAge.Seconds()), int(RevocationListMaxAge.Seconds()), formatDateTime(j.ExpiresAt))
	switch {
	case j.RevokedAt == nil:
		return "Offline checkers: this JWT (jti " + j.ID + ") is valid until " + formatDateTime(j.ExpiresAt) +
			". Once the key is deactivated, regenerated or deleted, " + list + " It carries the roles it was signed with: regenerate it after changing them."
	case now.Before(*j.RevokedAt):
		return "Offline checkers: this JWT (jti " + j.ID + ") is listed as revoked from " + formatDateTime(*j.RevokedAt) + " (the key's expiry); then " + list
	}
	return "Offline checkers: this JWT (jti " + j.ID + ") is listed as revoked since " + formatDateTime(*j.RevokedAt) + "; " + list
}
