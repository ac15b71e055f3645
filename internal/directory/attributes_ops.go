package directory

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/op"
)

// AttributesOutput carries definitions as a bare array (Konstantly's shape).
type AttributesOutput struct {
	Body []AttributeDefinition
}

// UpsertAttributesInput is a bare array of definitions (Konstantly's shape).
type UpsertAttributesInput struct {
	Body []AttributeInput `minItems:"1" maxItems:"200"`
}

// AttributeKeyParam addresses one definition.
type AttributeKeyParam struct {
	Key string `path:"key" maxLength:"64" doc:"Attribute key"`
}

// AttributeSettingsInput changes the settings.
type AttributeSettingsInput struct {
	Body AttributeSettingsUpdate
}

// AttributeSettingsOutput carries the settings.
type AttributeSettingsOutput struct {
	Body AttributeSettings
}

// AttributeOps are the custom attribute definition operations.
type AttributeOps []op.Any

// All lists the operations for the registry.
func (a AttributeOps) All() []op.Any { return a }

// AttributeOps defines the operations for user and group attributes. User
// attributes need the users scopes, group attributes the groups scopes.
func (s *Service) AttributeOps() AttributeOps {
	var out AttributeOps
	for _, e := range []struct {
		entity, plural, noun string
		read, write          access.Scope
	}{
		{EntityUser, "users", "user", access.UsersRead, access.UsersWrite},
		{EntityGroup, "groups", "group", access.GroupsRead, access.GroupsWrite},
	} {
		entity := e.entity
		base := "/custom/attributes/" + e.plural
		out = append(out,
			&op.Op[struct{}, AttributesOutput]{
				ID: "attributes.list_" + e.noun, Tag: "Custom attributes", Scope: e.read, Method: http.MethodGet, Path: base,
				Summary: "List " + e.noun + " attribute definitions",
				Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*AttributesOutput, error) {
					defs, err := s.ListAttributes(ctx, p.WorkspaceID, entity)
					return &AttributesOutput{Body: defs}, err
				},
			},
			&op.Op[UpsertAttributesInput, AttributesOutput]{
				ID: "attributes.upsert_" + e.noun, Tag: "Custom attributes", Scope: e.write, Method: http.MethodPost, Path: base,
				Summary: "Create or update " + e.noun + " attribute definitions",
				Description: "A JSON array of definitions. An item with `id`, or whose `key` (`apiId`) exists, updates that definition; " +
					"others are created. `type` is a name (text, number, boolean, date, list, link) or Konstantly's code; it cannot " +
					"change. Lists need `options` (or Konstantly's `extraData`). All items are written or none.",
				Run: func(ctx context.Context, p access.Principal, in *UpsertAttributesInput) (*AttributesOutput, error) {
					defs, err := s.UpsertAttributes(ctx, p.WorkspaceID, entity, in.Body)
					return &AttributesOutput{Body: defs}, err
				},
			},
			&op.Op[AttributeKeyParam, NoContent]{
				ID: "attributes.delete_" + e.noun, Tag: "Custom attributes", Scope: e.write, Method: http.MethodDelete, Path: base + "/{key}",
				Status: http.StatusNoContent, Summary: "Delete a " + e.noun + " attribute definition",
				Description: "Stored values under the key are kept; they become unknown keys.",
				Run: func(ctx context.Context, p access.Principal, in *AttributeKeyParam) (*NoContent, error) {
					return &NoContent{}, s.DeleteAttribute(ctx, p.WorkspaceID, entity, in.Key)
				},
			},
			&op.Op[struct{}, AttributeSettingsOutput]{
				ID: "attributes.get_" + e.noun + "_settings", Tag: "Custom attributes", Scope: e.read, Method: http.MethodGet, Path: base + "/settings",
				Summary: "Get " + e.noun + " attribute settings",
				Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*AttributeSettingsOutput, error) {
					st, err := s.AttributeSettings(ctx, p.WorkspaceID, entity)
					return &AttributeSettingsOutput{Body: st}, err
				},
			},
			&op.Op[AttributeSettingsInput, AttributeSettingsOutput]{
				ID: "attributes.update_" + e.noun + "_settings", Tag: "Custom attributes", Scope: e.write, Method: http.MethodPut, Path: base + "/settings",
				Summary: "Change " + e.noun + " attribute settings",
				Description: "By default customAttributes may hold any key while no attribute is defined, and only defined keys " +
					"once one is. `allowUnknown` true or false overrides that on every later write; null returns to the default.",
				Run: func(ctx context.Context, p access.Principal, in *AttributeSettingsInput) (*AttributeSettingsOutput, error) {
					st, err := s.SetAttributeSettings(ctx, p.WorkspaceID, entity, in.Body)
					return &AttributeSettingsOutput{Body: st}, err
				},
			},
		)
	}
	return out
}
