package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// sqliteDriverName is modernc's SQLite driver with a prepared-statement cache
// per connection. With modernc, parsing and planning a statement costs more
// than running a small indexed query (a profile of POST /users showed 15% of
// CPU in sqlite3_prepare), and database/sql prepares anew on every call. The
// wrapper keeps each connection's statements and hands them out again; it is
// invisible to callers, River included.
const sqliteDriverName = "sqlite-roster"

var registerDriver sync.Once

func cachedSQLiteDriver() string {
	registerDriver.Do(func() { sql.Register(sqliteDriverName, cachingDriver{base: &sqlite.Driver{}}) })
	return sqliteDriverName
}

// maxCachedStatements bounds each connection's cache: queries built with a
// variable number of parameters must not grow it without end.
const maxCachedStatements = 256

type cachingDriver struct{ base driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn deliberately does not implement driver.ExecerContext or
// driver.QueryerContext, so database/sql goes through PrepareContext, where
// the cache is. database/sql uses a connection from one goroutine at a time,
// so the map needs no lock.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if st, ok := c.stmts[query]; ok && !st.busy {
		st.busy = true
		return st, nil
	}
	inner, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cacheable := len(c.stmts) < maxCachedStatements && len(query) < 8192 && !multiStatement(query)
	if _, taken := c.stmts[query]; taken || !cacheable {
		// The cached one is in use (a nested query on the same connection)
		// or the query is not worth keeping: a statement of its own.
		return inner, nil
	}
	st := &cachedStmt{inner: inner, busy: true}
	c.stmts[query] = st
	return st, nil
}

func (c *cachingConn) Close() error {
	for _, st := range c.stmts {
		_ = st.inner.Close()
	}
	c.stmts = nil
	return c.inner.Close()
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedStmt is lent to one caller at a time; database/sql's Close (after an
// Exec, or when the Rows of a Query close) returns it to the cache.
type cachedStmt struct {
	inner driver.Stmt
	busy  bool
}

func (s *cachedStmt) Close() error  { s.busy = false; return nil }
func (s *cachedStmt) NumInput() int { return s.inner.NumInput() }

func (s *cachedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.inner.Exec(args) //nolint:staticcheck // required by driver.Stmt
}

func (s *cachedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.inner.Query(args) //nolint:staticcheck // required by driver.Stmt
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
}

// multiStatement reports whether query holds more than one statement: a ';'
// followed by more than blanks, outside comments and quoted text. (River's
// SQLite queries carry ';' in their comments; treating those as separators
// kept its hottest statement, the job completion, out of the cache.)
func multiStatement(query string) bool {
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				return false
			}
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				return false
			}
			i += j + 3
		case c == '\'' || c == '"' || c == '`':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				return false
			}
			i += j + 1 // a doubled quote ('') reads as two quoted strings: same effect
		case c == ';':
			return strings.TrimSpace(query[i+1:]) != "" && !onlyComments(query[i+1:])
		}
	}
	return false
}

// onlyComments reports whether s holds nothing but blanks and comments.
func onlyComments(s string) bool {
	for {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return true
		case strings.HasPrefix(s, "--"):
			j := strings.IndexByte(s, '\n')
			if j < 0 {
				return true
			}
			s = s[j:]
		case strings.HasPrefix(s, "/*"):
			j := strings.Index(s, "*/")
			if j < 0 {
				return true
			}
			s = s[j+2:]
		default:
			return false
		}
	}
}
