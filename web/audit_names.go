package web

import (
	"context"
	"regexp"

	"keyconsole/internal/apikey"
)

// auditNames names the accounts an audit trail mentions by id: by name
// where the visitor may see them, as apikey.AnotherAccount where not, and
// a deleted account (to a reader of the whole trail) by the name the trail
// recorded for it, else by its id, marked "(deleted)".
type auditNames struct {
	dir    accountDirectory
	whole  bool              // the visitor reads the whole trail, deleted accounts too
	gone   map[string]string // recorded names of deleted accounts; "" for none recorded
	lookup func(ids []string) (map[string]string, error)
}

// maxGoneNames bounds what a long CSV export remembers of deleted accounts.
const maxGoneNames = 512

func (s *Server) auditNames(ctx context.Context, who apikey.Actor, dir accountDirectory) *auditNames {
	whole := false
	for _, t := range dir.tree {
		whole = whole || t.depth == 0 && who.CanIn(apikey.ViewAudit, t.path)
	}
	return &auditNames{dir: dir, whole: whole, gone: map[string]string{}, lookup: func(ids []string) (map[string]string, error) {
		return s.audit.DeletedAccountNames(ctx, who, ids)
	}}
}

// name is the account's name as the log shows it.
func (n *auditNames) name(id string) string {
	switch _, exists := n.dir.names[id]; {
	case id == "":
		return ""
	case exists:
		return n.dir.roleName(id)
	case !n.whole:
		return apikey.AnotherAccount
	case n.gone[id] != "":
		return n.gone[id] + " (deleted)"
	}
	return id + " (deleted)"
}

// learn reads, in one query, the recorded names of the deleted accounts
// among those events mention that are not known yet.
func (n *auditNames) learn(events ...apikey.AuditEvent) error {
	if !n.whole {
		return nil
	}
	var missing []string
	for _, ev := range events {
		for _, id := range accountsOf(ev) {
			if _, exists := n.dir.names[id]; exists || id == "" {
				continue
			}
			if _, known := n.gone[id]; !known {
				n.gone[id] = ""
				missing = append(missing, id)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	found, err := n.lookup(missing)
	if err != nil {
		return err
	}
	if len(n.gone) > maxGoneNames {
		clear(n.gone)
	}
	for _, id := range missing {
		n.gone[id] = found[id]
	}
	return nil
}

// accountID is how account ids look (apikey.NewID("acc")).
var accountID = regexp.MustCompile(`\bacc_[0-9A-Za-z]{16}\b`)

// roleFields are the changes whose values name accounts by id: a role's
// scope, recorded by id as names change.
var roleFields = map[string]bool{"Role": true, "Roles": true}

// accountsOf lists the accounts an event mentions: its own, and those in
// the scopes of the roles it changed.
func accountsOf(ev apikey.AuditEvent) []string {
	ids := []string{ev.AccountID}
	for _, ch := range ev.Changes {
		if roleFields[ch.Field] {
			ids = append(ids, accountID.FindAllString(ch.From+" "+ch.To, -1)...)
		}
	}
	return ids
}

// change is one change in words, the accounts of a role's scope by name.
func (n *auditNames) change(ch apikey.Change, arrow string) string {
	if roleFields[ch.Field] {
		ch.From = accountID.ReplaceAllStringFunc(ch.From, n.name)
		ch.To = accountID.ReplaceAllStringFunc(ch.To, n.name)
	}
	return changeText(ch, arrow)
}
