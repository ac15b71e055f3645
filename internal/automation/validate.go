package automation

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/mapping"
	"github.com/rosterhq/roster/internal/op"
)

// Catalog answers which operations exist and what their fields are.
type Catalog interface {
	Entry(id string) (op.Entry, bool)
}

// builtinInputs lists the built-in steps' fields (required ones true).
var builtinInputs = map[string]map[string]bool{
	OpEmail:  {"to": true, "subject": true, "text": true, "html": false, "separately": false},
	OpHTTP:   {"url": true, "method": false, "headers": false, "body": false},
	OpDelay:  {"seconds": false, "until": false},
	OpFilter: {"condition": true},
	OpBranch: {},
}

var (
	stepIDPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	eventTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	cronParser       = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
)

// validator collects every problem in a definition, naming each by its JSON
// path ("steps[1].input.email").
type validator struct {
	catalog Catalog
	f       fault.Fields
	ids     map[string]string
}

// Validate checks a definition against the catalog: known operations and
// fields, required inputs present, expressions that compile, unique step ids,
// a valid trigger. It returns an invalid error naming every problem.
func Validate(d Definition, c Catalog) error {
	v := &validator{catalog: c, ids: map[string]string{}}
	v.trigger(d.Trigger)
	for i, cond := range d.Conditions {
		v.expression(fmt.Sprintf("conditions[%d]", i), cond)
	}
	if len(d.Steps) == 0 {
		v.f.Add("steps", "a workflow needs at least one step")
	}
	v.steps("steps", d.Steps)
	return v.f.Err()
}

func (v *validator) trigger(t Trigger) {
	switch t.Type {
	case TriggerEvent:
		if !eventTypePattern.MatchString(t.Event) {
			v.f.Add("trigger.event", "must be an event type such as user.created")
		}
	case TriggerSchedule:
		if _, err := cronParser.Parse(t.Cron); err != nil {
			v.f.Add("trigger.cron", "must be a five-field cron schedule such as \"0 9 * * 1\": %v", err)
		}
		if t.Timezone != "" {
			if _, err := time.LoadLocation(t.Timezone); err != nil || t.Timezone == "Local" {
				v.f.Add("trigger.timezone", "must be an IANA time zone")
			}
		}
	case TriggerWebhook, TriggerManual:
	default:
		v.f.Add("trigger.type", "must be one of event, webhook, schedule, manual")
	}
	if t.Filter != "" {
		v.expression("trigger.filter", t.Filter)
	}
}

func (v *validator) steps(path string, steps []Step) {
	for i, s := range steps {
		v.step(fmt.Sprintf("%s[%d]", path, i), s)
	}
}

func (v *validator) step(path string, s Step) {
	if !stepIDPattern.MatchString(s.ID) {
		v.f.Add(path+".id", "must start with a lower-case letter and use a-z, 0-9 and _")
	} else if prev, dup := v.ids[s.ID]; dup {
		v.f.Add(path+".id", "%q is already the id of %s", s.ID, prev)
	} else {
		v.ids[s.ID] = path
	}
	if s.If != "" {
		v.expression(path+".if", s.If)
	}
	switch s.OnError {
	case "", OnErrorStop, OnErrorContinue:
		if len(s.ErrorSteps) > 0 {
			v.f.Add(path+".errorSteps", "only used with onError \"path\"")
		}
	case OnErrorPath:
		if len(s.ErrorSteps) == 0 {
			v.f.Add(path+".errorSteps", "onError \"path\" needs at least one error step")
		}
		v.steps(path+".errorSteps", s.ErrorSteps)
	default:
		v.f.Add(path+".onError", "must be stop, continue or path")
	}
	if s.Retry != nil && (s.Retry.Attempts < 0 || s.Retry.Attempts > 25 || s.Retry.BackoffSeconds < 0 || s.Retry.MaxBackoffSeconds < 0) {
		v.f.Add(path+".retry", "attempts must be 1 to 25 and waits positive")
	}

	fields, known := builtinInputs[s.Op]
	if !known {
		entry, ok := v.catalog.Entry(s.Op)
		if !ok {
			v.f.Add(path+".op", "unknown operation %q (see GET /api/v1/catalog)", s.Op)
			return
		}
		fields = map[string]bool{}
		for _, fld := range entry.InputFields {
			fields[fld.Key] = fld.Required
		}
	}
	for _, key := range sortedKeys(s.Input) {
		if _, ok := fields[key]; !ok {
			v.f.Add(path+".input."+key, "%s has no field %q", s.Op, key)
		}
	}
	for _, key := range sortedKeys(fields) {
		if fields[key] {
			if _, ok := s.Input[key]; !ok {
				v.f.Add(path+".input."+key, "is required by %s", s.Op)
			}
		}
	}
	switch s.Op {
	case OpFilter:
		if cond, ok := s.Input["condition"].(string); ok {
			v.expression(path+".input.condition", cond)
		} else if _, present := s.Input["condition"]; present {
			v.f.Add(path+".input.condition", "must be an expression string")
		}
	case OpDelay:
		_, secs := s.Input["seconds"]
		_, until := s.Input["until"]
		if secs == until {
			v.f.Add(path+".input", "delay needs exactly one of seconds or until")
		}
	case OpBranch:
		if len(s.Branches) == 0 {
			v.f.Add(path+".branches", "a branch step needs at least one branch")
		}
		for i, b := range s.Branches {
			bp := fmt.Sprintf("%s.branches[%d]", path, i)
			v.expression(bp+".when", b.When)
			v.steps(bp+".steps", b.Steps)
		}
		v.steps(path+".else", s.Else)
	}
	if s.Op != OpBranch && (len(s.Branches) > 0 || len(s.Else) > 0) {
		v.f.Add(path+".branches", "only a branch step has branches")
	}
	if s.Op != OpFilter {
		if _, err := mapping.Compile(map[string]any(s.Input)); err != nil {
			v.f.Add(path+".input"+mappingPath(err), "%s", err.Error())
		}
	}
}

func (v *validator) expression(path, src string) {
	if strings.TrimSpace(src) == "" {
		v.f.Add(path, "is empty")
		return
	}
	if _, err := compileCondition(src); err != nil {
		v.f.Add(path, "%s", err.Error())
	}
}

func mappingPath(err error) string {
	if me, ok := err.(*mapping.Error); ok && me.Path != "" {
		return "." + me.Path
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
