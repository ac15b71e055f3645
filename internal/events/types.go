package events

import (
	"regexp"
	"sort"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
)

// resourceScopes maps an event type's first segment (the resource) to the
// scopes that read it. An event is shown or delivered only to keys holding
// them all: a key cannot learn through events what it could not read.
// Attribute definitions exist for users and for groups, and their events
// carry either, so they need both read scopes.
var resourceScopes = map[string][]access.Scope{
	"user":             {access.UsersRead},
	"group":            {access.GroupsRead},
	"attribute":        {access.UsersRead, access.GroupsRead},
	"course":           {access.CoursesRead},
	"enrollment":       {access.CoursesRead},
	"assignment":       {access.CoursesRead},
	"certificate":      {access.CoursesRead},
	"workflow":         {access.WorkflowsRead},
	"workflow_run":     {access.WorkflowsRead},
	"webhook_endpoint": {access.WebhooksRead},
}

// KnownTypes lists the event types Roster records, for documentation and
// catalogs. Subscriptions may name any well-formed type of a known resource,
// so a new event type needs no change here to be subscribed to.
var KnownTypes = []string{
	"user.created", "user.updated", "user.deleted", "user.deactivated", "user.reactivated",
	"group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed",
	"attribute.updated", "attribute.deleted",
	"course.created", "course.updated", "course.published", "course.archived", "course.deleted", "course.imported", "course.assigned",
	"course.unassigned",
	"enrollment.created", "enrollment.started", "enrollment.progressed", "enrollment.completed", "enrollment.overdue",
	"workflow.created", "workflow.updated", "workflow.published", "workflow.paused", "workflow.deleted",
	"webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.deleted", "webhook_endpoint.disabled",
}

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// ScopesOf returns the scopes that read events of type typ (or of a
// pattern "user.*"); ok is false for a malformed type or an unknown
// resource.
func ScopesOf(typ string) ([]access.Scope, bool) {
	if typ == "*" {
		return nil, false
	}
	check := typ
	if base, ok := strings.CutSuffix(typ, ".*"); ok {
		check = base + ".x"
	}
	if !typePattern.MatchString(check) {
		return nil, false
	}
	resource, _, _ := strings.Cut(typ, ".")
	scopes, ok := resourceScopes[resource]
	return scopes, ok
}

// requireAll returns a forbidden error unless p holds every scope.
func requireAll(p access.Principal, scopes []access.Scope) error {
	for _, sc := range scopes {
		if err := p.Require(sc); err != nil {
			return err
		}
	}
	return nil
}

// ReadScopes lists every scope some event type needs, sorted.
func ReadScopes() []access.Scope {
	seen := map[access.Scope]bool{}
	var out []access.Scope
	for _, scopes := range resourceScopes {
		for _, sc := range scopes {
			if !seen[sc] {
				seen[sc] = true
				out = append(out, sc)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Matches reports whether event type typ is selected by pattern: equal, a
// "resource.*" prefix pattern, or "*".
func Matches(pattern, typ string) bool {
	if pattern == "*" || pattern == typ {
		return true
	}
	base, ok := strings.CutSuffix(pattern, ".*")
	return ok && strings.HasPrefix(typ, base+".")
}

// CheckPattern validates one subscription pattern for principal p: a
// well-formed type of a known resource, "resource.*", or "*" (which needs
// every resource scope). A malformed or unknown pattern is an invalid-field
// message; a pattern p may not read is a forbidden error.
func CheckPattern(p access.Principal, pattern string) (invalid string, err error) {
	if pattern == "*" {
		for _, sc := range ReadScopes() {
			if err := p.Require(sc); err != nil {
				return "", fault.Forbidden("\"*\" subscribes to every event and needs every read scope; this API key lacks %q", sc)
			}
		}
		return "", nil
	}
	scopes, ok := ScopesOf(pattern)
	if !ok {
		return "unknown event type " + quote(pattern) + "; use resource.action (e.g. user.created), resource.* or *", nil
	}
	for _, sc := range scopes {
		if !p.Allows(sc) {
			return "", fault.Forbidden("this API key lacks the %q scope that %s events need", sc, pattern)
		}
	}
	return "", nil
}

func quote(s string) string { return "\"" + s + "\"" }

// visibleResources returns the resources whose events p may read, or nil
// when p may read them all (including resources not in the map).
func visibleResources(p access.Principal) []string {
	all := true
	var out []string
	for resource, scopes := range resourceScopes {
		if requireAll(p, scopes) == nil {
			out = append(out, resource)
		} else {
			all = false
		}
	}
	if all {
		return nil
	}
	sort.Strings(out)
	if out == nil {
		out = []string{} // nothing visible, as opposed to everything
	}
	return out
}
