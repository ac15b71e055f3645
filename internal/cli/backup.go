package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/rosterhq/roster/internal/backup"
	"github.com/rosterhq/roster/internal/db"
)

// backupCmd is `roster backup FILE`: a consistent copy of the live SQLite
// database (and its generated secret key file) without stopping the server.
func backupCmd(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("backup", env)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: roster backup FILE [--data-dir DIR | --database-url PATH]")
	}
	opts := db.Options{URL: c.cfg.DatabaseURL, DataDir: c.cfg.DataDir}
	if _, ok := db.SQLitePath(opts); !ok {
		return errors.New("roster backup copies SQLite databases; back up PostgreSQL with pg_dump (README: Operating Roster)")
	}
	// Opened without migrating: a backup copies the database as it is.
	d, err := db.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := backup.Backup(ctx, d, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s (schema version %d, %d bytes)\n", d.Location, res.File, res.SchemaVersion, res.Bytes)
	if res.KeyFile != "" {
		fmt.Fprintf(env.Stdout, "secret key file copied to %s: keep it with the backup, it decrypts the webhook secrets\n", res.KeyFile)
	} else {
		fmt.Fprintln(env.Stdout, "webhook secrets are encrypted with ROSTER_SECRET_KEY: keep that key with the backup")
	}
	return nil
}

// restoreCmd is `roster restore FILE`: puts a backup in place of the SQLite
// database, refusing while a roster process uses it.
func restoreCmd(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("restore", env)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: roster restore FILE [--data-dir DIR | --database-url PATH]")
	}
	path, ok := db.SQLitePath(db.Options{URL: c.cfg.DatabaseURL, DataDir: c.cfg.DataDir})
	if !ok {
		return errors.New("roster restore restores SQLite databases; restore PostgreSQL with pg_restore (README: Operating Roster)")
	}
	res, err := backup.Restore(ctx, pos[0], path)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s from %s (schema version %d, %d bytes)\n", path, res.File, res.SchemaVersion, res.Bytes)
	if res.KeyFile != "" {
		fmt.Fprintf(env.Stdout, "secret key file installed at %s\n", res.KeyFile)
	}
	return nil
}

// parseInterleaved parses flags before and after positional arguments
// (`roster backup FILE --data-dir DIR`), returning the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
