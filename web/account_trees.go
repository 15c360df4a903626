package web

import (
	"context"
	"sync"
)

// treeCache keeps the account tree as built from the stored accounts for as
// long as their version (moved on by every change, in the database) stays:
// every page's directory starts from it, and building it anew from a
// thousand accounts cost more than the rest of a keys page. Each instance
// keeps its own; a change made through another is seen at the next page.
type treeCache struct {
	mu      sync.Mutex
	version int64
	tree    *builtTree
}

// builtTree is the tree in depth-first order, with each account's name,
// place and label in a picker. It is shared by pages: never changed.
type builtTree struct {
	nodes  []treeNode
	names  map[string]string
	at     map[string]int
	labels []string
}

// get returns the tree of the accounts as stored now.
func (c *treeCache) get(ctx context.Context, accounts accountService) (*builtTree, error) {
	v, err := accounts.Version(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	t := c.tree
	if c.version != v {
		t = nil
	}
	c.mu.Unlock()
	if t != nil {
		return t, nil
	}
	// Read after the version: a change between the two makes the tree
	// newer than v, never older, and the next page builds it again.
	list, err := accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	t = &builtTree{nodes: accountTree(list), names: map[string]string{}, at: map[string]int{}}
	t.labels = make([]string, len(t.nodes))
	for i, n := range t.nodes {
		t.names[n.account.ID], t.at[n.account.ID], t.labels[i] = n.account.Name, i, indent(n.depth)+n.account.Name
	}
	c.mu.Lock()
	if c.tree == nil || v >= c.version {
		c.version, c.tree = v, t
	}
	c.mu.Unlock()
	return t, nil
}
