package api

import (
	"net"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// The parts of the OpenAPI document that no single operation owns: where
// the server is, what each tag groups, which operations need no key, and
// request examples taken literally from the documents Roster's API follows
// (Konstantly's Zapier actions), so a flow built from those documents can
// be checked against ours.

// tagDescriptions describe every tag, in the order the docs show them. A
// test checks that every tag in use is here.
var tagDescriptions = []struct{ name, description string }{
	{"Users", "People in the workspace: create (one or up to 1,000 at a time), read, update, deactivate, delete. Shapes follow Konstantly's API."},
	{"Groups", "Groups (a tree: a group may have a parent) and their members."},
	{"Custom attributes", "Definitions of the custom attributes of users and groups: key, type, choices, required."},
	{"Courses", "Courses: create, update, archive, and import in bulk by your own course id."},
	{"Assignments", "Assigning courses to people and groups (a group assignment reaches present and future members), and the enrollments that result, with progress."},
	{"Statistics", "Counts of assigned, in-progress, completed and overdue enrollments."},
	{"Events", "The event log every write records (user.created, course.assigned, …), with cursor paging and Zapier-style polling triggers."},
	{"Webhooks", "Webhook endpoints signed after Standard Webhooks, their deliveries, and Zapier REST hooks."},
	{"Workflows", "Workflows: a trigger, conditions and steps that call these same operations; versions, test runs, runs and templates."},
	{"Account", "The API key in use: its workspace and scopes."},
	{"Platform", "A Chatwoot-style platform face over the user operations, with snake_case fields."},
	{"Chatwoot", "Chatwoot's application API (/api/v1/accounts/{account_id}/…, /api/v1/profile) over Roster's operations: agents, teams, custom attributes, webhooks; the groups Roster does not provide answer 501."},
	{"Catalog", "Every operation with its typed fields, for no-code tools. Public."},
	{"Health", "Liveness and readiness probes. Public."},
}

// requestExamples are request bodies by operation id. The Konstantly ones
// are the seed's request examples and field tables as written; where the
// seed puts an id in the body that our route takes in its path, the
// example leaves it out.
var requestExamples = map[string]struct {
	summary string
	value   any
}{
	"users.create": {"Create User (Konstantly's Zapier action)", map[string]any{
		"name": "Jane Smith", "email": "jane@example.com", "roleAlias": "learner", "language": "en", "timezone": "Europe/London",
		"customAttributes": map[string]any{"department": "Sales", "employee_id": "EMP123"},
	}},
	"users.update": {"Update User (Konstantly's Zapier action; the id is in the path)", map[string]any{
		"email": "jane@example.com", "name": "Jane Smith", "customAttributes": map[string]any{"department": "Marketing"},
	}},
	"groups.create": {"Create Group (Konstantly's Zapier action)", map[string]any{
		"name": "Sales", "parentId": 1, "description": "Everyone in sales", "customAttributes": map[string]any{"region": "EMEA"},
	}},
	"groups.add_users": {"Add User to Group (Konstantly's Zapier action; the group id is in the path)", map[string]any{
		"userId": "user_123",
	}},
	"courses.assign": {"Assign Course (Konstantly's Zapier action; the course id is in the path)", map[string]any{
		"users": []any{"user_123", "user_124"}, "groups": []any{1, 2}, "deadlineAt": 1643673600,
	}},
	"users.bulk_create": {"Two users, the second of them refused on its own", map[string]any{
		"users": []any{
			map[string]any{"name": "Jane Smith", "email": "jane@example.com", "roleAlias": "learner"},
			map[string]any{"name": "Joe Bloggs", "email": "not-an-email"},
		},
		"onExisting": "skip",
	}},
}

// describeDocument completes the document once every operation is
// registered. serverURL is where clients reach this Roster.
func describeDocument(api huma.API, serverURL string) {
	doc := api.OpenAPI()
	doc.Servers = []*huma.Server{{URL: serverURL, Description: "This Roster (set ROSTER_PUBLIC_URL when it is reached at another address)"}}
	doc.Tags = nil
	for _, t := range tagDescriptions {
		doc.Tags = append(doc.Tags, &huma.Tag{Name: t.name, Description: t.description})
	}
	for _, item := range doc.Paths {
		for _, o := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch, item.Head, item.Options} {
			if o == nil {
				continue
			}
			// Operations without credentials say so explicitly: no key needed.
			if o.Security == nil {
				o.Security = []map[string][]string{}
			}
			ex, ok := requestExamples[o.OperationID]
			if !ok || o.RequestBody == nil {
				continue
			}
			if mt := o.RequestBody.Content["application/json"]; mt != nil {
				mt.Examples = map[string]*huma.Example{"seed": {Summary: ex.summary, Value: ex.value}}
			}
		}
	}
}

// ServerURL is the URL the document names: publicURL when set, else the
// listen address, on loopback when it names no host.
func ServerURL(publicURL, addr string) string {
	if publicURL != "" {
		return strings.TrimRight(publicURL, "/")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "http://127.0.0.1:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
