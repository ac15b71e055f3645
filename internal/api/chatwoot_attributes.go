package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// Chatwoot's custom attributes are of conversations (model 0) or contacts
// (model 1). Roster has no conversations; its contacts are people, so
// contact attributes are people's attribute definitions.

// ChatwootAttribute is a person attribute definition in Chatwoot's shape.
type ChatwootAttribute struct {
	ID                   int64    `json:"id"`
	AttributeDisplayName string   `json:"attribute_display_name"`
	AttributeDisplayType string   `json:"attribute_display_type" enum:"text,number,link,date,list,checkbox"`
	AttributeDescription string   `json:"attribute_description" doc:"Always empty: Roster keeps no description"`
	AttributeKey         string   `json:"attribute_key"`
	AttributeValues      []string `json:"attribute_values"`
	AttributeModel       string   `json:"attribute_model" enum:"contact_attribute"`
	RegexPattern         *string  `json:"regex_pattern"`
	RegexCue             *string  `json:"regex_cue"`
	DefaultValue         any      `json:"default_value"`
	CreatedAt            int64    `json:"created_at" doc:"Unix seconds"`
	UpdatedAt            int64    `json:"updated_at" doc:"Unix seconds"`
}

// Chatwoot's display types by code, with the Roster type of each.
var chatwootAttrTypes = []struct{ name, roster string }{
	{"text", directory.AttrText}, {"number", directory.AttrNumber}, {"currency", directory.AttrNumber},
	{"percent", directory.AttrNumber}, {"link", directory.AttrLink}, {"date", directory.AttrDate},
	{"list", directory.AttrList}, {"checkbox", directory.AttrBoolean},
}

func chatwootAttrType(roster string) string {
	if roster == directory.AttrBoolean {
		return "checkbox"
	}
	return roster
}

// rosterAttrType reads a display type given as a code (n8n sends a number)
// or a name.
func rosterAttrType(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return directory.AttrText, nil
	case float64:
		if i := int(x); float64(i) == x && i >= 0 && i < len(chatwootAttrTypes) {
			return chatwootAttrTypes[i].roster, nil
		}
	case string:
		for _, t := range chatwootAttrTypes {
			if strings.EqualFold(strings.TrimSpace(x), t.name) {
				return t.roster, nil
			}
		}
		if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return rosterAttrType(float64(i))
		}
	}
	return "", fault.Invalid("attribute_display_type", "must be 0 text, 1 number, 2 currency, 3 percent, 4 link, 5 date, 6 list or 7 checkbox")
}

// checkContactModel refuses conversation attributes: Roster has no
// conversations.
func checkContactModel(v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		if x == 1 {
			return nil
		}
	case string:
		if s := strings.TrimSpace(x); s == "" || s == "1" || s == "contact_attribute" {
			return nil
		}
	}
	return fault.Invalid("attribute_model", "must be 1 (contact_attribute): Roster has no conversations; contact attributes are people's attributes")
}

func chatwootAttribute(d directory.AttributeDefinition) ChatwootAttribute {
	values := d.Options
	if values == nil {
		values = []string{}
	}
	return ChatwootAttribute{ID: d.ID, AttributeDisplayName: d.Name, AttributeDisplayType: chatwootAttrType(d.Type), AttributeKey: d.Key,
		AttributeValues: values, AttributeModel: "contact_attribute", CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// attributeValues reads attribute_values, dropping n8n's default [null].
func attributeValues(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fault.Invalid("attribute_values", "must be a list of text values")
	}
	var out []string
	for _, item := range items {
		switch x := item.(type) {
		case nil:
		case string:
			out = append(out, x)
		default:
			return nil, fault.Invalid("attribute_values", "must be a list of text values")
		}
	}
	return out, nil
}

type attributeFields struct {
	AttributeDisplayName string `json:"attribute_display_name,omitempty" maxLength:"200" doc:"Blank on update: unchanged"`
	AttributeDisplayType any    `json:"attribute_display_type,omitempty" doc:"0 text, 1 number, 2 currency, 3 percent, 4 link, 5 date, 6 list, 7 checkbox (or the name); cannot change"`
	AttributeDescription string `json:"attribute_description,omitempty" maxLength:"5000" doc:"Ignored"`
	AttributeKey         string `json:"attribute_key,omitempty" maxLength:"64" doc:"Key in custom_attributes; cannot change"`
	AttributeValues      any    `json:"attribute_values,omitempty" doc:"Options of a list"`
	AttributeModel       any    `json:"attribute_model,omitempty" doc:"1 or contact_attribute (people); conversations do not exist in Roster"`
	RegexPattern         string `json:"regex_pattern,omitempty" doc:"Ignored"`
	RegexCue             string `json:"regex_cue,omitempty" doc:"Ignored"`
}

type attributeListInput struct {
	AccountIDParam
	AttributeModel string `query:"attribute_model" maxLength:"30" doc:"0/conversation_attribute (always empty) or 1/contact_attribute"`
}

// AttributeIDInput addresses a custom attribute definition. Exported: huma finds path parameters only
// through exported embedded structs.
type AttributeIDInput struct {
	AccountIDParam
	ID int64 `path:"id" minimum:"1" doc:"Attribute definition id"`
}

type attributeCreateInput struct {
	AccountIDParam
	Body attributeFields
}

type attributeUpdateInput struct {
	AttributeIDInput
	Body attributeFields
}

type attributeOutput struct{ Body ChatwootAttribute }

type attributesOutput struct{ Body []ChatwootAttribute }

var attributeFieldNames = map[string]string{"key": "attribute_key", "apiId": "attribute_key", "name": "attribute_display_name",
	"type": "attribute_display_type", "options": "attribute_values", "id": "id"}

func chatwootAttributeOps(reg *op.Registry) []op.Any {
	const tag = "Chatwoot"
	list := opOf[struct{}, directory.AttributesOutput](reg, "attributes.list_user")
	upsert := opOf[directory.UpsertAttributesInput, directory.AttributesOutput](reg, "attributes.upsert_user")
	del := opOf[directory.AttributeKeyParam, directory.NoContent](reg, "attributes.delete_user")

	find := func(ctx context.Context, p access.Principal, id int64) (directory.AttributeDefinition, error) {
		defs, err := list.Call(ctx, p, &struct{}{})
		if err != nil {
			return directory.AttributeDefinition{}, err
		}
		for _, d := range defs.Body {
			if d.ID == id {
				return d, nil
			}
		}
		return directory.AttributeDefinition{}, fault.NotFound("custom attribute " + strconv.FormatInt(id, 10))
	}
	write := func(ctx context.Context, p access.Principal, in directory.AttributeInput) (*attributeOutput, error) {
		defs, err := upsert.Call(ctx, p, &directory.UpsertAttributesInput{Body: []directory.AttributeInput{in}})
		if err != nil {
			return nil, renameFields(err, attributeFieldNames, "body[0].")
		}
		return &attributeOutput{Body: chatwootAttribute(defs.Body[0])}, nil
	}
	return []op.Any{
		&op.Op[attributeListInput, attributesOutput]{
			ID: "chatwoot.custom_attributes.list", Tag: tag, Scope: list.Scope, Method: http.MethodGet,
			Path: "/accounts/{account_id}/custom_attribute_definitions", Compat: true,
			Summary: "List custom attributes: people's attribute definitions (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *attributeListInput) (*attributesOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				out := &attributesOutput{Body: []ChatwootAttribute{}}
				if m := strings.TrimSpace(in.AttributeModel); m == "0" || m == "conversation_attribute" {
					return out, nil // Roster has no conversations
				}
				defs, err := list.Call(ctx, p, &struct{}{})
				if err != nil {
					return nil, err
				}
				for _, d := range defs.Body {
					out.Body = append(out.Body, chatwootAttribute(d))
				}
				return out, nil
			},
		},
		&op.Op[attributeCreateInput, attributeOutput]{
			ID: "chatwoot.custom_attributes.create", Tag: tag, Scope: upsert.Scope, Method: http.MethodPost,
			Path: "/accounts/{account_id}/custom_attribute_definitions", Compat: true,
			Summary:     "Add a custom attribute: a people attribute definition (Chatwoot)",
			Description: "Only contact attributes (model 1): Roster's contacts are people. An existing key is updated.",
			Run: func(ctx context.Context, p access.Principal, in *attributeCreateInput) (*attributeOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				b := in.Body
				if err := checkContactModel(b.AttributeModel); err != nil {
					return nil, err
				}
				typ, err := rosterAttrType(b.AttributeDisplayType)
				if err != nil {
					return nil, err
				}
				values, err := attributeValues(b.AttributeValues)
				if err != nil {
					return nil, err
				}
				if typ != directory.AttrList {
					values = nil // Chatwoot keeps values of other types; Roster refuses them
				}
				return write(ctx, p, directory.AttributeInput{Key: b.AttributeKey, Name: b.AttributeDisplayName,
					Type: directory.AttributeType{Name: typ}, Options: values})
			},
		},
		&op.Op[AttributeIDInput, attributeOutput]{
			ID: "chatwoot.custom_attributes.get", Tag: tag, Scope: list.Scope, Method: http.MethodGet,
			Path: "/accounts/{account_id}/custom_attribute_definitions/{id}", Compat: true,
			Summary: "Get a custom attribute (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *AttributeIDInput) (*attributeOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				d, err := find(ctx, p, in.ID)
				return &attributeOutput{Body: chatwootAttribute(d)}, err
			},
		},
		&op.Op[attributeUpdateInput, attributeOutput]{
			ID: "chatwoot.custom_attributes.update", Tag: tag, Scope: upsert.Scope, Method: http.MethodPatch,
			Path: "/accounts/{account_id}/custom_attribute_definitions/{id}", Compat: true,
			Summary:     "Update a custom attribute's name or list values (Chatwoot)",
			Description: "Blank fields are left unchanged; the key and type cannot change, so they are not read.",
			Run: func(ctx context.Context, p access.Principal, in *attributeUpdateInput) (*attributeOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				d, err := find(ctx, p, in.ID)
				if err != nil {
					return nil, err
				}
				values, err := attributeValues(in.Body.AttributeValues)
				if err != nil {
					return nil, err
				}
				upd := directory.AttributeInput{ID: op.ID(d.ID), Key: d.Key, Name: d.Name, Type: directory.AttributeType{Name: d.Type}, Options: d.Options}
				if n := strings.TrimSpace(in.Body.AttributeDisplayName); n != "" {
					upd.Name = n
				}
				if d.Type == directory.AttrList && len(values) > 0 {
					upd.Options = values
				}
				return write(ctx, p, upd)
			},
		},
		&op.Op[AttributeIDInput, platformDeletedAccount]{
			ID: "chatwoot.custom_attributes.delete", Tag: tag, Scope: del.Scope, Method: http.MethodDelete,
			Path: "/accounts/{account_id}/custom_attribute_definitions/{id}", Compat: true,
			Summary: "Delete a custom attribute (Chatwoot)", Description: "Values stored under the key are kept, as unknown keys.",
			Run: func(ctx context.Context, p access.Principal, in *AttributeIDInput) (*platformDeletedAccount, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				d, err := find(ctx, p, in.ID)
				if err != nil {
					return nil, err
				}
				if _, err := del.Call(ctx, p, &directory.AttributeKeyParam{Key: d.Key}); err != nil {
					return nil, err
				}
				return deleted(in.ID), nil
			},
		},
	}
}
