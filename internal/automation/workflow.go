package automation

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Workflow statuses.
const (
	StatusDraft  = "draft"  // saved, not running
	StatusActive = "active" // triggers start runs of the published version
	StatusPaused = "paused" // published but not triggered
)

// Workflow is a saved workflow as the API shows it.
type Workflow struct {
	ID               int64      `json:"id"`
	WorkflowID       int64      `json:"workflowId" doc:"Same as id (the name seed integrations read)"`
	Name             string     `json:"name"`
	Description      string     `json:"description"`
	Status           string     `json:"status" enum:"draft,active,paused"`
	Version          int        `json:"version" doc:"Latest saved version"`
	PublishedVersion int        `json:"publishedVersion" doc:"Version that triggers run; 0 before the first publish"`
	Trigger          Trigger    `json:"trigger"`
	Definition       Definition `json:"definition"`
	// WebhookPath is the inbound URL path of a webhook-triggered workflow. It
	// holds the secret token, so it is shown only when the token is created
	// or rotated.
	WebhookPath string `json:"webhookPath,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
	UpdatedAt   int64  `json:"updatedAt"`
}

// Summary is a workflow in lists.
type Summary struct {
	ID               int64   `json:"id"`
	WorkflowID       int64   `json:"workflowId" doc:"Same as id (the name seed integrations read)"`
	Name             string  `json:"name"`
	Status           string  `json:"status"`
	Version          int     `json:"version"`
	PublishedVersion int     `json:"publishedVersion"`
	Trigger          Trigger `json:"trigger"`
	CreatedAt        int64   `json:"createdAt"`
	UpdatedAt        int64   `json:"updatedAt"`
}

type workflowRow struct {
	id, workspaceID      int64
	name, description    string
	status               string
	version, published   int
	definition           Definition
	createdAt, updatedAt time.Time
}

func (r workflowRow) view() Workflow {
	return Workflow{ID: r.id, WorkflowID: r.id, Name: r.name, Description: r.description, Status: r.status, Version: r.version,
		PublishedVersion: r.published, Trigger: r.definition.Trigger, Definition: r.definition,
		CreatedAt: r.createdAt.Unix(), UpdatedAt: r.updatedAt.Unix()}
}

func (r workflowRow) summary() Summary {
	return Summary{ID: r.id, WorkflowID: r.id, Name: r.name, Status: r.status, Version: r.version, PublishedVersion: r.published,
		Trigger: r.definition.Trigger, CreatedAt: r.createdAt.Unix(), UpdatedAt: r.updatedAt.Unix()}
}

const workflowColumns = `w.id, w.workspace_id, w.name, w.description, w.status, w.version, coalesce(w.published_version, 0),
	v.definition, w.created_at, w.updated_at`

// workflowJoin reads a workflow with its latest version's definition.
const workflowJoin = ` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version`

func scanWorkflow(s interface{ Scan(...any) error }) (workflowRow, error) {
	var r workflowRow
	var def []byte
	var created, updated int64
	if err := s.Scan(&r.id, &r.workspaceID, &r.name, &r.description, &r.status, &r.version, &r.published, &def, &created, &updated); err != nil {
		return r, err
	}
	if err := json.Unmarshal(def, &r.definition); err != nil {
		return r, fmt.Errorf("decode workflow %d: %w", r.id, err)
	}
	r.createdAt, r.updatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, nil
}

func getWorkflow(ctx context.Context, d *db.DB, q db.Querier, workspaceID, id int64, forUpdate bool) (workflowRow, error) {
	query := `SELECT ` + workflowColumns + workflowJoin + ` WHERE w.workspace_id = $1 AND w.id = $2`
	if forUpdate && d.Dialect == db.Postgres {
		query += ` FOR UPDATE OF w`
	}
	r, err := scanWorkflow(q.QueryRowContext(ctx, query, workspaceID, id))
	if db.IsNoRows(err) {
		return r, fault.NotFound(fmt.Sprintf("workflow %d", id))
	}
	if err != nil {
		return r, fmt.Errorf("get workflow %d: %w", id, err)
	}
	return r, nil
}

// definitionAt reads one version of a workflow's definition.
func definitionAt(ctx context.Context, q db.Querier, workflowID int64, version int) (Definition, error) {
	var raw []byte
	var d Definition
	err := q.QueryRowContext(ctx, `SELECT definition FROM workflow_versions WHERE workflow_id = $1 AND version = $2`, workflowID, version).Scan(&raw)
	if db.IsNoRows(err) {
		return d, fault.NotFound(fmt.Sprintf("version %d of workflow %d", version, workflowID))
	}
	if err != nil {
		return d, fmt.Errorf("read workflow %d version %d: %w", workflowID, version, err)
	}
	return d, json.Unmarshal(raw, &d)
}

func insertVersion(ctx context.Context, tx *sql.Tx, workflowID int64, version int, d Definition, at time.Time) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES ($1, $2, $3, $4)`,
		workflowID, version, string(raw), at.UnixMilli())
	if err != nil {
		return fmt.Errorf("save workflow %d version %d: %w", workflowID, version, err)
	}
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
