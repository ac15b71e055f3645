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

// Hook runs inside the recording transaction with the events of one Record
// or RecordMany call, in log order and all of one workspace; an error aborts
// the change. A hook gets the whole batch so that it can look up what it
// needs once and write its rows in a few statements, not per event.
type Hook func(ctx context.Context, tx *sql.Tx, batch []Event) error

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

// OnRecord adds a hook run for every batch of recorded events. Register
// hooks at start-up, before serving.
func (l *Log) OnRecord(h Hook) { l.hooks = append(l.hooks, h) }

// Pending is an event to record: its type and its data (marshalled to JSON).
type Pending struct {
	Type string
	Data any
}

// Record appends an event of type typ with data (marshalled to JSON) inside
// tx, then runs the hooks in tx. It is RecordMany of one event.
func (l *Log) Record(ctx context.Context, tx *sql.Tx, workspaceID int64, typ string, data any) (Event, error) {
	out, err := l.RecordMany(ctx, tx, workspaceID, []Pending{{Type: typ, Data: data}})
	if err != nil {
		return Event{}, err
	}
	return out[0], nil
}

// RecordMany appends events of one workspace, in order, inside tx with a few
// multi-row statements, then runs each hook once with all of them. It
// returns the recorded events in the order given.
func (l *Log) RecordMany(ctx context.Context, tx *sql.Tx, workspaceID int64, items []Pending) ([]Event, error) {
	if len(items) == 0 {
		return nil, nil
	}
	at := l.now().UTC().Truncate(time.Millisecond)
	out := make([]Event, len(items))
	for i, it := range items {
		raw, err := json.Marshal(it.Data)
		if err != nil {
			return nil, fmt.Errorf("record %s: encode: %w", it.Type, err)
		}
		out[i] = Event{ID: "evt_" + access.NewID(24), WorkspaceID: workspaceID, Type: it.Type, OccurredAt: at, Data: raw}
	}
	err := db.InChunks(out, 3, db.ParamBudgetFor(l.db.Dialect)-2, func(chunk []Event) error {
		return insertEvents(ctx, tx, chunk)
	})
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", batchName(out), err)
	}
	for _, h := range l.hooks {
		if err := h(ctx, tx, out); err != nil {
			return nil, fmt.Errorf("record %s: %w", batchName(out), err)
		}
	}
	return out, nil
}

// insertEvents inserts events of one workspace and time in one statement and
// sets their Seq. Rows are matched to events by event id: neither engine
// promises RETURNING rows in VALUES order.
func insertEvents(ctx context.Context, tx *sql.Tx, chunk []Event) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO events (workspace_id, occurred_at, event_id, type, data) VALUES `)
	args := make([]any, 0, 2+3*len(chunk))
	args = append(args, chunk[0].WorkspaceID, chunk[0].OccurredAt.UnixMilli())
	index := make(map[string]int, len(chunk))
	for i, e := range chunk {
		if i > 0 {
			q.WriteString(", ")
		}
		args = append(args, e.ID, e.Type, string(e.Data))
		fmt.Fprintf(&q, "($1, $2, $%d, $%d, $%d)", len(args)-2, len(args)-1, len(args))
		index[e.ID] = i
	}
	q.WriteString(" RETURNING event_id, seq")
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return err
		}
		chunk[index[id]].Seq = seq
	}
	return rows.Err()
}

// batchName names a batch in errors: its type when it is one event.
func batchName(batch []Event) string {
	if len(batch) == 1 {
		return batch[0].Type
	}
	return fmt.Sprintf("%d events (%s, …)", len(batch), batch[0].Type)
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
