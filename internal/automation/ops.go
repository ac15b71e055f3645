package automation

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// WorkflowIDParam addresses one workflow.
type WorkflowIDParam struct {
	ID int64 `path:"id" minimum:"1" doc:"Workflow id"`
}

type listWorkflowsInput struct {
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Status string `query:"status" enum:"draft,active,paused"`
}

type createWorkflowInput struct {
	Body WorkflowInput
}

type updateWorkflowInput struct {
	WorkflowIDParam
	Body WorkflowPatch
}

type triggerInput struct {
	WorkflowIDParam
	// The body may be left out: a dry run of an event-triggered workflow
	// then uses a sample event, and a run starts with empty trigger data.
	Body *triggerBody `required:"false"`
}

type triggerBody struct {
	Trigger map[string]any `json:"trigger,omitempty" doc:"Trigger data the run sees as trigger.*"`
}

// trigger returns the given trigger data, nil when there is none.
func (in *triggerInput) trigger() map[string]any {
	if in.Body == nil {
		return nil
	}
	return in.Body.Trigger
}

type runsInput struct {
	WorkflowIDParam
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Status string `query:"status" enum:"running,succeeded,failed,skipped,filtered"`
}

type runInput struct {
	WorkflowIDParam
	RunID int64 `path:"runId" minimum:"1"`
}

type inboundInput struct {
	Token       string `path:"token" maxLength:"64"`
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

type workflowOutput struct{ Body Workflow }
type workflowPageOutput struct{ Body WorkflowPage }
type runOutput struct{ Body Run }
type runPageOutput struct{ Body RunPage }
type testOutput struct{ Body TestResult }
type templatesOutput struct {
	Body struct {
		Templates []Template `json:"templates"`
	}
}
type noContent struct{}

// Ops lists the workflow operations.
func (s *Service) Ops() []op.Any {
	const tag = "Workflows"
	read, write := access.WorkflowsRead, access.WorkflowsWrite
	return []op.Any{
		&op.Op[listWorkflowsInput, workflowPageOutput]{ID: "workflows.list", Tag: tag, Scope: read, Method: http.MethodGet, Path: "/workflows",
			Summary: "List workflows",
			Run: func(ctx context.Context, p access.Principal, in *listWorkflowsInput) (*workflowPageOutput, error) {
				page, err := s.ListWorkflows(ctx, p.WorkspaceID, in.Status, in.Offset, in.Limit)
				return &workflowPageOutput{Body: page}, err
			}},
		&op.Op[struct{}, templatesOutput]{ID: "workflows.templates", Tag: tag, Scope: read, Method: http.MethodGet, Path: "/workflows/templates",
			Summary: "Ready-made workflow templates", Description: "Definitions to copy into `POST /workflows`.",
			Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*templatesOutput, error) {
				out := &templatesOutput{}
				out.Body.Templates = Templates()
				return out, nil
			}},
		&op.Op[WorkflowIDParam, workflowOutput]{ID: "workflows.get", Tag: tag, Scope: read, Method: http.MethodGet, Path: "/workflows/{id}",
			Summary: "Get a workflow",
			Run: func(ctx context.Context, p access.Principal, in *WorkflowIDParam) (*workflowOutput, error) {
				w, err := s.GetWorkflow(ctx, p.WorkspaceID, in.ID)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[createWorkflowInput, workflowOutput]{ID: "workflows.create", Tag: tag, Scope: write, Method: http.MethodPost, Path: "/workflows",
			Status: http.StatusCreated, Summary: "Create a workflow",
			Description: "Saved as a draft (version 1) after validation: unknown operations or fields, bad expressions and missing " +
				"required inputs are refused naming the step and field. A webhook-triggered workflow's `webhookPath` is shown this once.",
			Run: func(ctx context.Context, p access.Principal, in *createWorkflowInput) (*workflowOutput, error) {
				w, err := s.CreateWorkflow(ctx, p, in.Body)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[updateWorkflowInput, workflowOutput]{ID: "workflows.update", Tag: tag, Scope: write, Method: http.MethodPut, Path: "/workflows/{id}",
			Summary: "Update a workflow", Description: "A new definition becomes a new version; publish it to make it the one that runs.",
			Run: func(ctx context.Context, p access.Principal, in *updateWorkflowInput) (*workflowOutput, error) {
				w, err := s.UpdateWorkflow(ctx, p, in.ID, in.Body)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[WorkflowIDParam, workflowOutput]{ID: "workflows.publish", Tag: tag, Scope: write, Method: http.MethodPost, Path: "/workflows/{id}/publish",
			Summary: "Publish the latest version and activate the workflow",
			Run: func(ctx context.Context, p access.Principal, in *WorkflowIDParam) (*workflowOutput, error) {
				w, err := s.PublishWorkflow(ctx, p.WorkspaceID, in.ID)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[WorkflowIDParam, workflowOutput]{ID: "workflows.pause", Tag: tag, Scope: write, Method: http.MethodPost, Path: "/workflows/{id}/pause",
			Summary: "Pause a workflow: triggers stop starting runs",
			Run: func(ctx context.Context, p access.Principal, in *WorkflowIDParam) (*workflowOutput, error) {
				w, err := s.PauseWorkflow(ctx, p.WorkspaceID, in.ID)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[WorkflowIDParam, noContent]{ID: "workflows.delete", Tag: tag, Scope: write, Method: http.MethodDelete, Path: "/workflows/{id}",
			Status: http.StatusNoContent, Summary: "Delete a workflow with its versions and runs",
			Run: func(ctx context.Context, p access.Principal, in *WorkflowIDParam) (*noContent, error) {
				return &noContent{}, s.DeleteWorkflow(ctx, p.WorkspaceID, in.ID)
			}},
		&op.Op[WorkflowIDParam, workflowOutput]{ID: "workflows.rotate_webhook", Tag: tag, Scope: write, Method: http.MethodPost, Path: "/workflows/{id}/webhook-token",
			Summary: "Give a webhook workflow a new inbound URL", Description: "The old URL stops working at once; the new `webhookPath` is shown this once.",
			Run: func(ctx context.Context, p access.Principal, in *WorkflowIDParam) (*workflowOutput, error) {
				w, err := s.RotateWebhookToken(ctx, p.WorkspaceID, in.ID)
				return &workflowOutput{Body: w}, err
			}},
		&op.Op[triggerInput, testOutput]{ID: "workflows.test", Tag: tag, Scope: read, Method: http.MethodPost, Path: "/workflows/{id}/test",
			Summary: "Dry-run a workflow on sample data",
			Description: "Resolves every step's input, evaluates conditions, filters and branches, and calls nothing: no side effects. " +
				"Without `trigger` data, an event-triggered workflow is tried on a sample event of its type (shown as `trigger`).",
			Run: func(ctx context.Context, p access.Principal, in *triggerInput) (*testOutput, error) {
				res, err := s.Test(ctx, p.WorkspaceID, in.ID, in.trigger())
				return &testOutput{Body: res}, err
			}},
		&op.Op[triggerInput, runOutput]{ID: "workflows.run", Tag: tag, Scope: write, Method: http.MethodPost, Path: "/workflows/{id}/run",
			Status: http.StatusAccepted, Summary: "Run a workflow now, for real",
			Description: "Starts a run of the latest version with `trigger` as its data; follow it with the run routes.",
			Run: func(ctx context.Context, p access.Principal, in *triggerInput) (*runOutput, error) {
				run, err := s.RunNow(ctx, p.WorkspaceID, in.ID, in.trigger())
				return &runOutput{Body: run}, err
			}},
		&op.Op[runsInput, runPageOutput]{ID: "workflows.list_runs", Tag: tag, Scope: read, Method: http.MethodGet, Path: "/workflows/{id}/runs",
			Summary: "List a workflow's runs",
			Run: func(ctx context.Context, p access.Principal, in *runsInput) (*runPageOutput, error) {
				page, err := s.ListRuns(ctx, p.WorkspaceID, in.ID, in.Status, in.Offset, in.Limit)
				return &runPageOutput{Body: page}, err
			}},
		&op.Op[runInput, runOutput]{ID: "workflows.get_run", Tag: tag, Scope: read, Method: http.MethodGet, Path: "/workflows/{id}/runs/{runId}",
			Summary: "Get a run with each step's input, output, error, attempts and timing",
			Run: func(ctx context.Context, p access.Principal, in *runInput) (*runOutput, error) {
				run, err := s.GetRun(ctx, p.WorkspaceID, in.RunID)
				if err == nil && run.WorkflowID != in.ID {
					err = fault.NotFound("run")
				}
				run = s.visibleTo(run, p)
				return &runOutput{Body: run}, err
			}},
		&op.Op[inboundInput, runOutput]{ID: "workflows.inbound_webhook", Tag: tag, Method: http.MethodPost, Path: "/hooks/in/{token}",
			Public: true, Root: true, Compat: true, Status: http.StatusAccepted, MaxBodyBytes: 1 << 20,
			Summary:     "Trigger a webhook workflow",
			Description: "Authenticated by the secret token in the path. Any JSON body becomes `trigger.body` of a new run.",
			Run: func(ctx context.Context, _ access.Principal, in *inboundInput) (*runOutput, error) {
				var body any
				if len(in.RawBody) > 0 {
					if err := json.Unmarshal(in.RawBody, &body); err != nil {
						return nil, fault.Invalid("body", "must be JSON: %v", err)
					}
				}
				run, err := s.InboundWebhook(ctx, in.Token, map[string]any{
					"body": body, "contentType": strings.TrimSpace(in.ContentType), "receivedAt": s.now().Unix()})
				return &runOutput{Body: run}, err
			}},
	}
}
