package apikey

import (
	"errors"
	"time"
)

// InstanceAlive is how recently an instance must have been heard from to
// count as running.
const InstanceAlive = 10 * time.Second

// ErrNoListen says a database cannot wake other instances on a change (one
// SQLite file has one process); they poll instead.
var ErrNoListen = errors.New("this database cannot notify other instances; poll instead")

// SyncStatus says whether a key's newest change has reached every running
// instance of the console.
type SyncStatus struct {
	Instances int               // instances heard from recently
	Lagging   []LaggingInstance // those that have not applied it yet
}

// LaggingInstance is an instance that has not yet applied a change.
type LaggingInstance struct {
	Name  string
	Since time.Time // when the change was made
}

// KeyChange is one committed change to a key.
type KeyChange struct {
	Seq   int64
	KeyID string
}

// Instance is one running keyconsole and how far it has applied changes.
type Instance struct {
	ID         string
	Name       string
	StartedAt  time.Time
	SeenAt     time.Time
	AppliedSeq int64
	AppliedAt  time.Time
}
