package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Key is an API key's metadata. The secret is never stored: only its SHA-256
// (the secret has 190 bits of entropy, so a slow hash adds nothing).
type Key struct {
	ID          string
	WorkspaceID int64
	Name        string
	Scopes      []Scope
	RateLimit   int // per minute; 0 = server default
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero if never used
	RevokedAt   time.Time // zero if active
}

// NewKey describes a key to create.
type NewKey struct {
	WorkspaceID int64
	Name        string
	Scopes      []Scope
	RateLimit   int
}

const (
	keyPrefix    = "rk_"
	keyIDLen     = 12
	keySecretLen = 32
)

// CreateKey creates a key and returns it with its secret, which is shown this
// once and cannot be recovered.
func (s *Service) CreateKey(ctx context.Context, nk NewKey) (Key, string, error) {
	if len(nk.Scopes) == 0 {
		return Key{}, "", fault.Invalid("scopes", "at least one scope is required")
	}
	if nk.RateLimit < 0 {
		return Key{}, "", fault.Invalid("rateLimit", "must be zero (server default) or positive")
	}
	if nk.Name == "" {
		nk.Name = "key"
	}
	k := Key{ID: NewID(keyIDLen), WorkspaceID: nk.WorkspaceID, Name: nk.Name, Scopes: nk.Scopes,
		RateLimit: nk.RateLimit, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	secret := keyPrefix + k.ID + RandomString(keySecretLen, mixedAlnum)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, workspace_id, name, secret_hash, scopes, rate_limit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			k.ID, k.WorkspaceID, k.Name, hashSecret(secret), joinScopes(k.Scopes), nullInt(k.RateLimit), k.CreatedAt.UnixMilli())
		return err
	})
	if db.IsForeignKeyViolation(err) {
		return Key{}, "", fault.NotFound("workspace")
	}
	if err != nil {
		return Key{}, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// ListKeys returns a workspace's keys, revoked ones included, newest first.
func (s *Service) ListKeys(ctx context.Context, workspaceID int64) ([]Key, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, workspace_id, name, scopes, rate_limit, created_at, last_used_at, revoked_at
		FROM api_keys WHERE workspace_id = $1 ORDER BY created_at DESC, id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var scopes string
		var rate, lastUsed, revoked sql.NullInt64
		var created int64
		if err := rows.Scan(&k.ID, &k.WorkspaceID, &k.Name, &scopes, &rate, &created, &lastUsed, &revoked); err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		k.Scopes = splitScopes(scopes)
		k.RateLimit = int(rate.Int64)
		k.CreatedAt = time.UnixMilli(created).UTC()
		k.LastUsedAt = millisOrZero(lastUsed)
		k.RevokedAt = millisOrZero(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey revokes a key at once; requests with it are refused from then on.
// Returns not_found if no such active key exists.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			s.now().UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("revoke key %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			// Not a workspace key: perhaps a platform key.
			if res, err = tx.ExecContext(ctx, `UPDATE platform_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
				s.now().UnixMilli(), id); err != nil {
				return fmt.Errorf("revoke key %s: %w", id, err)
			}
			n, _ = res.RowsAffected()
		}
		if n == 0 {
			return fault.NotFound("active key " + id)
		}
		return s.db.Notify(ctx, tx, authChannel, id)
	})
	if err == nil {
		s.authCache.forget(id) // after the commit, so no request re-caches the key in between
	}
	return err
}

// Authenticate resolves a presented secret to its principal. Returns an
// unauthorized error for unknown, malformed or revoked keys.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	id, platform, ok := keyIDOf(secret)
	if !ok {
		return Principal{}, fault.Unauthorized("invalid API key")
	}
	hash := hashSecret(secret)
	now := s.now()
	if p, ok := s.authCache.get(hash, now); ok {
		s.touch(ctx, id)
		return p, nil
	}
	if platform {
		p, err := s.authenticatePlatform(ctx, id, hash)
		if err != nil {
			return Principal{}, err
		}
		s.authCache.put(hash, p, now)
		s.touch(ctx, id)
		return p, nil
	}
	var (
		p       Principal
		stored  string
		scopes  string
		rate    sql.NullInt64
		revoked sql.NullInt64
	)
	err := s.db.Read().QueryRowContext(ctx, `SELECT workspace_id, secret_hash, scopes, rate_limit, revoked_at FROM api_keys WHERE id = $1`, id).
		Scan(&p.WorkspaceID, &stored, &scopes, &rate, &revoked)
	if db.IsNoRows(err) {
		return Principal{}, fault.Unauthorized("invalid API key")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 || revoked.Valid {
		return Principal{}, fault.Unauthorized("invalid API key")
	}
	p.KeyID = id
	p.Scopes = splitScopes(scopes)
	p.RateLimit = int(rate.Int64)
	s.authCache.put(hash, p, now)
	s.touch(ctx, id)
	return p, nil
}

// touch records last use at most once a minute per key and process, so
// authentication does not turn every read into a write.
func (s *Service) touch(ctx context.Context, id string) {
	now := s.now()
	if !s.lastUsed.due(id, now) {
		return
	}
	// Best effort: a failed timestamp update must not fail the request.
	_, _ = s.db.Write().ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), id)
	_, _ = s.db.Write().ExecContext(ctx, `UPDATE platform_keys SET last_used_at = $1 WHERE id = $2`, now.UnixMilli(), id)
}

type lastUsedThrottle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (t *lastUsedThrottle) due(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = make(map[string]time.Time)
	}
	if prev, ok := t.last[id]; ok && now.Sub(prev) < time.Minute {
		return false
	}
	t.last[id] = now
	return true
}

// keyIDOf returns the id in a presented secret and whether it is a platform
// key.
func keyIDOf(secret string) (id string, platform bool, ok bool) {
	rest, ok := strings.CutPrefix(secret, keyPrefix)
	if !ok {
		rest, platform = strings.CutPrefix(secret, platformKeyPrefix)
	}
	if !ok && !platform || len(rest) != keyIDLen+keySecretLen {
		return "", false, false
	}
	return rest[:keyIDLen], platform, true
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func splitScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		out = append(out, Scope(f))
	}
	return out
}

func nullInt(n int) sql.NullInt64 { return sql.NullInt64{Int64: int64(n), Valid: n > 0} }

func millisOrZero(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// Describe returns the workspace and key behind a principal.
func (s *Service) Describe(ctx context.Context, p Principal) (Workspace, Key, error) {
	if p.IsPlatform() {
		return s.describePlatform(ctx, p)
	}
	var ws Workspace
	var k Key
	var wsCreated, keyCreated int64
	var rate sql.NullInt64
	err := s.db.Read().QueryRowContext(ctx, `SELECT w.id, w.name, w.created_at, k.id, k.name, k.rate_limit, k.created_at
		FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id WHERE k.id = $1`, p.KeyID).
		Scan(&ws.ID, &ws.Name, &wsCreated, &k.ID, &k.Name, &rate, &keyCreated)
	if db.IsNoRows(err) {
		return ws, k, fault.NotFound("key")
	}
	if err != nil {
		return ws, k, fmt.Errorf("describe key %s: %w", p.KeyID, err)
	}
	ws.CreatedAt, k.CreatedAt = time.UnixMilli(wsCreated).UTC(), time.UnixMilli(keyCreated).UTC()
	k.WorkspaceID, k.Scopes, k.RateLimit = ws.ID, p.Scopes, int(rate.Int64)
	return ws, k, nil
}
