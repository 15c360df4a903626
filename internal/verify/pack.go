package verify

import (
	"strings"
	"time"

	"keyconsole/internal/apikey"
)

// pack copies key k for the cache, where it lives for minutes: its strings
// into one allocation, its lists of strings into another, its times into
// the copy itself. As read from the store a key is some 25 objects, and
// the collector marks each object of each cached key on every cycle (with
// 18,000 keys in use, a cycle's marking took 20 ms of processor time while
// verifications queued behind it); packed, it is about five. Its strings
// also sit side by side, so a verification reads them in a line or two.
// k itself is left as it was.
func pack(k *apikey.Key) *loaded {
	l := &loaded{key: *k}
	c := &l.key
	var p packer
	p.strings(&c.ID, &c.AccountID, &c.Name, (*string)(&c.Type), (*string)(&c.AccessType), &c.SecretHash, &c.DisplayPrefix,
		&c.PreviousSecretHash, &c.CreatedBy, &c.UpdatedBy, &c.LastUsedFrom)
	p.list(&c.AdvancedPermissions)
	p.list(&c.AccountPath)
	if c.Roles != nil {
		c.Roles = append([]apikey.RoleGrant(nil), c.Roles...)
		for i := range c.Roles {
			g := &c.Roles[i]
			p.strings((*string)(&g.Role))
			p.list(&g.Accounts)
		}
	}
	if c.AllowedIPs != nil {
		c.AllowedIPs = append([]apikey.IPEntry(nil), c.AllowedIPs...)
		for i := range c.AllowedIPs {
			p.strings(&c.AllowedIPs[i].Source)
		}
	}
	if c.ResponseHeaders != nil {
		c.ResponseHeaders = append([]apikey.Header(nil), c.ResponseHeaders...)
		for i := range c.ResponseHeaders {
			p.strings(&c.ResponseHeaders[i].Name, &c.ResponseHeaders[i].Value)
		}
	}
	for i, t := range []**time.Time{&c.ExpiresAt, &c.PreviousValidUntil, &c.LastUsedAt} {
		if *t != nil {
			l.times[i] = **t
			*t = &l.times[i]
		}
	}
	p.done()
	return l
}

// packer gathers strings and lists of strings, to be moved into one
// allocation each by done.
type packer struct {
	text  strings.Builder
	refs  []textRef
	lists []*[]string
	items int
}

type textRef struct {
	field     *string
	from, end int
}

// strings notes fields whose text moves into the shared allocation.
func (p *packer) strings(fields ...*string) {
	for _, f := range fields {
		if *f == "" {
			continue
		}
		from := p.text.Len()
		p.text.WriteString(*f)
		p.refs = append(p.refs, textRef{f, from, p.text.Len()})
	}
}

// list notes a list whose strings, and then itself, move into the shared
// allocations (a nil list stays nil). Until done it is a copy of its own.
func (p *packer) list(l *[]string) {
	if *l == nil {
		return
	}
	*l = append(make([]string, 0, len(*l)), *l...)
	for i := range *l {
		p.strings(&(*l)[i])
	}
	p.lists = append(p.lists, l)
	p.items += len(*l)
}

// done points every noted string into one string, and every noted list
// into one backing array (each capped, so that an append copies rather
// than writes over its neighbour).
func (p *packer) done() {
	all := p.text.String()
	for _, r := range p.refs {
		*r.field = all[r.from:r.end]
	}
	backing := make([]string, 0, p.items)
	for _, l := range p.lists {
		from := len(backing)
		backing = append(backing, *l...)
		*l = backing[from:len(backing):len(backing)]
	}
}
