// Package automation runs workflows: a trigger (an event, an inbound
// webhook, a schedule, or a manual start), conditions, and steps that call
// operations from the registry (plus email, HTTP, delay, filter and branch)
// with inputs mapped from the trigger data and earlier steps' outputs.
package automation

// Definition is a workflow's content; each saved change is a new version and
// runs pin the version they started on.
type Definition struct {
	Trigger Trigger `json:"trigger"`
	// Conditions must all be true for a run to go ahead; otherwise the run is
	// recorded as skipped. Expressions over {trigger}.
	Conditions []string `json:"conditions,omitempty"`
	Steps      []Step   `json:"steps" minItems:"1"`
}

// Trigger types.
const (
	TriggerEvent    = "event"
	TriggerWebhook  = "webhook"
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

// Trigger starts runs.
type Trigger struct {
	Type string `json:"type" enum:"event,webhook,schedule,manual"`
	// Event is the event type for event triggers, e.g. user.created.
	Event string `json:"event,omitempty"`
	// Filter is an expression over {trigger} that must be true for an event to
	// start a run, e.g. "trigger.data.roleAlias == 'learner'".
	Filter string `json:"filter,omitempty"`
	// Cron is a five-field schedule for schedule triggers, e.g. "0 9 * * 1".
	Cron string `json:"cron,omitempty"`
	// Timezone for the cron schedule; default UTC.
	Timezone string `json:"timezone,omitempty"`
}

// Built-in step kinds besides registry operations.
const (
	OpEmail  = "email.send"
	OpHTTP   = "http.request"
	OpDelay  = "delay"
	OpFilter = "filter"
	OpBranch = "branch"
)

// What happens when a step fails after its retries.
const (
	OnErrorStop     = "stop"     // the run fails (default)
	OnErrorContinue = "continue" // record the error and go on with the next step
	OnErrorPath     = "path"     // run ErrorSteps, then end the run as failed
)

// Step is one unit of work.
type Step struct {
	// ID names the step for mapping (steps.<id>.…); unique in the workflow.
	ID string `json:"id" pattern:"^[a-z][a-z0-9_]{0,62}$"`
	// Op is a registry operation id (users.create, groups.add_users, …) or
	// one of email.send, http.request, delay, filter, branch.
	Op string `json:"op"`
	// Input maps the operation's fields to values; strings may hold
	// {{ expressions }}.
	Input map[string]any `json:"input,omitempty"`
	// If skips the step unless the expression is true.
	If string `json:"if,omitempty"`
	// Retry controls attempts and exponential backoff.
	Retry *Retry `json:"retry,omitempty"`
	// OnError is stop (default), continue or path.
	OnError    string `json:"onError,omitempty" enum:"stop,continue,path"`
	ErrorSteps []Step `json:"errorSteps,omitempty"`
	// Branches of a branch step: the first whose When is true runs, else Else.
	Branches []Branch `json:"branches,omitempty"`
	Else     []Step   `json:"else,omitempty"`
}

// Branch is one arm of a branch step.
type Branch struct {
	When  string `json:"when"`
	Steps []Step `json:"steps"`
}

// Retry is a step's retry policy: Attempts tries in all, waiting
// BackoffSeconds × 2^(attempt-1) (with jitter) between them, capped at
// MaxBackoffSeconds.
type Retry struct {
	Attempts          int     `json:"attempts,omitempty" minimum:"1" maximum:"25" doc:"Tries in all; default 3"`
	BackoffSeconds    float64 `json:"backoffSeconds,omitempty" minimum:"0" maximum:"3600" doc:"First wait; default 2"`
	MaxBackoffSeconds float64 `json:"maxBackoffSeconds,omitempty" minimum:"0" maximum:"86400" doc:"Longest wait; default 3600"`
}

// withDefaults fills in the default policy.
func (r *Retry) withDefaults() Retry {
	out := Retry{Attempts: 3, BackoffSeconds: 2, MaxBackoffSeconds: 3600}
	if r == nil {
		return out
	}
	if r.Attempts > 0 {
		out.Attempts = r.Attempts
	}
	if r.BackoffSeconds > 0 {
		out.BackoffSeconds = r.BackoffSeconds
	}
	if r.MaxBackoffSeconds > 0 {
		out.MaxBackoffSeconds = r.MaxBackoffSeconds
	}
	return out
}
