package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// platformPrefix is where the Chatwoot-style platform API answers.
const platformPrefix = "/platform/api/v1"

// PlatformUser is a user in Chatwoot's platform-API shape (snake_case).
type PlatformUser struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	DisplayName      string         `json:"display_name"`
	AvailableName    string         `json:"available_name"`
	Email            string         `json:"email"`
	Role             string         `json:"role"`
	Confirmed        bool           `json:"confirmed"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	CreatedAt        int64          `json:"created_at" doc:"Unix seconds"`
}

func platformUser(u directory.User) PlatformUser {
	avail := u.DisplayName
	if avail == "" {
		avail = u.Name
	}
	return PlatformUser{ID: u.ID, Name: u.Name, DisplayName: u.DisplayName, AvailableName: avail, Email: u.Email,
		Role: u.RoleAlias, Confirmed: true, CustomAttributes: u.CustomAttributes, CreatedAt: u.CreatedAt}
}

// PlatformUserFields is the Chatwoot platform user input.
type PlatformUserFields struct {
	Name             *string        `json:"name,omitempty" minLength:"1" maxLength:"200"`
	DisplayName      *string        `json:"display_name,omitempty" maxLength:"200"`
	Email            *string        `json:"email,omitempty" maxLength:"254"`
	Password         *string        `json:"password,omitempty" writeOnly:"true"`
	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
}

type platformCreateInput struct {
	Body struct {
		Name             string         `json:"name" minLength:"1" maxLength:"200"`
		DisplayName      string         `json:"display_name,omitempty" maxLength:"200"`
		Email            string         `json:"email" maxLength:"254"`
		Password         string         `json:"password,omitempty" writeOnly:"true"`
		CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
	}
}

type platformUpdateInput struct {
	directory.UserIDParam
	Body PlatformUserFields
}

type platformListInput struct {
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Email  string `query:"email" maxLength:"254" doc:"Exact email, case-insensitive; an empty list when nobody has it"`
}

type platformUserOutput struct{ Body PlatformUser }

type platformListOutput struct{ Body []PlatformUser }

type platformEmpty struct{}

// platformFieldNames renames our camelCase fields in errors to the snake_case
// the platform face speaks.
var platformFieldNames = map[string]string{"displayName": "display_name", "customAttributes": "custom_attributes"}

func platformError(err error) error {
	fe, ok := fault.As(err)
	if !ok || len(fe.Fields) == 0 {
		return err
	}
	renamed := *fe
	renamed.Fields = make([]fault.FieldError, len(fe.Fields))
	for i, f := range fe.Fields {
		head, rest, nested := strings.Cut(f.Field, ".")
		if n, ok := platformFieldNames[head]; ok {
			f.Field = n
			if nested {
				f.Field += "." + rest
			}
		}
		renamed.Fields[i] = f
	}
	return &renamed
}

// platformOps defines the platform face. Each operation converts its shape
// and calls the canonical user operation, so behaviour, scopes and (later)
// events are the same as on /api/v1.
func platformOps(users directory.UserOps) *op.Registry {
	const tag = "Platform"
	reg := op.NewRegistry()
	reg.Add(
		&op.Op[platformCreateInput, platformUserOutput]{
			ID: "platform.users.create", Tag: tag, Scope: users.Create.Scope, Method: http.MethodPost, Path: "/users",
			Compat: true, Summary: "Create a user (Chatwoot platform API)",
			Description: "As in Chatwoot, an existing user with the same email (case-insensitive) is returned instead of a conflict.",
			Run: func(ctx context.Context, p access.Principal, in *platformCreateInput) (*platformUserOutput, error) {
				b := in.Body
				out, err := users.Create.Call(ctx, p, &directory.CreateUserInput{Body: directory.UserCreate{
					Name: b.Name, DisplayName: b.DisplayName, Email: b.Email, Password: b.Password, CustomAttributes: b.CustomAttributes}})
				if fe, ok := fault.As(err); ok && fe.Code == "email_taken" {
					page, lerr := users.List.Call(ctx, p, &directory.ListUsersInput{Email: b.Email, Limit: 1})
					if lerr == nil && len(page.Body.Users) == 1 {
						return &platformUserOutput{Body: platformUser(page.Body.Users[0])}, nil
					}
				}
				if err != nil {
					return nil, platformError(err)
				}
				return &platformUserOutput{Body: platformUser(out.Body)}, nil
			},
		},
		&op.Op[platformListInput, platformListOutput]{
			ID: "platform.users.list", Tag: tag, Scope: users.List.Scope, Method: http.MethodGet, Path: "/users",
			Compat: true, Summary: "List users (Chatwoot platform API)",
			Run: func(ctx context.Context, p access.Principal, in *platformListInput) (*platformListOutput, error) {
				page, err := users.List.Call(ctx, p, &directory.ListUsersInput{Offset: in.Offset, Limit: in.Limit, Email: in.Email})
				if err != nil {
					return nil, err
				}
				out := &platformListOutput{Body: make([]PlatformUser, len(page.Body.Users))}
				for i, u := range page.Body.Users {
					out.Body[i] = platformUser(u)
				}
				return out, nil
			},
		},
		&op.Op[directory.UserIDParam, platformUserOutput]{
			ID: "platform.users.get", Tag: tag, Scope: users.Get.Scope, Method: http.MethodGet, Path: "/users/{id}",
			Compat: true, Summary: "Get a user (Chatwoot platform API)",
			Run: func(ctx context.Context, p access.Principal, in *directory.UserIDParam) (*platformUserOutput, error) {
				out, err := users.Get.Call(ctx, p, in)
				if err != nil {
					return nil, err
				}
				return &platformUserOutput{Body: platformUser(out.Body)}, nil
			},
		},
		&op.Op[platformUpdateInput, platformUserOutput]{
			ID: "platform.users.update", Tag: tag, Scope: users.Update.Scope, Method: http.MethodPatch, Path: "/users/{id}",
			Compat: true, Summary: "Update a user (Chatwoot platform API)", Description: "`custom_attributes` are merged into the existing values.",
			Run: func(ctx context.Context, p access.Principal, in *platformUpdateInput) (*platformUserOutput, error) {
				b := in.Body
				out, err := users.Update.Call(ctx, p, &directory.UpdateUserInput{UserIDParam: in.UserIDParam, Body: directory.UserUpdate{
					Name: b.Name, DisplayName: b.DisplayName, Email: b.Email, Password: b.Password, CustomAttributes: b.CustomAttributes}})
				if err != nil {
					return nil, platformError(err)
				}
				return &platformUserOutput{Body: platformUser(out.Body)}, nil
			},
		},
		&op.Op[directory.UserIDParam, platformEmpty]{
			ID: "platform.users.delete", Tag: tag, Scope: users.Delete.Scope, Method: http.MethodDelete, Path: "/users/{id}",
			Compat: true, Summary: "Delete a user (Chatwoot platform API)",
			Run: func(ctx context.Context, p access.Principal, in *directory.UserIDParam) (*platformEmpty, error) {
				if _, err := users.Delete.Call(ctx, p, in); err != nil {
					return nil, err
				}
				return &platformEmpty{}, nil
			},
		},
	)
	return reg
}
