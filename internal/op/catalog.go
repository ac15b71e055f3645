package op

import (
	"fmt"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// Field is one typed input or output field of an operation, in the form
// no-code tools (Zapier, n8n) use to build their forms.
type Field struct {
	Key         string   `json:"key" doc:"JSON name of the field"`
	In          string   `json:"in,omitempty" enum:"path,query,body" doc:"Where an input field travels over HTTP"`
	Type        string   `json:"type" doc:"JSON Schema type: string, integer, number, boolean, object, array"`
	Format      string   `json:"format,omitempty" doc:"JSON Schema format, e.g. email"`
	Required    bool     `json:"required"`
	Label       string   `json:"label,omitempty"`
	HelpText    string   `json:"helpText,omitempty"`
	Choices     []string `json:"choices,omitempty" doc:"Allowed values, when fixed"`
	List        bool     `json:"list,omitempty" doc:"The field holds a list of Type"`
	ItemsType   string   `json:"itemsType,omitempty" doc:"Type of list items"`
	Description string   `json:"description,omitempty"`
}

// Entry is one catalog entry.
type Entry struct {
	ID           string  `json:"id" doc:"Operation id, e.g. users.create"`
	Kind         string  `json:"kind" enum:"action,search,trigger" doc:"What a no-code tool uses it for"`
	Summary      string  `json:"summary"`
	Resource     string  `json:"resource"`
	Scope        string  `json:"scope"`
	Method       string  `json:"method"`
	Path         string  `json:"path"`
	InputFields  []Field `json:"inputFields"`
	OutputFields []Field `json:"outputFields"`
}

// Index finds catalog entries by operation id.
type Index map[string]Entry

// NewIndex indexes entries.
func NewIndex(entries []Entry) Index {
	idx := make(Index, len(entries))
	for _, e := range entries {
		idx[e.ID] = e
	}
	return idx
}

// Entry returns the entry of operation id.
func (x Index) Entry(id string) (Entry, bool) {
	e, ok := x[id]
	return e, ok
}

// Catalog lists every non-compat operation with its typed fields, derived
// from the same schemas huma generated for the OpenAPI document. Call it
// after Mount.
func (r *Registry) Catalog(oapi *huma.OpenAPI) ([]Entry, error) {
	reg := oapi.Components.Schemas
	var out []Entry
	for _, o := range r.ops {
		m := o.Meta()
		if m.Compat {
			continue
		}
		hop, ok := r.mounted[m.ID]
		if !ok {
			return nil, fmt.Errorf("catalog: operation %s is not mounted", m.ID)
		}
		e := Entry{ID: m.ID, Kind: kindOf(m), Summary: m.Summary, Resource: m.Tag, Scope: string(m.Scope),
			Method: m.Method, Path: hop.Path, InputFields: []Field{}, OutputFields: []Field{}}
		for _, p := range hop.Parameters {
			if p.In != "path" && p.In != "query" {
				continue
			}
			f := fieldOf(reg, p.Name, p.Schema, p.Required)
			f.In = p.In
			if f.Description == "" {
				f.Description = p.Description
			}
			e.InputFields = append(e.InputFields, f)
		}
		if hop.RequestBody != nil {
			if mt := hop.RequestBody.Content["application/json"]; mt != nil && mt.Schema != nil {
				for _, f := range objectFields(reg, mt.Schema) {
					f.In = "body"
					e.InputFields = append(e.InputFields, f)
				}
			}
		}
		for code, resp := range hop.Responses {
			if !strings.HasPrefix(code, "2") || resp.Content == nil {
				continue
			}
			if mt := resp.Content["application/json"]; mt != nil && mt.Schema != nil {
				e.OutputFields = objectFields(reg, mt.Schema)
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func kindOf(m Meta) string {
	if m.Method == "GET" {
		return "search"
	}
	return "action"
}

func resolve(reg huma.Registry, s *huma.Schema) *huma.Schema {
	for s != nil && s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	return s
}

func objectFields(reg huma.Registry, s *huma.Schema) []Field {
	s = resolve(reg, s)
	if s == nil {
		return nil
	}
	required := map[string]bool{}
	for _, k := range s.Required {
		required[k] = true
	}
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		if k == "$schema" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]Field, 0, len(keys))
	for _, k := range keys {
		fields = append(fields, fieldOf(reg, k, s.Properties[k], required[k]))
	}
	return fields
}

func fieldOf(reg huma.Registry, key string, s *huma.Schema, required bool) Field {
	s = resolve(reg, s)
	f := Field{Key: key, Required: required}
	if s == nil {
		f.Type = "object"
		return f
	}
	f.Type = schemaType(s)
	f.Format = s.Format
	f.Label = s.Title
	f.Description = s.Description
	for _, v := range s.Enum {
		f.Choices = append(f.Choices, fmt.Sprint(v))
	}
	if f.Type == "array" {
		f.List = true
		if items := resolve(reg, s.Items); items != nil {
			f.ItemsType = schemaType(items)
		}
	}
	return f
}

func schemaType(s *huma.Schema) string {
	if s.Type != "" {
		return s.Type
	}
	for _, alt := range s.OneOf {
		if alt.Type != "" && alt.Type != "null" {
			return alt.Type
		}
	}
	return "object"
}
