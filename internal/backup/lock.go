package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrInUse means a Roster process holds the database, so it cannot be
// replaced.
var ErrInUse = errors.New("a roster process is using this database")

// ErrRestoring means a restore is replacing the database right now.
var ErrRestoring = errors.New("a restore is replacing this database")

// Lock is an advisory lock on a SQLite database, held in a file beside it
// (roster.db.lock). Every process that opens the database holds it shared;
// a restore takes it exclusively, so it refuses while any server (or admin
// command) has the database open, and nothing opens the database while a
// restore replaces it. The operating system drops the lock when a process
// dies, so a killed server leaves no stale lock.
type Lock struct{ f *os.File }

// LockPath is the lock file of the database at dbPath.
func LockPath(dbPath string) string { return dbPath + ".lock" }

// Hold takes the shared lock of the database at dbPath (creating its
// directory). It fails with ErrRestoring while a restore runs.
func Hold(dbPath string) (*Lock, error) {
	l, err := openLock(dbPath)
	if err != nil {
		return nil, err
	}
	if err := lockFile(l.f, false); err != nil {
		l.f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (%s); try again when it has finished", ErrRestoring, dbPath)
		}
		return nil, fmt.Errorf("lock %s: %w", LockPath(dbPath), err)
	}
	return l, nil
}

// exclusive takes the lock for a restore; ErrInUse while anyone holds it.
func exclusive(dbPath string) (*Lock, error) {
	l, err := openLock(dbPath)
	if err != nil {
		return nil, err
	}
	if err := lockFile(l.f, true); err != nil {
		l.f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (%s): stop the server (and any roster command) using it, then restore", ErrInUse, dbPath)
		}
		return nil, fmt.Errorf("lock %s: %w", LockPath(dbPath), err)
	}
	return l, nil
}

func openLock(dbPath string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(LockPath(dbPath), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return &Lock{f: f}, nil
}

// Release drops the lock. Safe on nil.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}
