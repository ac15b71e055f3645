// Package backup makes and restores copies of a SQLite Roster database
// (`roster backup FILE`, `roster restore FILE`). PostgreSQL is backed up with
// its own tools (pg_dump, pg_restore; see README "Operating Roster").
//
// A backup is consistent while the server runs: VACUUM INTO copies the
// database as of one read transaction, whatever commits meanwhile. Webhook
// signing secrets are encrypted under the server key; when that key is the
// file generated in the data directory (no ROSTER_SECRET_KEY), the backup
// copies it beside the database as FILE.secret.key, and restore puts it back,
// because the database alone could not decrypt them.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
)

// KeyFileName is the generated server key's file in the data directory
// (app.Open reads it when ROSTER_SECRET_KEY is unset).
const KeyFileName = "secret.key"

// KeySuffix names a backup's copy of the key file: FILE + KeySuffix.
const KeySuffix = ".secret.key"

// Result describes a backup or restore.
type Result struct {
	File          string // the backup file
	SchemaVersion int
	Bytes         int64
	KeyFile       string // the copied key file, "" when there was none
}

// Backup copies the SQLite database d into file (replacing it atomically
// when it exists) and the generated key file, if any, to file.secret.key.
func Backup(ctx context.Context, d *db.DB, file string) (Result, error) {
	if d.Dialect != db.SQLite {
		return Result{}, errors.New("roster backup copies SQLite databases; back up PostgreSQL with pg_dump (README: Operating Roster)")
	}
	file, err := filepath.Abs(file)
	if err != nil {
		return Result{}, err
	}
	if same(file, d.Location) {
		return Result{}, fmt.Errorf("the backup file %s is the database itself", file)
	}
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Result{}, fmt.Errorf("create backup directory: %w", err)
	}
	// VACUUM INTO refuses an existing file: write a fresh name beside the
	// target, then rename, so a reader never sees half a backup.
	tmp := filepath.Join(dir, "."+filepath.Base(file)+".tmp-"+access.NewID(8))
	defer os.Remove(tmp)
	if _, err := d.Write().ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		return Result{}, fmt.Errorf("copy the database: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return Result{}, err
	}
	version, err := check(ctx, tmp)
	if err != nil {
		return Result{}, fmt.Errorf("check the copy: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return Result{}, fmt.Errorf("move the backup into place: %w", err)
	}
	res := Result{File: file, SchemaVersion: version}
	if st, err := os.Stat(file); err == nil {
		res.Bytes = st.Size()
	}
	key := filepath.Join(filepath.Dir(d.Location), KeyFileName)
	if _, err := os.Stat(key); err == nil {
		if err := copyFile(key, file+KeySuffix, 0o600); err != nil {
			return res, fmt.Errorf("copy the secret key file: %w", err)
		}
		res.KeyFile = file + KeySuffix
	}
	return res, syncDir(dir)
}

// Restore replaces the SQLite database at dbPath with the backup file, and
// installs the backup's key file beside it. It refuses while any roster
// process has the database open (ErrInUse), a backup that is not a sound
// Roster database, one from a newer release (db.ErrSchemaNewer), and a key
// file that differs from one already in the data directory.
func Restore(ctx context.Context, file, dbPath string) (Result, error) {
	file, err := filepath.Abs(file)
	if err != nil {
		return Result{}, err
	}
	if same(file, dbPath) {
		return Result{}, fmt.Errorf("the backup file %s is the database itself", file)
	}
	version, err := check(ctx, file)
	if err != nil {
		return Result{}, fmt.Errorf("%s is not a usable Roster backup: %w", file, err)
	}
	lock, err := exclusive(dbPath)
	if err != nil {
		return Result{}, err
	}
	defer lock.Release()

	res := Result{File: file, SchemaVersion: version}
	keySrc, keyDst := file+KeySuffix, filepath.Join(filepath.Dir(dbPath), KeyFileName)
	installKey := false
	if want, err := os.ReadFile(keySrc); err == nil {
		have, err := os.ReadFile(keyDst)
		switch {
		case errors.Is(err, os.ErrNotExist):
			installKey = true
		case err != nil:
			return res, fmt.Errorf("read %s: %w", keyDst, err)
		case strings.TrimSpace(string(have)) != strings.TrimSpace(string(want)):
			return res, fmt.Errorf("%s holds another secret key than the backup's %s: the restored webhook secrets could not be "+
				"decrypted with it; move it away (keep it if another database needs it) and restore again", keyDst, keySrc)
		}
	}

	dir := filepath.Dir(dbPath)
	tmp := filepath.Join(dir, ".restore-"+access.NewID(8))
	defer os.Remove(tmp)
	if err := copyFile(file, tmp, 0o600); err != nil {
		return res, fmt.Errorf("copy the backup: %w", err)
	}
	// The old database's WAL must go before the new file takes its name:
	// SQLite would otherwise replay the old pages onto the new database.
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(dbPath + side); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("remove the old %s file: %w", side, err)
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return res, fmt.Errorf("move the restored database into place: %w", err)
	}
	if installKey {
		if err := copyFile(keySrc, keyDst, 0o600); err != nil {
			return res, fmt.Errorf("install the secret key file: %w", err)
		}
		res.KeyFile = keyDst
	}
	if st, err := os.Stat(dbPath); err == nil {
		res.Bytes = st.Size()
	}
	return res, syncDir(dir)
}

// check opens a database file read-only, verifies its integrity and returns
// its schema version; a schema newer than this binary is refused.
func check(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var verdict string
	if err := conn.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&verdict); err != nil {
		return 0, fmt.Errorf("not a SQLite database: %w", err)
	}
	if verdict != "ok" {
		return 0, fmt.Errorf("damaged: %s", verdict)
	}
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("no Roster schema: %w", err)
	}
	migs, err := db.Migrations(db.SQLite)
	if err != nil {
		return 0, err
	}
	if newest := migs[len(migs)-1].Version; int(v.Int64) > newest {
		return 0, fmt.Errorf("%w: the backup is at migration %04d, this roster knows up to %04d; restore it with that release or a later one",
			db.ErrSchemaNewer, v.Int64, newest)
	}
	return int(v.Int64), nil
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	_ = f.Sync() // not every file system syncs directories; the rename stands either way
	return nil
}
