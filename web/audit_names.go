package web

import (
	"context"

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

// accountsOf lists the accounts an event mentions: its own, and those its
// changes name by id.
func accountsOf(ev apikey.AuditEvent) []string {
	ids := []string{ev.AccountID}
	for _, ch := range ev.Changes {
		ids = append(ids, ch.AccountIDs()...)
	}
	return ids
}

// change is one change in words, the accounts it names shown as the log
// shows them today.
func (n *auditNames) change(ch apikey.Change, arrow string) string {
	return changeText(ch.Text(n.name), arrow)
}
