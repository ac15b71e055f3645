package automation

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/op"
)

// TestStep is one step of a dry run: what it would receive, and whether it
// would run.
type TestStep struct {
	StepID string         `json:"stepId"`
	Path   string         `json:"path"`
	Op     string         `json:"op"`
	Runs   bool           `json:"runs" doc:"False when skipped by its if, an untaken branch or a failing filter"`
	Input  map[string]any `json:"input,omitempty" doc:"The resolved input"`
	Output any            `json:"output,omitempty" doc:"Sample output later steps see (from the operation's schema)"`
	Note   string         `json:"note,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// TestResult is a dry run of a workflow on sample trigger data.
type TestResult struct {
	Version    int        `json:"version"`
	Conditions bool       `json:"conditions" doc:"Whether the conditions let a run start"`
	Trigger    any        `json:"trigger" doc:"The trigger data of the dry run: the data given, or a sample event of the workflow's type"`
	Steps      []TestStep `json:"steps"`
}

// Test runs a workflow's latest version on sample data without side effects:
// every step's input is resolved, conditions, filters and branches are
// evaluated, and operations are not called — later steps see sample outputs
// built from each operation's output schema.
func (s *Service) Test(ctx context.Context, workspaceID, id int64, sample map[string]any) (TestResult, error) {
	r, err := getWorkflow(ctx, s.db, s.db.Read(), workspaceID, id, false)
	if err != nil {
		return TestResult{}, err
	}
	if len(sample) == 0 && r.definition.Trigger.Type == TriggerEvent {
		// No data given: a sample event of the trigger's type, so the dry
		// run shows what a real event would make of each step.
		sample = SampleTrigger(r.definition.Trigger.Event)
	}
	if sample == nil {
		sample = map[string]any{}
	}
	res := TestResult{Version: r.version, Conditions: true, Steps: []TestStep{}, Trigger: sample}
	data := map[string]any{"trigger": sample, "steps": map[string]any{}, "run": map[string]any{"id": 0, "workflowId": id}}
	for i, cond := range r.definition.Conditions {
		ok, err := evalCondition(cond, data)
		if err != nil || !ok {
			res.Conditions = false
			res.Steps = append(res.Steps, TestStep{StepID: "", Path: fmt.Sprintf("conditions[%d]", i), Note: "the run would be skipped", Error: errText(err)})
			return res, nil
		}
	}
	s.dry(r.definition.Steps, "", data, true, &res)
	return res, nil
}

func (s *Service) dry(steps []Step, prefix string, data map[string]any, active bool, res *TestResult) {
	outputs := data["steps"].(map[string]any)
	for i, step := range steps {
		path := fmt.Sprintf("%s%d", prefix, i)
		ts := TestStep{StepID: step.ID, Path: path, Op: step.Op, Runs: active}
		if active && step.If != "" {
			ok, err := evalCondition(step.If, data)
			ts.Error = errText(err)
			if !ok {
				ts.Runs, ts.Note = false, "skipped: if is false"
			}
		}
		if ts.Runs && step.Op != OpFilter && step.Op != OpBranch {
			in, err := renderInput(step, data)
			ts.Input, ts.Error = in, errText(err)
		}
		switch step.Op {
		case OpFilter:
			if ts.Runs {
				cond, _ := step.Input["condition"].(string)
				ok, err := evalCondition(cond, data)
				ts.Error, ts.Output = errText(err), map[string]any{"passed": ok}
				if !ok {
					ts.Note = "the run would stop here"
					res.Steps = append(res.Steps, ts)
					active = false
					continue
				}
			}
		case OpBranch:
			taken := -1
			for bi, b := range step.Branches {
				if ok, _ := evalCondition(b.When, data); ts.Runs && ok && taken < 0 {
					taken = bi
				}
			}
			res.Steps = append(res.Steps, ts)
			for bi, b := range step.Branches {
				s.dry(b.Steps, fmt.Sprintf("%s/%s%d/", path, selBranch, bi), data, ts.Runs && taken == bi, res)
			}
			s.dry(step.Else, path+"/"+selElse+"/", data, ts.Runs && taken < 0, res)
			continue
		default:
			ts.Output = s.sampleOutput(step.Op)
		}
		if ts.Runs {
			outputs[step.ID] = ts.Output
		}
		res.Steps = append(res.Steps, ts)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sampleOutput builds a stand-in output from the operation's output fields.
func (s *Service) sampleOutput(opID string) any {
	switch opID {
	case OpEmail:
		return map[string]any{"to": []any{"sample@example.com"}, "subject": "sample", "sentAt": 0}
	case OpHTTP:
		return map[string]any{"status": 200, "body": "", "json": map[string]any{}}
	case OpDelay:
		return map[string]any{"until": 0}
	}
	entry, ok := s.catalog.Entry(opID)
	if !ok {
		return nil
	}
	return sampleFields(entry.OutputFields)
}

func sampleFields(fields []op.Field) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		switch f.Type {
		case "string":
			out[f.Key] = "sample-" + f.Key
			if len(f.Choices) > 0 {
				out[f.Key] = f.Choices[0]
			}
		case "integer", "number":
			out[f.Key] = 1
		case "boolean":
			out[f.Key] = false
		case "array":
			out[f.Key] = []any{}
		default:
			out[f.Key] = map[string]any{}
		}
	}
	return out
}
