// Package access owns workspaces (tenants), API keys and their scopes, and
// the Principal that every operation runs as.
package access

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Scope is a permission an API key can carry.
type Scope string

// The scopes Roster knows. A ".write" scope also grants the matching
// ".readonly" scope: an integration that may change users may also read them.
const (
	UsersRead      Scope = "users.readonly"
	UsersWrite     Scope = "users.write"
	GroupsRead     Scope = "groups.readonly"
	GroupsWrite    Scope = "groups.write"
	CoursesRead    Scope = "courses.readonly"
	CoursesWrite   Scope = "courses.write"
	WorkflowsRead  Scope = "workflows.readonly"
	WorkflowsWrite Scope = "workflows.write"
	WebhooksRead   Scope = "webhooks.readonly"
	WebhooksWrite  Scope = "webhooks.write"
	// EventsRead reads the event log and polling triggers. Each event also
	// needs the read scope of the resource it carries (users.readonly for
	// user.* events, ...), so the log never shows more than the key could
	// read directly.
	EventsRead Scope = "events.readonly"
	// SCIM lets an identity provider (Okta, Microsoft Entra) provision users
	// and groups at /scim/v2 and nowhere else. On that face it implies
	// users.write and groups.write (so users.readonly and groups.readonly):
	// the SCIM face calls the canonical operations with those rights.
	SCIM Scope = "scim"
)

// AllScopes lists every scope, in a stable order.
var AllScopes = []Scope{
	UsersRead, UsersWrite, GroupsRead, GroupsWrite, CoursesRead, CoursesWrite,
	WorkflowsRead, WorkflowsWrite, WebhooksRead, WebhooksWrite, EventsRead, SCIM,
}

// ParseScopes reads a comma- or space-separated list; "all" means every scope.
func ParseScopes(s string) ([]Scope, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	var out []Scope
	for _, f := range fields {
		if f == "all" {
			return slices.Clone(AllScopes), nil
		}
		sc := Scope(f)
		if !slices.Contains(AllScopes, sc) {
			return nil, fmt.Errorf("unknown scope %q (known: %s, or all)", f, joinScopes(AllScopes))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scopes given (known: %s, or all)", joinScopes(AllScopes))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func joinScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// grants reports whether holding `have` allows an operation that needs `need`.
func grants(have, need Scope) bool {
	if have == need {
		return true
	}
	base, ok := strings.CutSuffix(string(need), ".readonly")
	return ok && string(have) == base+".write"
}
