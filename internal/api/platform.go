package api

import (
	"context"
	"encoding/json"
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

// PlatformUserFields is the Chatwoot platform user input. The n8n Chatwoot
// node sends every field, with "" for those its user left blank, so on this
// face a blank field means "not sent": an update of the name alone keeps the
// password, email and attributes.
type PlatformUserFields struct {
	Name             string `json:"name,omitempty" maxLength:"200" doc:"Blank: unchanged"`
	DisplayName      string `json:"display_name,omitempty" maxLength:"200" doc:"Blank: unchanged"`
	Email            string `json:"email,omitempty" maxLength:"254" doc:"Blank: unchanged"`
	Password         string `json:"password,omitempty" writeOnly:"true" doc:"Blank: unchanged"`
	CustomAttributes any    `json:"custom_attributes,omitempty" doc:"A JSON object (or its text), merged into the existing values; blank: unchanged"`
}

type platformCreateInput struct {
	Body PlatformUserFields
}

type platformUpdateInput struct {
	directory.UserIDParam
	Body PlatformUserFields
}

// platformAttributes reads custom_attributes as n8n sends them: an object,
// the text of one, or "" for none.
func platformAttributes(v any) (map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return x, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(x), &m); err == nil && m != nil {
			return m, nil
		}
	}
	return nil, fault.Invalid("custom_attributes", "must be a JSON object such as {\"plan\": \"pro\"}")
}

// blank returns nil for "" (not sent) and a pointer otherwise.
func blank(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type platformListInput struct {
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Email  string `query:"email" maxLength:"254" doc:"Exact email, case-insensitive; an empty list when nobody has it"`
}

type platformUserOutput struct{ Body PlatformUser }

type platformListOutput struct{ Body []PlatformUser }

// platformDeleted answers a delete. Chatwoot answers an empty body, which n8n
// turns into `json: ""`; an object gives the next node something to use.
type platformDeleted struct {
	Body struct {
		ID      string `json:"id"`
		Deleted bool   `json:"deleted"`
	}
}

type platformLoginOutput struct {
	Body struct {
		URL string `json:"url" doc:"One-time sign-in URL; valid for 30 seconds"`
	}
}

// platformFieldNames renames our field names in errors to the snake_case
// the Chatwoot faces speak.
var platformFieldNames = map[string]string{"displayName": "display_name", "customAttributes": "custom_attributes",
	"roleAlias": "role", "eventTypes": "subscriptions"}

func platformError(err error) error { return renameFields(err, platformFieldNames, "") }

// renameFields renames the fields of a validation error by their first
// segment, dropping prefix (such as "body[0].") first.
func renameFields(err error, names map[string]string, prefix string) error {
	fe, ok := fault.As(err)
	if !ok || len(fe.Fields) == 0 {
		return err
	}
	renamed := *fe
	renamed.Fields = make([]fault.FieldError, len(fe.Fields))
	for i, f := range fe.Fields {
		f.Field = strings.TrimPrefix(f.Field, prefix)
		end := strings.IndexAny(f.Field, ".[")
		if end < 0 {
			end = len(f.Field)
		}
		if n, ok := names[f.Field[:end]]; ok {
			f.Field = n + f.Field[end:]
		}
		renamed.Fields[i] = f
	}
	return &renamed
}

// platformOps defines the platform face. Each operation converts its shape
// and calls the canonical user operation, so behaviour, scopes and (later)
// events are the same as on /api/v1.
func platformOps(users directory.UserOps, ws Workspaces) *op.Registry {
	const tag = "Platform"
	reg := op.NewRegistry()
	reg.Add(
		&op.Op[platformCreateInput, platformUserOutput]{
			ID: "platform.users.create", Tag: tag, Scope: users.Create.Scope, Method: http.MethodPost, Path: "/users",
			Compat: true, Summary: "Create a user (Chatwoot platform API)",
			Description: "As in Chatwoot, an existing user with the same email (case-insensitive) is returned instead of a conflict.",
			Run: func(ctx context.Context, p access.Principal, in *platformCreateInput) (*platformUserOutput, error) {
				b := in.Body
				attrs, err := platformAttributes(b.CustomAttributes)
				if err != nil {
					return nil, err
				}
				out, err := users.Create.Call(ctx, p, &directory.CreateUserInput{Body: directory.UserCreate{
					Name: b.Name, DisplayName: b.DisplayName, Email: b.Email, Password: b.Password, CustomAttributes: attrs}})
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
			Compat: true, Summary: "Update a user (Chatwoot platform API)",
			Description: "Blank fields (\"\") are left unchanged; `custom_attributes` are merged into the existing values.",
			Run: func(ctx context.Context, p access.Principal, in *platformUpdateInput) (*platformUserOutput, error) {
				b := in.Body
				attrs, err := platformAttributes(b.CustomAttributes)
				if err != nil {
					return nil, err
				}
				out, err := users.Update.Call(ctx, p, &directory.UpdateUserInput{UserIDParam: in.UserIDParam, Body: directory.UserUpdate{
					Name: blank(b.Name), DisplayName: blank(b.DisplayName), Email: blank(b.Email), Password: blank(b.Password),
					CustomAttributes: attrs}})
				if err != nil {
					return nil, platformError(err)
				}
				return &platformUserOutput{Body: platformUser(out.Body)}, nil
			},
		},
		&op.Op[directory.UserIDParam, platformDeleted]{
			ID: "platform.users.delete", Tag: tag, Scope: users.Delete.Scope, Method: http.MethodDelete, Path: "/users/{id}",
			Compat: true, Summary: "Delete a user (Chatwoot platform API)",
			Run: func(ctx context.Context, p access.Principal, in *directory.UserIDParam) (*platformDeleted, error) {
				if _, err := users.Delete.Call(ctx, p, in); err != nil {
					return nil, err
				}
				out := &platformDeleted{}
				out.Body.ID, out.Body.Deleted = in.ID, true
				return out, nil
			},
		},
		&op.Op[directory.UserIDParam, platformLoginOutput]{
			ID: "platform.users.login", Tag: tag, Scope: users.LoginLink.Scope, Method: http.MethodGet, Path: "/users/{id}/login",
			Compat: true, Summary: "Get a one-time sign-in URL (Chatwoot platform API)",
			Description: "The same link as `GET /api/v1/users/{id}/sso`.",
			Run: func(ctx context.Context, p access.Principal, in *directory.UserIDParam) (*platformLoginOutput, error) {
				l, err := users.LoginLink.Call(ctx, p, in)
				if err != nil {
					return nil, err
				}
				out := &platformLoginOutput{}
				out.Body.URL = l.Body.URL
				return out, nil
			},
		},
	)
	if ws != nil {
		reg.Add(platformAccountOps(ws, users)...)
	}
	return reg
}
