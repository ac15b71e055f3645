// Package idempotency remembers the outcome of POST/PATCH requests sent with
// an Idempotency-Key, so a retried request gets the first answer instead of
// doing the work twice (draft-ietf-httpapi-idempotency-key-header).
package idempotency

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/db"
)

// Scope identifies one key: keys are per API key, method and path, so they
// cannot be probed across clients or tenants.
type Scope struct {
	APIKeyID string
	Method   string
	Path     string
	Key      string
}

// Record is a stored request outcome.
type Record struct {
	Fingerprint string
	Done        bool
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

// Store keeps records in the database so every node sees them.
type Store struct {
	db  *db.DB
	now func() time.Time
	// TTL is how long a finished record is replayed (default 24 h).
	TTL time.Duration
	// Abandoned is how long an unfinished record blocks retries before it is
	// taken to belong to a crashed request (default 2 min, beyond the server's
	// write timeout).
	Abandoned time.Duration
}

// NewStore returns a Store with the default retention.
func NewStore(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now, TTL: 24 * time.Hour, Abandoned: 2 * time.Minute}
}

// Begin claims scope for a new request with the given fingerprint. It returns
// (nil, nil) when the caller now owns the key and must call Finish or
// Release; otherwise it returns the record already there (finished or in
// progress).
func (s *Store) Begin(ctx context.Context, sc Scope, fingerprint string) (*Record, error) {
	for attempt := 0; attempt < 3; attempt++ {
		now := s.now()
		res, err := s.db.Write().ExecContext(ctx, `INSERT INTO idempotency_keys (api_key_id, method, path, idem_key, fingerprint, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, sc.APIKeyID, sc.Method, sc.Path, sc.Key, fingerprint, now.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil, nil
		}
		rec, err := s.load(ctx, sc)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released between our insert and read; claim again
		}
		if err != nil {
			return nil, err
		}
		stale := (rec.Done && now.Sub(rec.CreatedAt) > s.TTL) || (!rec.Done && now.Sub(rec.CreatedAt) > s.Abandoned)
		if !stale {
			return rec, nil
		}
		if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM idempotency_keys WHERE api_key_id = $1 AND method = $2 AND path = $3 AND idem_key = $4 AND created_at = $5`,
			sc.APIKeyID, sc.Method, sc.Path, sc.Key, rec.CreatedAt.UnixMilli()); err != nil {
			return nil, fmt.Errorf("expire idempotency key: %w", err)
		}
	}
	return nil, fmt.Errorf("claim idempotency key: contended")
}

func (s *Store) load(ctx context.Context, sc Scope) (*Record, error) {
	var rec Record
	var created int64
	err := s.db.Write().QueryRowContext(ctx, `SELECT fingerprint, done, status, content_type, body, created_at FROM idempotency_keys
		WHERE api_key_id = $1 AND method = $2 AND path = $3 AND idem_key = $4`, sc.APIKeyID, sc.Method, sc.Path, sc.Key).
		Scan(&rec.Fingerprint, &rec.Done, &rec.Status, &rec.ContentType, &rec.Body, &created)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt = time.UnixMilli(created)
	return &rec, nil
}

// Finish stores the response of a claimed request for replay.
func (s *Store) Finish(ctx context.Context, sc Scope, status int, contentType string, body []byte) error {
	_, err := s.db.Write().ExecContext(ctx, `UPDATE idempotency_keys SET done = $1, status = $2, content_type = $3, body = $4
		WHERE api_key_id = $5 AND method = $6 AND path = $7 AND idem_key = $8`,
		true, status, contentType, body, sc.APIKeyID, sc.Method, sc.Path, sc.Key)
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	return nil
}

// Release forgets a claimed key, so the request can be retried as new (after
// a 5xx or a refusal that did no work).
func (s *Store) Release(ctx context.Context, sc Scope) error {
	_, err := s.db.Write().ExecContext(ctx, `DELETE FROM idempotency_keys WHERE api_key_id = $1 AND method = $2 AND path = $3 AND idem_key = $4`,
		sc.APIKeyID, sc.Method, sc.Path, sc.Key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// Prune deletes records older than the TTL and returns how many it removed.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.Write().ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, s.now().Add(-s.TTL).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
