// Package events is Roster's event log. Every write operation records what
// changed as an event in the same transaction as the change, so an event
// exists exactly when its change committed. Subscribers (webhook deliveries,
// workflow triggers) hook into Record and enqueue their durable work in that
// same transaction.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Event is one recorded change.
type Event struct {
	Seq         int64           // position in the log, increasing
	ID          string          // stable public id, "evt_…"
	WorkspaceID int64           //
	Type        string          // "user.created", …
	OccurredAt  time.Time       //
	Data        json.RawMessage // the full resource (or change) as JSON
}

// Hook runs inside the recording transaction; an error aborts the change.
type Hook func(ctx context.Context, tx *sql.Tx, e Event) error

// Log records and reads events.
type Log struct {
	db    *db.DB
	now   func() time.Time
	hooks []Hook
}

// NewLog returns a Log over d.
func NewLog(d *db.DB, now func() time.Time) *Log {
	return &Log{db: d, now: now}
}

// OnRecord adds a hook run for every recorded event. Register hooks at start-
// up, before serving.
func (l *Log) OnRecord(h Hook) { l.hooks = append(l.hooks, h) }

// Record appends an event of type typ with data (marshalled to JSON) inside
// tx, then runs the hooks in tx.
func (l *Log) Record(ctx context.Context, tx *sql.Tx, workspaceID int64, typ string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("record %s: encode: %w", typ, err)
	}
	e := Event{ID: "evt_" + access.NewID(24), WorkspaceID: workspaceID, Type: typ,
		OccurredAt: l.now().UTC().Truncate(time.Millisecond), Data: raw}
	err = tx.QueryRowContext(ctx, `INSERT INTO events (event_id, workspace_id, type, occurred_at, data)
		VALUES ($1, $2, $3, $4, $5) RETURNING seq`, e.ID, e.WorkspaceID, e.Type, e.OccurredAt.UnixMilli(), string(raw)).Scan(&e.Seq)
	if err != nil {
		return Event{}, fmt.Errorf("record %s: %w", typ, err)
	}
	for _, h := range l.hooks {
		if err := h(ctx, tx, e); err != nil {
			return Event{}, fmt.Errorf("record %s: %w", typ, err)
		}
	}
	return e, nil
}

// Filter selects events for List.
type Filter struct {
	// Types selects event types; "resource.*" selects all of a resource's.
	// Empty for all.
	Types []string
	// Resources, when not nil, keeps only events of these resources (the
	// type's first segment); an empty, non-nil slice keeps none.
	Resources []string
	AfterSeq  int64 // only events with Seq > AfterSeq
	BeforeSeq int64 // when > 0, only events with Seq < BeforeSeq
	// Since, when not zero, keeps events that occurred at or after it.
	Since  time.Time
	Limit  int  // default 50
	Newest bool // newest first instead of oldest first
}

const eventColumns = `seq, event_id, workspace_id, type, occurred_at, data`

// List returns a workspace's events in log order.
func (l *Log) List(ctx context.Context, workspaceID int64, f Filter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Resources != nil && len(f.Resources) == 0 {
		return nil, nil
	}
	q := `SELECT ` + eventColumns + ` FROM events WHERE workspace_id = $1 AND seq > $2`
	args := []any{workspaceID, f.AfterSeq}
	if f.BeforeSeq > 0 {
		args = append(args, f.BeforeSeq)
		q += fmt.Sprintf(` AND seq < $%d`, len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since.UnixMilli())
		q += fmt.Sprintf(` AND occurred_at >= $%d`, len(args))
	}
	if len(f.Types) > 0 {
		var alts []string
		var exact []string
		for _, t := range f.Types {
			if base, ok := strings.CutSuffix(t, ".*"); ok {
				args = append(args, len(base)+1, base+".")
				alts = append(alts, fmt.Sprintf(`substr(type, 1, $%d) = $%d`, len(args)-1, len(args)))
			} else {
				args = append(args, t)
				exact = append(exact, fmt.Sprintf(`$%d`, len(args)))
			}
		}
		if len(exact) > 0 {
			alts = append(alts, `type IN (`+strings.Join(exact, `, `)+`)`)
		}
		q += ` AND (` + strings.Join(alts, ` OR `) + `)`
	}
	if len(f.Resources) > 0 {
		// substr, not LIKE: "_" in a resource name is no wildcard, and the
		// comparison is case-sensitive on both engines.
		var alts []string
		for _, r := range f.Resources {
			args = append(args, len(r)+1, r+".")
			alts = append(alts, fmt.Sprintf(`substr(type, 1, $%d) = $%d`, len(args)-1, len(args)))
		}
		q += ` AND (` + strings.Join(alts, ` OR `) + `)`
	}
	if f.Newest {
		q += ` ORDER BY seq DESC`
	} else {
		q += ` ORDER BY seq`
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` LIMIT $%d`, len(args))
	rows, err := l.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Get returns one event of the workspace by its public id.
func (l *Log) Get(ctx context.Context, q db.Querier, workspaceID int64, id string) (Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE event_id = $1 AND workspace_id = $2`, id, workspaceID))
	if db.IsNoRows(err) {
		return Event{}, fault.NotFound("event")
	}
	if err != nil {
		return Event{}, fmt.Errorf("get event %s: %w", id, err)
	}
	return e, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanEvent(row scanner) (Event, error) {
	var e Event
	var at int64
	var data string
	if err := row.Scan(&e.Seq, &e.ID, &e.WorkspaceID, &e.Type, &at, &data); err != nil {
		return Event{}, err
	}
	e.OccurredAt = time.UnixMilli(at).UTC()
	e.Data = json.RawMessage(data)
	return e, nil
}
