package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/access/accessops"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// The Chatwoot application face: /api/v1/accounts/{account_id}/… for the
// groups that map onto Roster (agents, teams, custom attributes, webhooks)
// and /api/v1/profile. Every operation converts shapes and calls the
// canonical operations with op.Call, so rules, scopes and events are the
// ones of the main API. The account is the key's workspace: any other
// account id is not found.

// opOf returns registry operation id with its types. A missing or
// differently typed operation is a programming error that any test
// building the server catches.
func opOf[I, O any](reg *op.Registry, id string) *op.Op[I, O] {
	o, ok := reg.Lookup(id)
	if !ok {
		panic("chatwoot face: no operation " + id)
	}
	typed, ok := o.(*op.Op[I, O])
	if !ok {
		panic(fmt.Sprintf("chatwoot face: operation %s is %T", id, o))
	}
	return typed
}

// checkAccount refuses an account id other than the key's workspace as not
// found, as for any other workspace's data.
func checkAccount(p access.Principal, id int64) error {
	if id == 0 || id != p.WorkspaceID {
		return fault.NotFound(fmt.Sprintf("account %d", id))
	}
	return nil
}

// ChatwootAgent is a person with a console role, in Chatwoot's agent shape.
type ChatwootAgent struct {
	ID                 string         `json:"id"`
	AccountID          int64          `json:"account_id"`
	Name               string         `json:"name"`
	AvailableName      string         `json:"available_name"`
	Email              string         `json:"email"`
	Role               string         `json:"role" enum:"agent,administrator"`
	AvailabilityStatus string         `json:"availability_status" doc:"Always offline: Roster has no presence"`
	AutoOffline        bool           `json:"auto_offline"`
	Confirmed          bool           `json:"confirmed"`
	Thumbnail          string         `json:"thumbnail"`
	CustomAttributes   map[string]any `json:"custom_attributes"`
}

func chatwootAgent(ws int64, u directory.User) ChatwootAgent {
	avail := u.DisplayName
	if avail == "" {
		avail = u.Name
	}
	return ChatwootAgent{ID: u.ID, AccountID: ws, Name: u.Name, AvailableName: avail, Email: u.Email, Role: chatwootRole(u.RoleAlias),
		AvailabilityStatus: "offline", AutoOffline: true, Confirmed: true, CustomAttributes: u.CustomAttributes}
}

type agentIDInput struct {
	AccountIDParam
	ID string `path:"id" maxLength:"64" doc:"User id"`
}

type agentCreateInput struct {
	AccountIDParam
	Body struct {
		Name               string `json:"name" maxLength:"200"`
		Email              string `json:"email" maxLength:"254"`
		Role               string `json:"role,omitempty" doc:"agent (Roster: manager, the default) or administrator (admin)"`
		AvailabilityStatus string `json:"availability_status,omitempty" doc:"Ignored: Roster has no presence"`
		AutoOffline        *bool  `json:"auto_offline,omitempty" doc:"Ignored"`
	}
}

type agentUpdateInput struct {
	AccountIDParam
	ID   string `path:"id" maxLength:"64" doc:"User id"`
	Body struct {
		Name         string `json:"name,omitempty" maxLength:"200" doc:"Blank: unchanged"`
		Role         string `json:"role,omitempty" doc:"agent or administrator; blank: unchanged"`
		Availability string `json:"availability,omitempty" doc:"Ignored: Roster has no presence"`
		AutoOffline  *bool  `json:"auto_offline,omitempty" doc:"Ignored"`
	}
}

type agentOutput struct{ Body ChatwootAgent }

type agentsOutput struct{ Body []ChatwootAgent }

type accountOnly struct{ AccountIDParam }

// ChatwootProfile describes the calling key in the shape of Chatwoot's
// profile (a user).
type ChatwootProfile struct {
	ID            string            `json:"id" doc:"Key id"`
	Name          string            `json:"name" doc:"Key name"`
	AvailableName string            `json:"available_name"`
	Email         string            `json:"email" doc:"Always empty: a key is not a person"`
	AccountID     int64             `json:"account_id" doc:"The key's workspace; 0 for a platform key"`
	Role          string            `json:"role"`
	Accounts      []ChatwootAccount `json:"accounts"`
	Scopes        []string          `json:"scopes"`
}

// ChatwootAccount is an account a profile belongs to.
type ChatwootAccount struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type profileOutput struct{ Body ChatwootProfile }

// chatwootAccountOps builds the application face over the main registry.
func chatwootAccountOps(reg *op.Registry, users directory.UserOps) *op.Registry {
	const tag = "Chatwoot"
	me := opOf[struct{}, accessops.MeOutput](reg, "me.get")
	out := op.NewRegistry()
	setRole := func(ctx context.Context, p access.Principal, id string, role directory.Role, name string) (*agentOutput, error) {
		in := &directory.UpdateUserInput{UserIDParam: directory.UserIDParam{ID: id}, Body: directory.UserUpdate{RoleAlias: &role, Name: blank(name)}}
		u, err := users.Update.Call(ctx, p, in)
		if err != nil {
			return nil, platformError(err)
		}
		return &agentOutput{Body: chatwootAgent(p.WorkspaceID, u.Body)}, nil
	}
	out.Add(
		&op.Op[struct{}, profileOutput]{
			ID: "chatwoot.profile", Tag: tag, Method: http.MethodGet, Path: "/profile", Compat: true,
			Summary: "Fetch the profile: the calling key (Chatwoot)", Description: "The key's `me.get`, in Chatwoot's profile shape.",
			Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*profileOutput, error) {
				m, err := me.Call(ctx, p, &struct{}{})
				if err != nil {
					return nil, err
				}
				b := m.Body
				prof := ChatwootProfile{ID: b.KeyID, Name: b.KeyName, AvailableName: b.KeyName, AccountID: b.WorkspaceID,
					Role: "administrator", Accounts: []ChatwootAccount{}, Scopes: b.Scopes}
				if b.WorkspaceID != 0 {
					prof.Accounts = append(prof.Accounts, ChatwootAccount{ID: b.WorkspaceID, Name: b.WorkspaceName, Role: "administrator"})
				}
				return &profileOutput{Body: prof}, nil
			},
		},
		&op.Op[accountOnly, agentsOutput]{
			ID: "chatwoot.agents.list", Tag: tag, Scope: users.List.Scope, Method: http.MethodGet, Path: "/accounts/{account_id}/agents",
			Compat: true, Summary: "List agents: people with a console role (Chatwoot)",
			Description: "People whose role is manager (Chatwoot: agent) or admin (administrator), up to 1,000.",
			Run: func(ctx context.Context, p access.Principal, in *accountOnly) (*agentsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				out := &agentsOutput{Body: []ChatwootAgent{}}
				err := consoleUsers(ctx, users, p, func(u directory.User) { out.Body = append(out.Body, chatwootAgent(p.WorkspaceID, u)) })
				return out, err
			},
		},
		&op.Op[agentCreateInput, agentOutput]{
			ID: "chatwoot.agents.create", Tag: tag, Scope: users.Create.Scope, Method: http.MethodPost, Path: "/accounts/{account_id}/agents",
			Compat: true, Summary: "Add an agent: a person with a console role (Chatwoot)",
			Description: "Creates the person with the role, or gives an existing person (same email) the role.",
			Run: func(ctx context.Context, p access.Principal, in *agentCreateInput) (*agentOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				role, err := rosterRole("role", orAgent(in.Body.Role))
				if err != nil {
					return nil, err
				}
				created, err := users.Create.Call(ctx, p, &directory.CreateUserInput{Body: directory.UserCreate{
					Name: in.Body.Name, Email: in.Body.Email, RoleAlias: role}})
				if fe, ok := fault.As(err); ok && fe.Code == "email_taken" {
					page, lerr := users.List.Call(ctx, p, &directory.ListUsersInput{Email: in.Body.Email, Limit: 1})
					if lerr == nil && len(page.Body.Users) == 1 {
						return setRole(ctx, p, page.Body.Users[0].ID, role, "")
					}
				}
				if err != nil {
					return nil, platformError(err)
				}
				return &agentOutput{Body: chatwootAgent(p.WorkspaceID, created.Body)}, nil
			},
		},
		&op.Op[agentUpdateInput, agentOutput]{
			ID: "chatwoot.agents.update", Tag: tag, Scope: users.Update.Scope, Method: http.MethodPatch, Path: "/accounts/{account_id}/agents/{id}",
			Compat: true, Summary: "Update an agent's name or role (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *agentUpdateInput) (*agentOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				role, err := rosterRole("role", orAgent(in.Body.Role))
				if err != nil {
					return nil, err
				}
				return setRole(ctx, p, in.ID, role, in.Body.Name)
			},
		},
		&op.Op[agentIDInput, platformDeletedAccount]{
			ID: "chatwoot.agents.delete", Tag: tag, Scope: users.Update.Scope, Method: http.MethodDelete, Path: "/accounts/{account_id}/agents/{id}",
			Compat: true, Summary: "Remove an agent: take the console role away (Chatwoot)",
			Description: "The person stays, as a learner; delete people with the users API.",
			Run: func(ctx context.Context, p access.Principal, in *agentIDInput) (*platformDeletedAccount, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				if _, err := setRole(ctx, p, in.ID, "learner", ""); err != nil {
					return nil, err
				}
				return deleted(in.ID), nil
			},
		},
	)
	out.Add(chatwootTeamOps(reg, users)...)
	out.Add(chatwootAttributeOps(reg)...)
	out.Add(chatwootWebhookOps(reg)...)
	return out
}

// orAgent reads a blank role as agent, Chatwoot's default.
func orAgent(role string) string {
	if strings.TrimSpace(role) == "" {
		return "agent"
	}
	return role
}
