package access

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Platform is the scope of a platform key (Chatwoot's platform app token): it
// manages workspaces and people's roles in them through the platform face,
// and grants nothing inside a workspace's data by itself. It is not one of
// AllScopes, so no workspace key can hold it.
const Platform Scope = "platform"

// platformKeyPrefix tells a platform key from a workspace key at a glance
// (and in secret scanners).
const platformKeyPrefix = "rpk_"

// IsPlatform reports whether the principal is a platform key.
func (p Principal) IsPlatform() bool { return p.WorkspaceID == 0 && p.Allows(Platform) }

// CreatePlatformKey creates a server-wide platform key and returns it with
// its secret, shown this once; only the secret's hash is stored.
func (s *Service) CreatePlatformKey(ctx context.Context, name string) (Key, string, error) {
	if name = strings.TrimSpace(name); name == "" {
		name = "platform"
	}
	k := Key{ID: NewID(keyIDLen), Name: name, Scopes: []Scope{Platform}, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	secret := platformKeyPrefix + k.ID + RandomString(keySecretLen, mixedAlnum)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO platform_keys (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)`,
			k.ID, k.Name, hashSecret(secret), k.CreatedAt.UnixMilli())
		return err
	})
	if err != nil {
		return Key{}, "", fmt.Errorf("create platform key: %w", err)
	}
	return k, secret, nil
}

// ListPlatformKeys returns the platform keys, revoked ones included, newest
// first.
func (s *Service) ListPlatformKeys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, created_at, last_used_at, revoked_at
		FROM platform_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list platform keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k := Key{Scopes: []Scope{Platform}}
		var created int64
		var lastUsed, revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &created, &lastUsed, &revoked); err != nil {
			return nil, fmt.Errorf("list platform keys: %w", err)
		}
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = time.UnixMilli(created).UTC(), millisOrZero(lastUsed), millisOrZero(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// authenticatePlatform resolves a platform key's secret (after the cache).
func (s *Service) authenticatePlatform(ctx context.Context, id, hash string) (Principal, error) {
	var stored string
	var revoked sql.NullInt64
	err := s.db.Read().QueryRowContext(ctx, `SELECT secret_hash, revoked_at FROM platform_keys WHERE id = $1`, id).Scan(&stored, &revoked)
	if db.IsNoRows(err) {
		return Principal{}, fault.Unauthorized("invalid API key")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 || revoked.Valid {
		return Principal{}, fault.Unauthorized("invalid API key")
	}
	return Principal{KeyID: id, Scopes: []Scope{Platform}}, nil
}

// describePlatform is Describe for a platform key: it belongs to no
// workspace.
func (s *Service) describePlatform(ctx context.Context, p Principal) (Workspace, Key, error) {
	k := Key{ID: p.KeyID, Scopes: p.Scopes}
	var created int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT name, created_at FROM platform_keys WHERE id = $1`, p.KeyID).Scan(&k.Name, &created)
	if db.IsNoRows(err) {
		return Workspace{}, k, fault.NotFound("key")
	}
	if err != nil {
		return Workspace{}, k, fmt.Errorf("describe platform key %s: %w", p.KeyID, err)
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	return Workspace{}, k, nil
}
