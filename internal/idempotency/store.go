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
}

// NewStore returns a Store with the default retention.
func NewStore(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now, TTL: 24 * time.Hour}
}

func load(ctx context.Context, q db.Querier, sc Scope) (*Record, error) {
	var rec Record
	var created int64
	err := q.QueryRowContext(ctx, `SELECT fingerprint, done, status, content_type, body, created_at FROM idempotency_keys
		WHERE api_key_id = $1 AND method = $2 AND path = $3 AND idem_key = $4`, sc.APIKeyID, sc.Method, sc.Path, sc.Key).
		Scan(&rec.Fingerprint, &rec.Done, &rec.Status, &rec.ContentType, &rec.Body, &created)
	if err != nil {
		return nil, fmt.Errorf("load idempotency key: %w", err)
	}
	rec.CreatedAt = time.UnixMilli(created)
	return &rec, nil
}

// Prune deletes records older than the TTL and returns how many it removed.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.Write().ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, s.now().Add(-s.TTL).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return res.RowsAffected()
}

// Answer is a request's response as the idempotency layer stores it.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	// Settled is false for answers that did no work and may be retried as
	// new (auth refusals, rate limits, server errors): those roll back,
	// leaving no record, instead of being stored.
	Settled bool
}

// Outcome is what Do found or did: the stored record of an earlier request
// with the key (replay it, or refuse a different body), or the answer of the
// request it ran. InFlight means another request holds the key right now.
type Outcome struct {
	Existing *Record
	InFlight bool
	Answer   Answer
}

var errUnsettled = errors.New("answer not settled")

// Do claims sc, runs the request and stores its answer in one transaction:
// every write the request makes joins it (db.WithTx), so the claim, the
// writes and the recorded answer commit together or not at all. A retry after
// a crash at any point therefore either replays the answer or runs a request
// that never happened; nothing is left half-done. On SQLite the request holds
// the writer throughout; only requests with an Idempotency-Key take this
// path.
func (s *Store) Do(ctx context.Context, sc Scope, fingerprint string, run func(ctx context.Context) Answer) (Outcome, error) {
	var out Outcome
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect == db.Postgres {
			// Two nodes running the same key at once: the second answers 409
			// at once instead of waiting on the first's row, holding a
			// connection the first may need.
			var got bool
			err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`,
				sc.APIKeyID+" "+sc.Method+" "+sc.Path+" "+sc.Key).Scan(&got)
			if err != nil {
				return fmt.Errorf("lock idempotency key: %w", err)
			}
			if !got {
				out.InFlight = true
				return nil
			}
		}
		claimed, err := s.claim(ctx, tx, sc, fingerprint, &out)
		if err != nil || !claimed {
			return err
		}
		out.Answer = run(db.WithTx(ctx, tx))
		if !out.Answer.Settled {
			return errUnsettled
		}
		_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET done = $1, status = $2, content_type = $3, body = $4
			WHERE api_key_id = $5 AND method = $6 AND path = $7 AND idem_key = $8`,
			true, out.Answer.Status, out.Answer.ContentType, out.Answer.Body, sc.APIKeyID, sc.Method, sc.Path, sc.Key)
		if err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		}
		return nil
	})
	if errors.Is(err, errUnsettled) {
		return out, nil
	}
	return out, err
}

// claim inserts the key's record in tx, or loads the one there (into out)
// when it is still valid; an expired record is replaced.
func (s *Store) claim(ctx context.Context, tx *sql.Tx, sc Scope, fingerprint string, out *Outcome) (bool, error) {
	for range 2 {
		now := s.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (api_key_id, method, path, idem_key, fingerprint, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, sc.APIKeyID, sc.Method, sc.Path, sc.Key, fingerprint, now.UnixMilli())
		if err != nil {
			return false, fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return true, nil
		}
		rec, err := load(ctx, tx, sc)
		if err != nil {
			return false, err
		}
		// Records are written done; an unfinished one predates this release
		// and belongs to a request that is gone.
		stale := !rec.Done || now.Sub(rec.CreatedAt) > s.TTL
		if !stale {
			out.Existing = rec
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE api_key_id = $1 AND method = $2 AND path = $3 AND idem_key = $4`,
			sc.APIKeyID, sc.Method, sc.Path, sc.Key); err != nil {
			return false, fmt.Errorf("expire idempotency key: %w", err)
		}
	}
	return false, fmt.Errorf("claim idempotency key: contended")
}
