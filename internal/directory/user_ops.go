package directory

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// UserIDParam addresses one user.
type UserIDParam struct {
	ID string `path:"id" maxLength:"64" doc:"User id"`
}

// CreateUserInput is the input of users.create.
type CreateUserInput struct {
	Body UserCreate
}

// UpdateUserInput is the input of users.update.
type UpdateUserInput struct {
	UserIDParam
	Body UserUpdate
}

// UpdateUserByBodyInput is the input of users.update_by_body: the id comes
// from the body, as Zapier's Update User sends it.
type UpdateUserByBodyInput struct {
	Body UserUpdate
}

// ListUsersInput is the input of users.list.
type ListUsersInput struct {
	Offset int    `query:"offset" minimum:"0" default:"0" doc:"Number of users to skip"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Query  string `query:"query" maxLength:"254" doc:"Matches part of the name or email, case-insensitive"`
	Email  string `query:"email" maxLength:"254" doc:"Exact email, case-insensitive; an empty list when nobody has it"`
	Status string `query:"status" enum:"active,deactivated" doc:"Only users with this status"`
	Role   string `query:"role" maxLength:"100" doc:"Only users with one of these roles, comma-separated: learner, manager, admin" example:"manager,admin"`
}

// roles reads the role filter, naming the field when a role is unknown.
func (in *ListUsersInput) roles() ([]string, error) {
	if strings.TrimSpace(in.Role) == "" {
		return nil, nil
	}
	var out []string
	for _, r := range strings.Split(in.Role, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(Roles, r) {
			return nil, fault.Invalid("role", "must be one or more of %s, comma-separated", strings.Join(Roles, ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

// BlockUserInput is Konstantly's deactivate request.
type BlockUserInput struct {
	Body struct {
		ID string `json:"id" minLength:"1" maxLength:"64" doc:"User id"`
	}
}

// BulkUsersInput is the input of users.bulk_create.
type BulkUsersInput struct {
	Body BulkUsers
}

// BulkOutcomeOutput carries per-item results.
type BulkOutcomeOutput struct {
	Body BulkOutcome
}

// UserOutput carries one user.
type UserOutput struct {
	Body User
}

// UserPageOutput carries a page of users.
type UserPageOutput struct {
	Body UserPage
}

// NoContent is the output of operations that answer 204.
type NoContent struct{}

// UserOps are the user operations. Faces other than the registry's HTTP
// routes (the Chatwoot-style platform API, workflow steps) call these.
type UserOps struct {
	Create     *op.Op[CreateUserInput, UserOutput]
	Get        *op.Op[UserIDParam, UserOutput]
	List       *op.Op[ListUsersInput, UserPageOutput]
	Update     *op.Op[UpdateUserInput, UserOutput]
	Patch      *op.Op[UpdateUserInput, UserOutput]
	PutByBody  *op.Op[UpdateUserByBodyInput, UserOutput]
	PatchBody  *op.Op[UpdateUserByBodyInput, UserOutput]
	Delete     *op.Op[UserIDParam, NoContent]
	Deactivate *op.Op[UserIDParam, UserOutput]
	Reactivate *op.Op[UserIDParam, UserOutput]
	Block      *op.Op[BlockUserInput, UserOutput]
	Unblock    *op.Op[UserIDParam, UserOutput]
	BulkCreate *op.Op[BulkUsersInput, BulkOutcomeOutput]
	LoginLink  *op.Op[UserIDParam, LoginLinkOutput]
}

// All lists the operations for the registry.
func (u UserOps) All() []op.Any {
	return []op.Any{u.Create, u.List, u.Get, u.Update, u.Patch, u.PutByBody, u.PatchBody, u.Delete, u.Deactivate, u.Reactivate, u.Block, u.Unblock, u.BulkCreate, u.LoginLink}
}

// UserOps defines the user operations over s.
func (s *Service) UserOps() UserOps {
	const tag = "Users"
	get := func(ctx context.Context, p access.Principal, in *UserIDParam) (*UserOutput, error) {
		u, err := s.GetUser(ctx, p.WorkspaceID, in.ID)
		return &UserOutput{Body: u}, err
	}
	update := func(ctx context.Context, p access.Principal, in *UpdateUserInput) (*UserOutput, error) {
		u, err := s.UpdateUser(ctx, p.WorkspaceID, in.ID, in.Body)
		return &UserOutput{Body: u}, err
	}
	updateByBody := func(ctx context.Context, p access.Principal, in *UpdateUserByBodyInput) (*UserOutput, error) {
		id := in.Body.Target()
		if id == "" {
			return nil, fault.Invalid("id", "is required: the id of the user to update")
		}
		u, err := s.UpdateUser(ctx, p.WorkspaceID, id, in.Body)
		return &UserOutput{Body: u}, err
	}
	const byBodyDoc = "Zapier's Update User: the user is named by `id` (or `userId`) in the body; otherwise the same as " +
		"`PUT /users/{id}`."
	setStatus := func(status string) func(context.Context, access.Principal, *UserIDParam) (*UserOutput, error) {
		return func(ctx context.Context, p access.Principal, in *UserIDParam) (*UserOutput, error) {
			u, err := s.SetUserStatus(ctx, p.WorkspaceID, in.ID, status)
			return &UserOutput{Body: u}, err
		}
	}
	deactivate := setStatus(StatusDeactivated)
	return UserOps{
		Create: &op.Op[CreateUserInput, UserOutput]{
			ID: "users.create", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPost, Path: "/users",
			Status:  http.StatusCreated,
			Summary: "Create a user",
			Run: func(ctx context.Context, p access.Principal, in *CreateUserInput) (*UserOutput, error) {
				u, err := s.CreateUser(ctx, p.WorkspaceID, in.Body)
				return &UserOutput{Body: u}, err
			},
		},
		List: &op.Op[ListUsersInput, UserPageOutput]{
			ID: "users.list", Tag: tag, Scope: access.UsersRead, Method: http.MethodGet, Path: "/users",
			Summary:     "List users",
			Description: "Users sorted by name, `limit` at a time from `offset`, with the total count. Filter with `query`, `email`, `status` or `role`.",
			Run: func(ctx context.Context, p access.Principal, in *ListUsersInput) (*UserPageOutput, error) {
				roles, err := in.roles()
				if err != nil {
					return nil, err
				}
				page, err := s.ListUsers(ctx, p.WorkspaceID, UserFilter{Query: in.Query, Email: in.Email, Status: in.Status, Roles: roles,
					Offset: in.Offset, Limit: in.Limit})
				return &UserPageOutput{Body: page}, err
			},
		},
		Get: &op.Op[UserIDParam, UserOutput]{
			ID: "users.get", Tag: tag, Scope: access.UsersRead, Method: http.MethodGet, Path: "/users/{id}",
			Summary: "Get a user", Run: get,
		},
		Update: &op.Op[UpdateUserInput, UserOutput]{
			ID: "users.update", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPut, Path: "/users/{id}",
			Summary: "Update a user",
			Description: "Partial update: fields left out keep their values. `customAttributes` are merged; a key set to null is removed. " +
				"`id` or `userId` in the body, as Zapier sends them, must name this same user (422 naming the field otherwise).",
			Run: update,
		},
		PutByBody: &op.Op[UpdateUserByBodyInput, UserOutput]{
			ID: "users.update_by_body", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPut, Path: "/users",
			Summary: "Update a user named in the body", Description: byBodyDoc, Compat: true, Run: updateByBody,
		},
		PatchBody: &op.Op[UpdateUserByBodyInput, UserOutput]{
			ID: "users.patch_by_body", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPatch, Path: "/users",
			Summary: "Update a user named in the body (PATCH)", Description: byBodyDoc, Compat: true, Run: updateByBody,
		},
		Patch: &op.Op[UpdateUserInput, UserOutput]{
			ID: "users.patch", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPatch, Path: "/users/{id}",
			Summary: "Update a user (PATCH)", Description: "The same as `PUT /users/{id}`.", Compat: true, Run: update,
		},
		Delete: &op.Op[UserIDParam, NoContent]{
			ID: "users.delete", Tag: tag, Scope: access.UsersWrite, Method: http.MethodDelete, Path: "/users/{id}",
			Status: http.StatusNoContent, Summary: "Delete a user",
			Run: func(ctx context.Context, p access.Principal, in *UserIDParam) (*NoContent, error) {
				return &NoContent{}, s.DeleteUser(ctx, p.WorkspaceID, in.ID)
			},
		},
		Deactivate: &op.Op[UserIDParam, UserOutput]{
			ID: "users.deactivate", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPost, Path: "/users/{id}/deactivate",
			Summary: "Deactivate a user", Description: "The user keeps their data but cannot sign in. Deactivating a deactivated user changes nothing.",
			Run: deactivate,
		},
		Reactivate: &op.Op[UserIDParam, UserOutput]{
			ID: "users.reactivate", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPost, Path: "/users/{id}/reactivate",
			Summary: "Reactivate a user", Run: setStatus(StatusActive),
		},
		Block: &op.Op[BlockUserInput, UserOutput]{
			ID: "users.block", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPost, Path: "/users/blocked",
			Summary: "Deactivate a user (Konstantly)", Compat: true,
			Run: func(ctx context.Context, p access.Principal, in *BlockUserInput) (*UserOutput, error) {
				return deactivate(ctx, p, &UserIDParam{ID: in.Body.ID})
			},
		},
		BulkCreate: &op.Op[BulkUsersInput, BulkOutcomeOutput]{
			ID: "users.bulk_create", Tag: tag, Scope: access.UsersWrite, Method: http.MethodPost, Path: "/users/bulk",
			Summary: "Create up to 1,000 users",
			Description: "Each item is validated on its own and reported in `results` by index; the valid items are written " +
				"in one transaction. `onExisting` decides what happens to an item whose email exists: `error`, `skip` or `update`.",
			MaxBodyBytes: 8 << 20, SelfValidated: true,
			Run: func(ctx context.Context, p access.Principal, in *BulkUsersInput) (*BulkOutcomeOutput, error) {
				out, err := s.BulkCreateUsers(ctx, p.WorkspaceID, in.Body)
				return &BulkOutcomeOutput{Body: out}, err
			},
		},
		LoginLink: s.loginLinkOp(),
		Unblock: &op.Op[UserIDParam, UserOutput]{
			ID: "users.unblock", Tag: tag, Scope: access.UsersWrite, Method: http.MethodDelete, Path: "/users/blocked/{id}",
			Summary: "Reactivate a user (Konstantly)", Compat: true, Run: setStatus(StatusActive),
		},
	}
}
