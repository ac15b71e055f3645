package api

import (
	"net/http"
	"strings"
)

// Chatwoot resources with no counterpart in Roster answer 501 with the
// reason and what to use instead, so that an n8n user reads why rather than
// "resource not found".
type unmappedResource struct {
	name    string // as Chatwoot's API reference names it
	instead string // empty when Roster has nothing alike
}

// unmappedAccountResources are the resources below
// /api/v{1,2}/accounts/{account_id}/, by first path segment.
var unmappedAccountResources = map[string]unmappedResource{
	"contacts":              {"contacts", "Roster's people are users: /api/v1/users (custom attributes: /api/v1/accounts/{account_id}/custom_attribute_definitions)"},
	"conversations":         {"conversations and messages", ""},
	"inboxes":               {"inboxes", ""},
	"inbox_members":         {"inbox members", "groups and their members: /api/v1/accounts/{account_id}/teams"},
	"canned_responses":      {"canned responses", ""},
	"agent_bots":            {"agent bots", "an API key with the scopes it needs, and webhooks for events"},
	"integrations":          {"integrations", "webhooks (/api/v1/accounts/{account_id}/webhooks) and Roster's own Zapier and n8n integrations"},
	"custom_filters":        {"custom filters", "the filters of GET /api/v1/users (query, email, status, role)"},
	"reports":               {"reports", ""},
	"automation_rules":      {"automation rules", "workflows: /api/v1/workflows"},
	"portals":               {"help center portals", ""},
	"labels":                {"labels", "groups: /api/v1/accounts/{account_id}/teams"},
	"campaigns":             {"campaigns", ""},
	"csat_survey_responses": {"CSAT survey responses", ""},
}

// unmappedChatwoot returns the 501 problem for a Chatwoot path Roster does
// not provide, or nil.
func unmappedChatwoot(path string) *Problem {
	var res unmappedResource
	var ok bool
	switch {
	case strings.HasPrefix(path, "/api/v1/accounts/") || strings.HasPrefix(path, "/api/v2/accounts/"):
		parts := strings.SplitN(path, "/", 7) // "", api, v1, accounts, id, resource, rest
		if len(parts) >= 6 {
			res, ok = unmappedAccountResources[parts[5]]
		}
	case strings.HasPrefix(path, platformPrefix+"/agent_bots"):
		res, ok = unmappedAccountResources["agent_bots"], true
	case strings.HasPrefix(path, "/public/api/v1/"):
		res, ok = unmappedResource{"client API (inboxes, contacts, conversations, messages)", ""}, true
	case strings.HasPrefix(path, "/survey/responses"):
		res, ok = unmappedResource{"CSAT survey pages", ""}, true
	}
	if !ok {
		return nil
	}
	detail := "Roster does not provide Chatwoot's " + res.name + "."
	if res.instead != "" {
		detail += " Use " + res.instead + " instead."
	} else {
		detail += " Roster has nothing alike: it manages people, groups and learning, not customer conversations."
	}
	return newProblem(http.StatusNotImplemented, "not_provided", detail)
}
