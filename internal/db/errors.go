package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

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

// IsUnstorableText reports whether PostgreSQL refused a string it cannot
// store: a NUL character (22021, or 22P05 in jsonb) or bytes that are not
// UTF-8.
func IsUnstorableText(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05")
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

// IsUnavailable reports whether err means the database could not serve the
// statement for now — it is down, restarting, refusing connections, or (on
// SQLite) still locked by another writer after the busy timeout — rather
// than that the statement was wrong. Such a request may be retried as is.
func IsUnavailable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08: connection exception; 57P01-03: admin/crash shutdown,
		// cannot connect now; 53300: too many connections.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || pg.Code == "53300"
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}
