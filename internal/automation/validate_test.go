package automation

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// fixedCatalog is a catalog of a few operations for unit tests.
type fixedCatalog map[string]op.Entry

func (c fixedCatalog) Entry(id string) (op.Entry, bool) { e, ok := c[id]; return e, ok }

var testCatalog = fixedCatalog{
	"users.create": {ID: "users.create", Scope: "users.write", InputFields: []op.Field{
		{Key: "name", Required: true}, {Key: "email", Required: true}, {Key: "timezone"}},
		OutputFields: []op.Field{{Key: "id", Type: "string"}, {Key: "email", Type: "string"}}},
	"users.list": {ID: "users.list", Scope: "users.readonly", InputFields: []op.Field{{Key: "email"}, {Key: "limit"}},
		OutputFields: []op.Field{{Key: "users", Type: "array"}, {Key: "totalCount", Type: "integer"}}},
}

func TestValidate(t *testing.T) {
	ok := Definition{Trigger: Trigger{Type: TriggerWebhook}, Steps: []Step{
		{ID: "create", Op: "users.create", Input: map[string]any{"name": "{{ trigger.body.name }}", "email": "{{ lower(trigger.body.email) }}"}},
	}}
	if err := Validate(ok, testCatalog); err != nil {
		t.Fatalf("valid definition refused: %v", err)
	}
	cases := []struct {
		name  string
		def   Definition
		field string
	}{
		{"unknown trigger", Definition{Trigger: Trigger{Type: "telepathy"}, Steps: ok.Steps}, "trigger.type"},
		{"bad event", Definition{Trigger: Trigger{Type: TriggerEvent, Event: "Users Created"}, Steps: ok.Steps}, "trigger.event"},
		{"bad cron", Definition{Trigger: Trigger{Type: TriggerSchedule, Cron: "every day"}, Steps: ok.Steps}, "trigger.cron"},
		{"bad filter", Definition{Trigger: Trigger{Type: TriggerEvent, Event: "user.created", Filter: "trigger.data.(("}, Steps: ok.Steps}, "trigger.filter"},
		{"no steps", Definition{Trigger: Trigger{Type: TriggerManual}}, "steps"},
		{"unknown op", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.teleport"}}}, "steps[0].op"},
		{"unknown field", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.list", Input: map[string]any{"shoe": 1}}}}, "steps[0].input.shoe"},
		{"missing required", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.create", Input: map[string]any{"name": "x"}}}}, "steps[0].input.email"},
		{"bad expression", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.create", Input: map[string]any{"name": "{{ upper( }}", "email": "x"}}}}, "steps[0].input.name"},
		{"bad id", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "A b", Op: "users.list"}}}, "steps[0].id"},
		{"duplicate id", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.list"}, {ID: "a", Op: "users.list"}}}, "steps[1].id"},
		{"bad if", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.list", If: "1 +"}}}, "steps[0].if"},
		{"filter without condition", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: OpFilter}}}, "steps[0].input.condition"},
		{"delay without time", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: OpDelay}}}, "steps[0].input"},
		{"branch without branches", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: OpBranch}}}, "steps[0].branches"},
		{"nested problem", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: OpBranch,
			Branches: []Branch{{When: "true", Steps: []Step{{ID: "b", Op: "users.nope"}}}}}}}, "steps[0].branches[0].steps[0].op"},
		{"error path without steps", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.list", OnError: OnErrorPath}}}, "steps[0].errorSteps"},
		{"bad onError", Definition{Trigger: Trigger{Type: TriggerManual}, Steps: []Step{{ID: "a", Op: "users.list", OnError: "panic"}}}, "steps[0].onError"},
		{"bad condition", Definition{Trigger: Trigger{Type: TriggerManual}, Conditions: []string{""}, Steps: ok.Steps}, "conditions[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.def, testCatalog)
			fe, isFault := fault.As(err)
			if !isFault || fe.Kind != fault.KindInvalid {
				t.Fatalf("got %v, want an invalid error", err)
			}
			var fields []string
			for _, f := range fe.Fields {
				fields = append(fields, f.Field)
				if f.Field == tc.field {
					return
				}
			}
			t.Fatalf("no problem named %q; got %s", tc.field, strings.Join(fields, ", "))
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	r := Retry{Attempts: 5, BackoffSeconds: 2, MaxBackoffSeconds: 10}
	for attempt, want := range map[int]float64{1: 2, 2: 4, 3: 8, 4: 10, 9: 10} {
		got := r.Backoff(attempt).Seconds()
		if got < want*0.8-0.001 || got > want*1.2+0.001 {
			t.Errorf("attempt %d: %.2fs, want %.0fs ± 20%%", attempt, got, want)
		}
	}
	if d := (*Retry)(nil).withDefaults(); d.Attempts != 3 || d.BackoffSeconds != 2 {
		t.Errorf("defaults %+v", d)
	}
}
