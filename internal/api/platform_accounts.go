package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// Workspaces is what the platform face needs to manage workspaces, which are
// Chatwoot's accounts.
type Workspaces interface {
	CreateWorkspace(ctx context.Context, name string) (access.Workspace, error)
	GetWorkspace(ctx context.Context, id int64) (access.Workspace, error)
	RenameWorkspace(ctx context.Context, id int64, name string) (access.Workspace, error)
	DeleteWorkspace(ctx context.Context, id int64) error
}

// PlatformAccount is a workspace in Chatwoot's account shape.
type PlatformAccount struct {
	ID               int64          `json:"id"`
	Name             string         `json:"name"`
	Locale           string         `json:"locale" doc:"Always en"`
	Status           string         `json:"status" enum:"active"`
	CustomAttributes map[string]any `json:"custom_attributes" doc:"Always empty: workspaces have no custom attributes"`
	CreatedAt        int64          `json:"created_at" doc:"Unix seconds"`
}

func platformAccount(ws access.Workspace) PlatformAccount {
	return PlatformAccount{ID: ws.ID, Name: ws.Name, Locale: "en", Status: "active", CustomAttributes: map[string]any{},
		CreatedAt: ws.CreatedAt.Unix()}
}

// AccountUser is a person's console role in a workspace, in Chatwoot's
// account_user shape. Roster's manager is Chatwoot's agent, admin its
// administrator.
type AccountUser struct {
	ID        string `json:"id" doc:"The user id (a person has one role per workspace)"`
	AccountID int64  `json:"account_id"`
	UserID    string `json:"user_id"`
	Role      string `json:"role" enum:"agent,administrator"`
	CreatedAt int64  `json:"created_at" doc:"Unix seconds"`
	UpdatedAt int64  `json:"updated_at" doc:"Unix seconds"`
}

// chatwootRoles maps Chatwoot's account roles to Roster's console roles.
var chatwootRoles = map[string]string{"agent": "manager", "administrator": "admin"}

func chatwootRole(rosterRole string) string {
	if rosterRole == "admin" {
		return "administrator"
	}
	return "agent"
}

// rosterRole reads a Chatwoot role (or Roster's own name for it).
func rosterRole(field, role string) (directory.Role, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	if r, ok := chatwootRoles[role]; ok {
		return directory.Role(r), nil
	}
	if role == "manager" || role == "admin" {
		return directory.Role(role), nil
	}
	return "", fault.Invalid(field, "must be agent or administrator")
}

// consoleRoles is the role filter for people with a console role.
const consoleRoles = "manager,admin"

func accountUser(ws int64, u directory.User) AccountUser {
	return AccountUser{ID: u.ID, AccountID: ws, UserID: u.ID, Role: chatwootRole(u.RoleAlias), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// flexID reads an id that n8n may send as a number or as text.
func flexID(field string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		if s := strings.TrimSpace(x); s != "" {
			return s, nil
		}
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), nil
		}
	}
	return "", fault.Invalid(field, "is required: a user id")
}

// AccountIDParam addresses a Chatwoot account: a workspace.
type AccountIDParam struct {
	AccountID int64 `path:"account_id" minimum:"1" doc:"Workspace id"`
}

type accountFields struct {
	Name string `json:"name" maxLength:"100" doc:"Workspace name, unique on the server"`
}

type platformAccountInput struct {
	Body accountFields
}

type platformAccountUpdateInput struct {
	AccountIDParam
	Body accountFields
}

type platformAccountOutput struct{ Body PlatformAccount }

type accountUserInput struct {
	AccountIDParam
	Body struct {
		UserID any    `json:"user_id" doc:"User id (text; a number is read as text)"`
		Role   string `json:"role,omitempty" doc:"agent (Roster: manager) or administrator (Roster: admin)"`
	}
}

type accountUserOutput struct{ Body AccountUser }

type accountUsersOutput struct{ Body []AccountUser }

// platformDeletedAccount answers a delete with an object, as platformDeleted.
type platformDeletedAccount struct {
	Body struct {
		ID      any  `json:"id"`
		Deleted bool `json:"deleted"`
	}
}

func deleted(id any) *platformDeletedAccount {
	out := &platformDeletedAccount{}
	out.Body.ID, out.Body.Deleted = id, true
	return out
}

// inWorkspace is the principal the platform face acts as inside workspace
// id: a platform key manages people's roles there and nothing else, so it
// gets users.write for that one call, through the user operations.
func inWorkspace(ctx context.Context, ws Workspaces, id int64) (access.Principal, error) {
	if _, err := ws.GetWorkspace(ctx, id); err != nil {
		return access.Principal{}, err
	}
	return access.Principal{WorkspaceID: id, Scopes: []access.Scope{access.UsersWrite}}, nil
}

// platformAccountOps are Chatwoot's platform accounts (Roster's workspaces)
// and account users (people's console roles). They need a platform key.
func platformAccountOps(ws Workspaces, users directory.UserOps) []op.Any {
	const tag = "Platform"
	setRole := func(ctx context.Context, accountID int64, userID string, role directory.Role) (directory.User, error) {
		p, err := inWorkspace(ctx, ws, accountID)
		if err != nil {
			return directory.User{}, err
		}
		out, err := users.Update.Call(ctx, p, &directory.UpdateUserInput{UserIDParam: directory.UserIDParam{ID: userID},
			Body: directory.UserUpdate{RoleAlias: &role}})
		if err != nil {
			return directory.User{}, err
		}
		return out.Body, nil
	}
	return []op.Any{
		&op.Op[platformAccountInput, platformAccountOutput]{
			ID: "platform.accounts.create", Tag: tag, Scope: access.Platform, Method: http.MethodPost, Path: "/accounts",
			Compat: true, Summary: "Create an account: a workspace (Chatwoot platform API)",
			Run: func(ctx context.Context, _ access.Principal, in *platformAccountInput) (*platformAccountOutput, error) {
				w, err := ws.CreateWorkspace(ctx, in.Body.Name)
				return &platformAccountOutput{Body: platformAccount(w)}, err
			},
		},
		&op.Op[AccountIDParam, platformAccountOutput]{
			ID: "platform.accounts.get", Tag: tag, Scope: access.Platform, Method: http.MethodGet, Path: "/accounts/{account_id}",
			Compat: true, Summary: "Get an account: a workspace (Chatwoot platform API)",
			Run: func(ctx context.Context, _ access.Principal, in *AccountIDParam) (*platformAccountOutput, error) {
				w, err := ws.GetWorkspace(ctx, in.AccountID)
				return &platformAccountOutput{Body: platformAccount(w)}, err
			},
		},
		&op.Op[platformAccountUpdateInput, platformAccountOutput]{
			ID: "platform.accounts.update", Tag: tag, Scope: access.Platform, Method: http.MethodPatch, Path: "/accounts/{account_id}",
			Compat: true, Summary: "Rename an account: a workspace (Chatwoot platform API)",
			Description: "A blank name leaves the workspace unchanged.",
			Run: func(ctx context.Context, _ access.Principal, in *platformAccountUpdateInput) (*platformAccountOutput, error) {
				if strings.TrimSpace(in.Body.Name) == "" {
					w, err := ws.GetWorkspace(ctx, in.AccountID)
					return &platformAccountOutput{Body: platformAccount(w)}, err
				}
				w, err := ws.RenameWorkspace(ctx, in.AccountID, in.Body.Name)
				return &platformAccountOutput{Body: platformAccount(w)}, err
			},
		},
		&op.Op[AccountIDParam, platformDeletedAccount]{
			ID: "platform.accounts.delete", Tag: tag, Scope: access.Platform, Method: http.MethodDelete, Path: "/accounts/{account_id}",
			Compat: true, Summary: "Delete an account: a workspace with all its data (Chatwoot platform API)",
			Run: func(ctx context.Context, _ access.Principal, in *AccountIDParam) (*platformDeletedAccount, error) {
				if err := ws.DeleteWorkspace(ctx, in.AccountID); err != nil {
					return nil, err
				}
				return deleted(in.AccountID), nil
			},
		},
		&op.Op[AccountIDParam, accountUsersOutput]{
			ID: "platform.account_users.list", Tag: tag, Scope: access.Platform, Method: http.MethodGet, Path: "/accounts/{account_id}/account_users",
			Compat: true, Summary: "List account users: people with a console role (Chatwoot platform API)",
			Description: "Everyone whose role is manager (Chatwoot: agent) or admin (administrator), up to 1,000.",
			Run: func(ctx context.Context, _ access.Principal, in *AccountIDParam) (*accountUsersOutput, error) {
				p, err := inWorkspace(ctx, ws, in.AccountID)
				if err != nil {
					return nil, err
				}
				out := &accountUsersOutput{Body: []AccountUser{}}
				err = consoleUsers(ctx, users, p, func(u directory.User) { out.Body = append(out.Body, accountUser(in.AccountID, u)) })
				return out, err
			},
		},
		&op.Op[accountUserInput, accountUserOutput]{
			ID: "platform.account_users.create", Tag: tag, Scope: access.Platform, Method: http.MethodPost, Path: "/accounts/{account_id}/account_users",
			Compat: true, Summary: "Give a person a console role (Chatwoot platform API)",
			Description: "As in Chatwoot, a person who already has a role gets the new one.",
			Run: func(ctx context.Context, _ access.Principal, in *accountUserInput) (*accountUserOutput, error) {
				id, err := flexID("user_id", in.Body.UserID)
				if err != nil {
					return nil, err
				}
				role, err := rosterRole("role", in.Body.Role)
				if err != nil {
					return nil, err
				}
				u, err := setRole(ctx, in.AccountID, id, role)
				return &accountUserOutput{Body: accountUser(in.AccountID, u)}, err
			},
		},
		&op.Op[accountUserInput, platformDeletedAccount]{
			ID: "platform.account_users.delete", Tag: tag, Scope: access.Platform, Method: http.MethodDelete, Path: "/accounts/{account_id}/account_users",
			Compat: true, Summary: "Take a person's console role away (Chatwoot platform API)",
			Description: "The person stays, as a learner: Roster keeps people who have no console role.",
			Run: func(ctx context.Context, _ access.Principal, in *accountUserInput) (*platformDeletedAccount, error) {
				id, err := flexID("user_id", in.Body.UserID)
				if err != nil {
					return nil, err
				}
				if _, err := setRole(ctx, in.AccountID, id, "learner"); err != nil {
					return nil, err
				}
				return deleted(id), nil
			},
		},
	}
}

// maxConsoleUsers bounds the Chatwoot lists, which have no paging.
const maxConsoleUsers = 1000

// consoleUsers calls fn for each person with a console role, through
// users.list.
func consoleUsers(ctx context.Context, users directory.UserOps, p access.Principal, fn func(directory.User)) error {
	for offset := 0; offset < maxConsoleUsers; offset += 100 {
		page, err := users.List.Call(ctx, p, &directory.ListUsersInput{Role: consoleRoles, Offset: offset, Limit: 100})
		if err != nil {
			return fmt.Errorf("list console users: %w", err)
		}
		for _, u := range page.Body.Users {
			fn(u)
		}
		if offset+len(page.Body.Users) >= page.Body.TotalCount || len(page.Body.Users) == 0 {
			return nil
		}
	}
	return nil
}
