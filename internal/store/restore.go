package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"keyconsole/internal/apikey"
)

// Restore replaces the SQLite file target with the backup at backupPath.
// The backup is copied beside target and checked there (every page, and a
// schema this version knows); a server still using target is refused; the
// target's -wal and -shm, which SQLite would replay into the new file and
// corrupt it, are removed; and the copy replaces target in one rename.
func Restore(ctx context.Context, backupPath, target string) error {
	if IsPostgresURL(target) {
		return errors.New("restore replaces SQLite files; restore PostgreSQL with pg_restore")
	}
	if err := refuseInUse(ctx, target); err != nil {
		return err
	}
	tmp, err := copyBeside(backupPath, target)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := checkBackup(ctx, tmp); err != nil {
		return fmt.Errorf("the backup %s: %w", backupPath, err)
	}
	for _, stale := range []string{target + "-wal", target + "-shm"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}

// refuseInUse fails when an instance of the server wrote its heartbeat to
// target lately: replacing the file under it would lose its writes.
func refuseInUse(ctx context.Context, target string) error {
	if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := OpenExisting(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	alive, err := db.Instances(ctx, time.Now().UTC().Add(-apikey.InstanceAlive))
	if err != nil {
		return err
	}
	if len(alive) > 0 {
		return fmt.Errorf("a server is using %s (%s): stop it first", target, alive[0].Name)
	}
	return nil
}

// copyBeside copies the backup into target's folder (so that the last
// step is a rename within one file system), synced to disk.
func copyBeside(backupPath, target string) (string, error) {
	src, err := os.Open(backupPath)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.CreateTemp(filepath.Dir(target), filepath.Base(target)+".restore-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Chmod(0o600)
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", err
	}
	return dst.Name(), nil
}

// checkBackup opens the copy as it is and checks it; closing folds any
// log SQLite made back into the file.
func checkBackup(ctx context.Context, path string) error {
	db, err := OpenExisting(ctx, path)
	if err != nil {
		return err
	}
	err = db.QuickCheck(ctx)
	if err == nil {
		err = db.refuseNewer(ctx, db.knownMigrations())
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return errors.New("its log could not be folded in")
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
