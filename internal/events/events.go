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
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
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
	Types    []string // empty for all
	AfterSeq int64    // only events with Seq > AfterSeq
	Limit    int      // default 50
	Newest   bool     // newest first instead of oldest first
}

// List returns a workspace's events in log order.
func (l *Log) List(ctx context.Context, workspaceID int64, f Filter) ([]Event, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := `SELECT seq, event_id, workspace_id, type, occurred_at, data FROM events WHERE workspace_id = $1 AND seq > $2`
	args := []any{workspaceID, f.AfterSeq}
	if len(f.Types) > 0 {
		q += ` AND type IN (`
		for i, t := range f.Types {
			if i > 0 {
				q += `, `
			}
			args = append(args, t)
			q += fmt.Sprintf(`$%d`, len(args))
		}
		q += `)`
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
		var e Event
		var at int64
		var data string
		if err := rows.Scan(&e.Seq, &e.ID, &e.WorkspaceID, &e.Type, &at, &data); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.OccurredAt = time.UnixMilli(at).UTC()
		e.Data = json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
