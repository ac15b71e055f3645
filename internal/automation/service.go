package automation

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// Event types recorded for workflow changes.
const (
	EventWorkflowCreated   = "workflow.created"
	EventWorkflowUpdated   = "workflow.updated"
	EventWorkflowPublished = "workflow.published"
	EventWorkflowPaused    = "workflow.paused"
	EventWorkflowDeleted   = "workflow.deleted"
)

// Service manages workflows and their runs.
type Service struct {
	db      *db.DB
	events  *events.Log
	now     func() time.Time
	catalog Catalog
	runner  *Runner
	// allowPrivate lets http.request steps target private addresses.
	allowPrivate bool
}

// NewService returns a Service. The catalog is set later (SetCatalog), once
// the HTTP face has derived it from the registry.
func NewService(d *db.DB, log *events.Log, now func() time.Time) *Service {
	return &Service{db: d, events: log, now: now}
}

// SetCatalog gives the service the operations catalog it validates against.
func (s *Service) SetCatalog(c Catalog) { s.catalog = c }

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// WorkflowInput is what create and update take.
type WorkflowInput struct {
	Name        string      `json:"name" minLength:"1" maxLength:"200"`
	Description string      `json:"description,omitempty" maxLength:"2000"`
	Definition  *Definition `json:"definition,omitempty"`
}

// WorkflowPatch changes some of a workflow; a new definition is a new version.
type WorkflowPatch struct {
	Name        *string     `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Description *string     `json:"description,omitempty" maxLength:"2000"`
	Definition  *Definition `json:"definition,omitempty"`
}

// check validates d and, when p is given, that p holds the scope of every
// operation d calls and the read scopes of the event that triggers it: a key
// cannot use a workflow to do or read what it may not itself. Runs then act
// with those operations' rights.
func (s *Service) check(d Definition, p *access.Principal) error {
	if s.catalog == nil {
		return fmt.Errorf("workflow catalog not ready")
	}
	if err := Validate(d, s.catalog); err != nil {
		return prefixFields(err, "definition")
	}
	var targets fault.Fields
	s.checkTargets(d, &targets)
	if err := targets.Err(); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	var f fault.Fields
	walkSteps("definition.steps", d.Steps, func(path string, st Step) {
		if e, ok := s.catalog.Entry(st.Op); ok && !p.Allows(access.Scope(e.Scope)) {
			f.Add(path+".op", "this API key lacks the %q scope that %s needs", e.Scope, st.Op)
		}
	})
	for _, sc := range eventScopesMissing(d.Trigger, *p) {
		f.Add("definition.trigger.event", "this API key lacks the %q scope that reading %s events needs", sc, d.Trigger.Event)
	}
	if err := f.Err(); err != nil {
		fe, _ := fault.As(err)
		fe.Kind, fe.Code, fe.Message = fault.KindForbidden, "insufficient_scope", "the workflow uses operations or events this API key may not use"
		return fe
	}
	return nil
}

// walkSteps visits every step of a tree with its JSON path.
func walkSteps(path string, steps []Step, fn func(path string, s Step)) {
	for i, st := range steps {
		p := fmt.Sprintf("%s[%d]", path, i)
		fn(p, st)
		walkSteps(p+".errorSteps", st.ErrorSteps, fn)
		for b, br := range st.Branches {
			walkSteps(fmt.Sprintf("%s.branches[%d].steps", p, b), br.Steps, fn)
		}
		walkSteps(p+".else", st.Else, fn)
	}
}

// prefixFields puts the field names of an invalid error under prefix.
func prefixFields(err error, prefix string) error {
	fe, ok := fault.As(err)
	if !ok {
		return err
	}
	out := *fe
	out.Fields = make([]fault.FieldError, len(fe.Fields))
	for i, f := range fe.Fields {
		f.Field = prefix + "." + f.Field
		out.Fields[i] = f
	}
	return &out
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", fault.Invalid("name", "must be 1 to 200 characters")
	}
	return name, nil
}

// CreateWorkflow saves a new workflow as a draft (version 1). A webhook
// trigger gets its token, returned in WebhookPath this once.
func (s *Service) CreateWorkflow(ctx context.Context, p access.Principal, in WorkflowInput) (Workflow, error) {
	workspaceID := p.WorkspaceID
	name, err := checkName(in.Name)
	if err != nil {
		return Workflow{}, err
	}
	if in.Definition == nil {
		return Workflow{}, fault.Invalid("definition", "is required")
	}
	if err := s.check(*in.Definition, &p); err != nil {
		return Workflow{}, err
	}
	now := s.timestamp()
	r := workflowRow{workspaceID: workspaceID, name: name, description: strings.TrimSpace(in.Description), status: StatusDraft,
		version: 1, definition: *in.Definition, createdAt: now, updatedAt: now}
	var token string
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO workflows (workspace_id, name, description, status, version, trigger_type, trigger_event, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, workspaceID, r.name, r.description, r.status, r.version,
			r.definition.Trigger.Type, r.definition.Trigger.Event, now.UnixMilli(), now.UnixMilli()).Scan(&r.id); err != nil {
			return fmt.Errorf("insert workflow: %w", err)
		}
		if err := insertVersion(ctx, tx, r.id, 1, r.definition, now); err != nil {
			return err
		}
		if r.definition.Trigger.Type == TriggerWebhook {
			if token, err = s.setWebhookToken(ctx, tx, r.id); err != nil {
				return err
			}
		}
		_, err := s.events.Record(ctx, tx, workspaceID, EventWorkflowCreated, r.summary())
		return err
	})
	if err != nil {
		return Workflow{}, fmt.Errorf("create workflow: %w", err)
	}
	w := r.view()
	if token != "" {
		w.WebhookPath = InboundPath(token)
	}
	return w, nil
}

// InboundPath is the URL path that triggers a webhook workflow.
func InboundPath(token string) string { return "/hooks/in/" + token }

func (s *Service) setWebhookToken(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	token := "whk_" + access.RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
	if _, err := tx.ExecContext(ctx, `UPDATE workflows SET webhook_token_hash = $1 WHERE id = $2`, hashToken(token), id); err != nil {
		return "", fmt.Errorf("set webhook token: %w", err)
	}
	return token, nil
}

// RotateWebhookToken gives a webhook workflow a new inbound token; the old
// one stops working at once.
func (s *Service) RotateWebhookToken(ctx context.Context, workspaceID, id int64) (Workflow, error) {
	var w Workflow
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getWorkflow(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		if r.definition.Trigger.Type != TriggerWebhook {
			return fault.Invalid("definition.trigger.type", "the workflow is not triggered by a webhook")
		}
		token, err := s.setWebhookToken(ctx, tx, id)
		if err != nil {
			return err
		}
		w = r.view()
		w.WebhookPath = InboundPath(token)
		return nil
	})
	return w, err
}

// GetWorkflow returns a workflow with its latest definition.
func (s *Service) GetWorkflow(ctx context.Context, workspaceID, id int64) (Workflow, error) {
	r, err := getWorkflow(ctx, s.db, s.db.Read(), workspaceID, id, false)
	if err != nil {
		return Workflow{}, err
	}
	return r.view(), nil
}

// UpdateWorkflow renames or re-describes a workflow, and saves a new
// definition as a new version. A published workflow keeps running its
// published version until it is published again.
func (s *Service) UpdateWorkflow(ctx context.Context, p access.Principal, id int64, in WorkflowPatch) (Workflow, error) {
	workspaceID := p.WorkspaceID
	if in.Definition != nil {
		if err := s.check(*in.Definition, &p); err != nil {
			return Workflow{}, err
		}
	}
	var w Workflow
	var token string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getWorkflow(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		before := r.summary()
		if in.Name != nil {
			if r.name, err = checkName(*in.Name); err != nil {
				return err
			}
		}
		if in.Description != nil {
			r.description = strings.TrimSpace(*in.Description)
		}
		r.updatedAt = s.timestamp()
		if in.Definition != nil {
			wasWebhook := r.definition.Trigger.Type == TriggerWebhook
			r.version++
			r.definition = *in.Definition
			if err := insertVersion(ctx, tx, r.id, r.version, r.definition, r.updatedAt); err != nil {
				return err
			}
			if r.definition.Trigger.Type == TriggerWebhook && !wasWebhook {
				if token, err = s.setWebhookToken(ctx, tx, r.id); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE workflows SET name = $1, description = $2, version = $3, updated_at = $4 WHERE id = $5`,
			r.name, r.description, r.version, r.updatedAt.UnixMilli(), r.id); err != nil {
			return fmt.Errorf("update workflow: %w", err)
		}
		w = r.view()
		change, err := events.WithChanges(before, r.summary())
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventWorkflowUpdated, change)
		return err
	})
	if err != nil {
		return Workflow{}, fmt.Errorf("update workflow %d: %w", id, err)
	}
	if token != "" {
		w.WebhookPath = InboundPath(token)
	}
	return w, nil
}

// PublishWorkflow makes the latest version the one that triggers run, and
// activates the workflow.
func (s *Service) PublishWorkflow(ctx context.Context, workspaceID, id int64) (Workflow, error) {
	return s.setStatus(ctx, workspaceID, id, StatusActive)
}

// PauseWorkflow stops triggers from starting runs; runs under way finish.
func (s *Service) PauseWorkflow(ctx context.Context, workspaceID, id int64) (Workflow, error) {
	return s.setStatus(ctx, workspaceID, id, StatusPaused)
}

func (s *Service) setStatus(ctx context.Context, workspaceID, id int64, status string) (Workflow, error) {
	var w Workflow
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getWorkflow(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		typ := EventWorkflowPaused
		if status == StatusActive {
			// Publishing re-validates: operations may have changed since the save.
			if err := s.check(r.definition, nil); err != nil {
				return err
			}
			r.published, typ = r.version, EventWorkflowPublished
		} else if r.published == 0 {
			return fault.Conflict("not_published", "", "workflow %d was never published; publish it first", id)
		}
		r.status, r.updatedAt = status, s.timestamp()
		t := r.definition.Trigger
		if status != StatusActive {
			if d, err := definitionAt(ctx, tx, r.id, r.published); err == nil {
				t = d.Trigger
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE workflows SET status = $1, published_version = $2, trigger_type = $3, trigger_event = $4, updated_at = $5 WHERE id = $6`,
			r.status, r.published, t.Type, t.Event, r.updatedAt.UnixMilli(), r.id); err != nil {
			return fmt.Errorf("set workflow status: %w", err)
		}
		w = r.view()
		_, err = s.events.Record(ctx, tx, workspaceID, typ, r.summary())
		return err
	})
	if err != nil {
		return Workflow{}, fmt.Errorf("%s workflow %d: %w", status, id, err)
	}
	return w, nil
}

// DeleteWorkflow removes a workflow with its versions and run history.
func (s *Service) DeleteWorkflow(ctx context.Context, workspaceID, id int64) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getWorkflow(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM workflows WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete workflow %d: %w", id, err)
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventWorkflowDeleted, r.summary())
		return err
	})
}

// WorkflowPage is a page of workflows.
type WorkflowPage struct {
	Workflows  []Summary `json:"workflows"`
	TotalCount int       `json:"totalCount"`
}

// ListWorkflows lists a workspace's workflows, newest first.
func (s *Service) ListWorkflows(ctx context.Context, workspaceID int64, status string, offset, limit int) (WorkflowPage, error) {
	if limit <= 0 {
		limit = 20
	}
	cond, args := `w.workspace_id = $1`, []any{workspaceID}
	if status != "" {
		cond, args = cond+` AND w.status = $2`, append(args, status)
	}
	page := WorkflowPage{Workflows: []Summary{}}
	if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM workflows w WHERE `+cond, args...).Scan(&page.TotalCount); err != nil {
		return page, fmt.Errorf("count workflows: %w", err)
	}
	args = append(args, limit, offset)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+workflowColumns+workflowJoin+` WHERE `+cond+
		fmt.Sprintf(` ORDER BY w.id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("list workflows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanWorkflow(rows)
		if err != nil {
			return page, err
		}
		page.Workflows = append(page.Workflows, r.summary())
	}
	return page, rows.Err()
}
