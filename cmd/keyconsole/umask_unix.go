//go:build unix

package main

import "syscall"

// The database, its WAL and backups hold password hashes: files this
// process creates are for its own user only.
func init() { syscall.Umask(0o077) }
