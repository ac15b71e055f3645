package db

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsNoRows reports whether err means a query matched no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique or primary-key constraint
// failure, judged by the driver's error code rather than its message.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// UniqueViolationOn reports whether err is a unique violation of a constraint
// covering column. PostgreSQL names the constraint (ours are named after
// their columns); SQLite lists "table.column" in its message. Reading the
// error beats querying afterwards: PostgreSQL has aborted the transaction.
func UniqueViolationOn(err error, column string) bool {
	if !IsUniqueViolation(err) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.Contains(pg.ConstraintName, column)
	}
	return strings.Contains(err.Error(), "."+column)
}
