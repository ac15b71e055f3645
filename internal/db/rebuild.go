package db

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// integerIDKey matches a rowid-alias id column that is not yet AUTOINCREMENT.
// Without AUTOINCREMENT SQLite hands out max(rowid)+1, so deleting the newest
// group gives its id to the next one and a stale reference in an integration
// silently points at a different object.
var integerIDKey = regexp.MustCompile(`(?i)\bid(\s+)INTEGER(\s+)PRIMARY(\s+)KEY\b(\s+AUTOINCREMENT\b)?`)

// rebuildWithAutoincrement recreates table so that its integer id is
// AUTOINCREMENT, keeping rows, indexes and triggers. SQLite cannot add
// AUTOINCREMENT with ALTER TABLE; this is the rebuild its documentation
// describes (https://sqlite.org/lang_altertable.html#otheralter), and it needs
// foreign keys off, which sqliteMigrate arranges.
func rebuildWithAutoincrement(ctx context.Context, tx *sql.Tx, table string) error {
	var ddl string
	err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1`, table).Scan(&ddl)
	if err != nil {
		return fmt.Errorf("read %s definition: %w", table, err)
	}
	m := integerIDKey.FindStringSubmatchIndex(ddl)
	if m == nil {
		return fmt.Errorf("rebuild %s: no integer id primary key", table)
	}
	if m[8] >= 0 { // already AUTOINCREMENT
		return nil
	}
	ddl = ddl[:m[1]] + " AUTOINCREMENT" + ddl[m[1]:]
	tmp := table + "__rebuild"
	head, rest, ok := strings.Cut(ddl, "(")
	if !ok || !strings.Contains(head, table) {
		return fmt.Errorf("rebuild %s: unexpected definition %q", table, head)
	}
	ddl = "CREATE TABLE " + tmp + " (" + rest

	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = $1 AND type IN ('index', 'trigger') AND sql IS NOT NULL`, table)
	if err != nil {
		return fmt.Errorf("read %s indexes: %w", table, err)
	}
	var dependents []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		dependents = append(dependents, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	stmts := []string{
		ddl,
		"INSERT INTO " + tmp + " SELECT * FROM " + table,
		"DROP TABLE " + table,
		"ALTER TABLE " + tmp + " RENAME TO " + table,
	}
	stmts = append(stmts, dependents...)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("rebuild %s: %w", table, err)
		}
	}
	return nil
}

// autoincrementEverywhere gives every table with an integer id AUTOINCREMENT,
// so that ids are never handed out twice (PostgreSQL identities never are).
func autoincrementEverywhere(ctx context.Context, tx *sql.Tx) error {
	tables, err := tablesWithReusableIDs(ctx, tx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if err := rebuildWithAutoincrement(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// tablesWithReusableIDs lists the tables whose integer id may be reused.
func tablesWithReusableIDs(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'river_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return nil, err
		}
		if m := integerIDKey.FindStringSubmatchIndex(ddl); m != nil && m[8] < 0 {
			out = append(out, name)
		}
	}
	return out, rows.Err()
}

// TablesWithReusableIDs lists the SQLite tables whose integer id is not
// AUTOINCREMENT; a test keeps it empty as migrations are added.
func (db *DB) TablesWithReusableIDs(ctx context.Context) ([]string, error) {
	if db.Dialect != SQLite {
		return nil, nil
	}
	return tablesWithReusableIDs(ctx, db.read)
}
