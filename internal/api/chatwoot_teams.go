package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// ChatwootTeam is a group in Chatwoot's team shape.
type ChatwootTeam struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	AllowAutoAssign bool   `json:"allow_auto_assign" doc:"Always false: Roster assigns no conversations"`
	AccountID       int64  `json:"account_id"`
	IsMember        bool   `json:"is_member" doc:"Always false: the caller is a key, not a person"`
}

func chatwootTeam(ws int64, g directory.Group) ChatwootTeam {
	return ChatwootTeam{ID: g.ID, Name: g.Name, Description: g.Description, AccountID: ws}
}

type teamFields struct {
	Name            string `json:"name,omitempty" maxLength:"200" doc:"Blank on update: unchanged"`
	Description     string `json:"description,omitempty" maxLength:"5000" doc:"Blank on update: unchanged"`
	AllowAutoAssign *bool  `json:"allow_auto_assign,omitempty" doc:"Ignored"`
}

// TeamIDInput addresses a team: a group. Exported: huma finds path parameters only
// through exported embedded structs.
type TeamIDInput struct {
	AccountIDParam
	TeamID int64 `path:"team_id" minimum:"1" doc:"Group id"`
}

type teamCreateInput struct {
	AccountIDParam
	Body teamFields
}

type teamUpdateInput struct {
	TeamIDInput
	Body teamFields
}

type teamMembersInput struct {
	TeamIDInput
	Body struct {
		UserIDs any `json:"user_ids" doc:"User ids (a list; numbers are read as text)"`
	}
}

type teamOutput struct{ Body ChatwootTeam }

type teamsOutput struct{ Body []ChatwootTeam }

// userIDs reads n8n's user_ids: a list of ids as text or numbers, where the
// node's default [null] holds nothing.
func userIDs(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fault.Invalid("user_ids", "must be a list of user ids")
	}
	var out []string
	for _, item := range items {
		if item == nil {
			continue
		}
		id, err := flexID("user_ids", item)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, fault.Invalid("user_ids", "must hold at least one user id")
	}
	return out, nil
}

// maxTeamList bounds Chatwoot's unpaged lists of teams and members.
const maxTeamList = 1000

func chatwootTeamOps(reg *op.Registry, users directory.UserOps) []op.Any {
	const tag = "Chatwoot"
	create := opOf[directory.CreateGroupInput, directory.GroupOutput](reg, "groups.create")
	list := opOf[directory.ListGroupsInput, directory.GroupPageOutput](reg, "groups.list")
	get := opOf[directory.GroupIDParam, directory.GroupOutput](reg, "groups.get")
	patch := opOf[directory.UpdateGroupInput, directory.GroupOutput](reg, "groups.patch")
	del := opOf[directory.GroupIDParam, directory.NoContent](reg, "groups.delete")
	addUsers := opOf[directory.AddUsersInput, directory.MembersAddedOutput](reg, "groups.add_users")
	removeUser := opOf[directory.RemoveUserInput, directory.NoContent](reg, "groups.remove_user")
	listUsers := opOf[directory.ListMembersInput, directory.UserPageOutput](reg, "groups.list_users")

	members := func(ctx context.Context, p access.Principal, team int64) ([]ChatwootAgent, error) {
		out := []ChatwootAgent{}
		for offset := 0; offset < maxTeamList; offset += 100 {
			page, err := listUsers.Call(ctx, p, &directory.ListMembersInput{GroupIDParam: directory.GroupIDParam{ID: team}, Offset: offset, Limit: 100})
			if err != nil {
				return nil, err
			}
			for _, u := range page.Body.Users {
				out = append(out, chatwootAgent(p.WorkspaceID, u))
			}
			if offset+len(page.Body.Users) >= page.Body.TotalCount || len(page.Body.Users) == 0 {
				break
			}
		}
		return out, nil
	}
	add := func(ctx context.Context, p access.Principal, team int64, ids []string) error {
		in := &directory.AddUsersInput{GroupIDParam: directory.GroupIDParam{ID: team}}
		in.Body.Users = ids
		_, err := addUsers.Call(ctx, p, in)
		return renameFields(err, map[string]string{"users": "user_ids"}, "")
	}
	membersOutput := func(ctx context.Context, p access.Principal, team int64) (*agentsOutput, error) {
		m, err := members(ctx, p, team)
		return &agentsOutput{Body: m}, err
	}
	return []op.Any{
		&op.Op[accountOnly, teamsOutput]{
			ID: "chatwoot.teams.list", Tag: tag, Scope: list.Scope, Method: http.MethodGet, Path: "/accounts/{account_id}/teams",
			Compat: true, Summary: "List teams: groups (Chatwoot)", Description: "Up to 1,000 groups, by name.",
			Run: func(ctx context.Context, p access.Principal, in *accountOnly) (*teamsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				out := &teamsOutput{Body: []ChatwootTeam{}}
				for offset := 0; offset < maxTeamList; offset += 100 {
					page, err := list.Call(ctx, p, &directory.ListGroupsInput{Offset: offset, Limit: 100})
					if err != nil {
						return nil, err
					}
					for _, g := range page.Body.Groups {
						out.Body = append(out.Body, chatwootTeam(p.WorkspaceID, g))
					}
					if offset+len(page.Body.Groups) >= page.Body.TotalCount || len(page.Body.Groups) == 0 {
						break
					}
				}
				return out, nil
			},
		},
		&op.Op[teamCreateInput, teamOutput]{
			ID: "chatwoot.teams.create", Tag: tag, Scope: create.Scope, Method: http.MethodPost, Path: "/accounts/{account_id}/teams",
			Compat: true, Summary: "Create a team: a group (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *teamCreateInput) (*teamOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				g, err := create.Call(ctx, p, &directory.CreateGroupInput{Body: directory.GroupCreate{Name: in.Body.Name, Description: in.Body.Description}})
				if err != nil {
					return nil, platformError(err)
				}
				return &teamOutput{Body: chatwootTeam(p.WorkspaceID, g.Body)}, nil
			},
		},
		&op.Op[TeamIDInput, teamOutput]{
			ID: "chatwoot.teams.get", Tag: tag, Scope: get.Scope, Method: http.MethodGet, Path: "/accounts/{account_id}/teams/{team_id}",
			Compat: true, Summary: "Get a team: a group (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *TeamIDInput) (*teamOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				g, err := get.Call(ctx, p, &directory.GroupIDParam{ID: in.TeamID})
				if err != nil {
					return nil, err
				}
				return &teamOutput{Body: chatwootTeam(p.WorkspaceID, g.Body)}, nil
			},
		},
		&op.Op[teamUpdateInput, teamOutput]{
			ID: "chatwoot.teams.update", Tag: tag, Scope: patch.Scope, Method: http.MethodPatch, Path: "/accounts/{account_id}/teams/{team_id}",
			Compat: true, Summary: "Update a team: a group (Chatwoot)", Description: "Blank fields are left unchanged.",
			Run: func(ctx context.Context, p access.Principal, in *teamUpdateInput) (*teamOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				g, err := patch.Call(ctx, p, &directory.UpdateGroupInput{GroupIDParam: directory.GroupIDParam{ID: in.TeamID},
					Body: directory.GroupUpdate{Name: blank(in.Body.Name), Description: blank(in.Body.Description)}})
				if err != nil {
					return nil, platformError(err)
				}
				return &teamOutput{Body: chatwootTeam(p.WorkspaceID, g.Body)}, nil
			},
		},
		&op.Op[TeamIDInput, platformDeletedAccount]{
			ID: "chatwoot.teams.delete", Tag: tag, Scope: del.Scope, Method: http.MethodDelete, Path: "/accounts/{account_id}/teams/{team_id}",
			Compat: true, Summary: "Delete a team: a group (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *TeamIDInput) (*platformDeletedAccount, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				if _, err := del.Call(ctx, p, &directory.GroupIDParam{ID: in.TeamID}); err != nil {
					return nil, err
				}
				return deleted(in.TeamID), nil
			},
		},
		&op.Op[TeamIDInput, agentsOutput]{
			ID: "chatwoot.team_members.list", Tag: tag, Scope: listUsers.Scope, Method: http.MethodGet,
			Path: "/accounts/{account_id}/teams/{team_id}/team_members", Compat: true, Summary: "List a team's members (Chatwoot)",
			Description: "Up to 1,000 members, as agents.",
			Run: func(ctx context.Context, p access.Principal, in *TeamIDInput) (*agentsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				return membersOutput(ctx, p, in.TeamID)
			},
		},
		&op.Op[teamMembersInput, agentsOutput]{
			ID: "chatwoot.team_members.add", Tag: tag, Scope: addUsers.Scope, Method: http.MethodPost,
			Path: "/accounts/{account_id}/teams/{team_id}/team_members", Compat: true, Summary: "Add members to a team (Chatwoot)",
			Description: "Answers the members added.",
			Run: func(ctx context.Context, p access.Principal, in *teamMembersInput) (*agentsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				ids, err := userIDs(in.Body.UserIDs)
				if err != nil {
					return nil, err
				}
				if err := add(ctx, p, in.TeamID, ids); err != nil {
					return nil, err
				}
				out := &agentsOutput{Body: []ChatwootAgent{}}
				for _, id := range ids {
					u, err := users.Get.Call(ctx, p, &directory.UserIDParam{ID: id})
					if err != nil {
						return nil, err
					}
					out.Body = append(out.Body, chatwootAgent(p.WorkspaceID, u.Body))
				}
				return out, nil
			},
		},
		&op.Op[teamMembersInput, agentsOutput]{
			ID: "chatwoot.team_members.replace", Tag: tag, Scope: addUsers.Scope, Method: http.MethodPatch,
			Path: "/accounts/{account_id}/teams/{team_id}/team_members", Compat: true, Summary: "Set a team's members (Chatwoot)",
			Description: "Adds the users given and removes the other members; answers the members.",
			Run: func(ctx context.Context, p access.Principal, in *teamMembersInput) (*agentsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				ids, err := userIDs(in.Body.UserIDs)
				if err != nil {
					return nil, err
				}
				// Add first: a bad id then fails before anyone is removed.
				if err := add(ctx, p, in.TeamID, ids); err != nil {
					return nil, err
				}
				current, err := members(ctx, p, in.TeamID)
				if err != nil {
					return nil, err
				}
				keep := map[string]bool{}
				for _, id := range ids {
					keep[id] = true
				}
				for _, m := range current {
					if keep[m.ID] {
						continue
					}
					if _, err := removeUser.Call(ctx, p, &directory.RemoveUserInput{GroupIDParam: directory.GroupIDParam{ID: in.TeamID}, UserID: m.ID}); err != nil {
						return nil, fmt.Errorf("remove member %s: %w", m.ID, err)
					}
				}
				return membersOutput(ctx, p, in.TeamID)
			},
		},
		&op.Op[teamMembersInput, agentsOutput]{
			ID: "chatwoot.team_members.remove", Tag: tag, Scope: removeUser.Scope, Method: http.MethodDelete,
			Path: "/accounts/{account_id}/teams/{team_id}/team_members", Compat: true, Summary: "Remove members from a team (Chatwoot)",
			Description: "Answers the remaining members.",
			Run: func(ctx context.Context, p access.Principal, in *teamMembersInput) (*agentsOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				ids, err := userIDs(in.Body.UserIDs)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					if _, err := removeUser.Call(ctx, p, &directory.RemoveUserInput{GroupIDParam: directory.GroupIDParam{ID: in.TeamID}, UserID: id}); err != nil {
						return nil, err
					}
				}
				return membersOutput(ctx, p, in.TeamID)
			},
		},
	}
}
