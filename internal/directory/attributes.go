package directory

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// Entities that carry custom attributes.
const (
	EntityUser  = "user"
	EntityGroup = "group"
)

// Attribute types.
const (
	AttrText    = "text"
	AttrNumber  = "number"
	AttrBoolean = "boolean"
	AttrDate    = "date"
	AttrList    = "list"
	AttrLink    = "link"
)

// AttrTypes lists the attribute types.
var AttrTypes = []string{AttrText, AttrNumber, AttrBoolean, AttrDate, AttrList, AttrLink}

// typeCode is Konstantly's numeric code of a type; a list is 3 (single
// choice) or 4 (multiple choice). Code 5 (user choice) is not supported.
func typeCode(typ string, multiple bool) int {
	switch typ {
	case AttrText:
		return 1
	case AttrDate:
		return 2
	case AttrList:
		if multiple {
			return 4
		}
		return 3
	case AttrBoolean:
		return 6
	case AttrLink:
		return 7
	case AttrNumber:
		return 8
	}
	return 0
}

var typeOfCode = map[int]string{1: AttrText, 2: AttrDate, 3: AttrList, 4: AttrList, 6: AttrBoolean, 7: AttrLink, 8: AttrNumber}

// AttributeType is an attribute type given by name ("text") or by
// Konstantly's numeric code (1).
type AttributeType struct {
	Name string
	Code int
}

// UnmarshalJSON accepts a name or a code.
func (t *AttributeType) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.Name); err == nil {
		return nil
	}
	return json.Unmarshal(b, &t.Code)
}

// MarshalJSON writes the name.
func (t AttributeType) MarshalJSON() ([]byte, error) { return json.Marshal(t.Name) }

// Schema documents both forms.
func (AttributeType) Schema(huma.Registry) *huma.Schema {
	lo, hi := 1.0, 8.0
	return &huma.Schema{
		Description: "Type name, or Konstantly's code: 1 text, 2 date, 3 single choice, 4 multiple choice, 6 yes/no, 7 link, 8 number",
		OneOf: []*huma.Schema{
			{Type: huma.TypeString, Enum: enumOf(AttrTypes)},
			{Type: huma.TypeInteger, Minimum: &lo, Maximum: &hi},
		},
	}
}

// AttributeOption is one allowed value of a list, in Konstantly's shape.
type AttributeOption struct {
	ID       int    `json:"id,omitempty" doc:"Option number (output only)"`
	Position int    `json:"position,omitempty"`
	Value    string `json:"value" minLength:"1" maxLength:"200"`
}

// AttributeDefinition describes one custom attribute of users or groups.
type AttributeDefinition struct {
	ID         int64             `json:"id"`
	Key        string            `json:"key" doc:"Key of the value in customAttributes"`
	APIID      string            `json:"apiId" doc:"Same as key (Konstantly's name)"`
	Name       string            `json:"name" doc:"Display name"`
	Type       string            `json:"type" enum:"text,number,boolean,date,list,link"`
	TypeCode   int               `json:"typeCode" doc:"Konstantly's numeric type"`
	Options    []string          `json:"options" doc:"Allowed values of a list; empty otherwise"`
	ExtraData  []AttributeOption `json:"extraData" doc:"Options in Konstantly's shape; null unless a list"`
	Multiple   bool              `json:"multiple" doc:"A list value holds several options"`
	IsRequired bool              `json:"isRequired"`
	IsVisible  bool              `json:"isVisible"`
	IsEditable bool              `json:"isEditable"`
	Position   int               `json:"position"`
	CreatedAt  int64             `json:"createdAt" doc:"Unix seconds"`
	UpdatedAt  int64             `json:"updatedAt" doc:"Unix seconds"`
}

// AttributeInput creates or updates a definition: matched by id, else by key.
type AttributeInput struct {
	ID         op.ID             `json:"id,omitempty" doc:"Existing definition to update (2 or \"2\")"`
	Key        string            `json:"key,omitempty" maxLength:"64" doc:"Key in customAttributes; derived from the name when omitted. Cannot change."`
	APIID      string            `json:"apiId,omitempty" maxLength:"64" doc:"Konstantly's name for key"`
	Name       string            `json:"name" minLength:"1" maxLength:"200" doc:"Display name"`
	Type       AttributeType     `json:"type"`
	Options    []string          `json:"options,omitempty" maxItems:"500" doc:"Allowed values of a list"`
	ExtraData  []AttributeOption `json:"extraData,omitempty" maxItems:"500" doc:"Konstantly's form of options"`
	Multiple   *bool             `json:"multiple,omitempty" doc:"A list value holds several options (type 4)"`
	IsRequired bool              `json:"isRequired,omitempty"`
	IsVisible  *bool             `json:"isVisible,omitempty" doc:"Default true"`
	IsEditable *bool             `json:"isEditable,omitempty" doc:"Default true"`
	Position   int               `json:"position,omitempty" minimum:"0" doc:"Sort position; default after the others"`
}

// AttributeSettings are a workspace's rules for one entity's attributes.
type AttributeSettings struct {
	AllowUnknown bool `json:"allowUnknown" doc:"customAttributes may hold keys that have no definition"`
	IsDefault    bool `json:"isDefault" doc:"allowUnknown is the default: true while no attribute is defined, false once one is"`
}

// AttributeSettingsUpdate changes the settings.
type AttributeSettingsUpdate struct {
	AllowUnknown *bool `json:"allowUnknown" nullable:"true" doc:"true or false; null returns to the default"`
}

type attrDef struct {
	id                   int64
	key, name, typ       string
	options              []string
	multiple, required   bool
	visible, editable    bool
	position             int
	createdAt, updatedAt time.Time
}

func (d *attrDef) view() AttributeDefinition {
	v := AttributeDefinition{ID: d.id, Key: d.key, APIID: d.key, Name: d.name, Type: d.typ, TypeCode: typeCode(d.typ, d.multiple),
		Options: d.options, Multiple: d.multiple, IsRequired: d.required, IsVisible: d.visible, IsEditable: d.editable,
		Position: d.position, CreatedAt: d.createdAt.Unix(), UpdatedAt: d.updatedAt.Unix()}
	if v.Options == nil {
		v.Options = []string{}
	}
	if d.typ == AttrList {
		v.ExtraData = make([]AttributeOption, len(d.options))
		for i, o := range d.options {
			v.ExtraData[i] = AttributeOption{ID: i + 1, Position: i + 1, Value: o}
		}
	}
	return v
}

var nonKeyChars = regexp.MustCompile(`[^a-z0-9_]+`)

// keyFromName derives a key: "Employee ID" → "employee_id".
func keyFromName(name string) string {
	k := strings.Trim(nonKeyChars.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "_"), "_")
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		k = "attr_" + k
	}
	if len(k) > 64 {
		k = strings.TrimRight(k[:64], "_")
	}
	return k
}

// applyAttributeInput validates in onto d (a new definition when d.id == 0);
// field is the item's path, like "body[2]".
func applyAttributeInput(f *fault.Fields, field string, d *attrDef, in AttributeInput) {
	key := strings.TrimSpace(in.Key)
	if key == "" {
		key = strings.TrimSpace(in.APIID)
	}
	if key == "" && d.id == 0 {
		key = keyFromName(in.Name)
	}
	if key != "" {
		if !attrKeyPattern.MatchString(key) {
			f.Add(field+".key", "keys start with a letter and use letters, digits, _ . - (at most 64)")
		} else if d.id != 0 && key != d.key {
			f.Add(field+".key", "cannot change the key of attribute %q", d.key)
		}
		if d.id == 0 {
			d.key = key
		}
	}
	d.name = checkText(f, field+".name", in.Name, 1, maxNameLen)
	typ, multiple := in.Type.Name, false
	if typ == "" {
		typ = typeOfCode[in.Type.Code]
		multiple = in.Type.Code == 4
	}
	if in.Multiple != nil {
		multiple = *in.Multiple
	}
	switch {
	case typ == "" || !slices.Contains(AttrTypes, typ):
		f.Add(field+".type", "must be one of %s, or a Konstantly type code 1–4 or 6–8", strings.Join(AttrTypes, ", "))
	case d.id != 0 && (typ != d.typ || multiple != d.multiple):
		f.Add(field+".type", "cannot change the type of attribute %q (%s)", d.key, d.typ)
	}
	d.typ, d.multiple = typ, multiple && typ == AttrList
	options := slices.Clone(in.Options)
	if len(options) == 0 && len(in.ExtraData) > 0 {
		sorted := slices.Clone(in.ExtraData)
		slices.SortStableFunc(sorted, func(a, b AttributeOption) int { return a.Position - b.Position })
		for _, o := range sorted {
			options = append(options, o.Value)
		}
	}
	d.options = nil
	if typ == AttrList {
		seen := map[string]bool{}
		for i, o := range options {
			o = strings.TrimSpace(o)
			if o == "" || len(o) > 200 || seen[o] {
				f.Add(fmt.Sprintf("%s.options[%d]", field, i), "options are distinct, non-empty, at most 200 characters")
				continue
			}
			seen[o] = true
			d.options = append(d.options, o)
		}
		if len(options) == 0 {
			f.Add(field+".options", "a list needs at least one option")
		}
	} else if len(options) > 0 {
		f.Add(field+".options", "only a list has options")
	}
	d.required = in.IsRequired
	d.visible = in.IsVisible == nil || *in.IsVisible
	d.editable = in.IsEditable == nil || *in.IsEditable
	if in.Position > 0 {
		d.position = in.Position
	}
}

// attributeSchema is a workspace's definitions for one entity.
type attributeSchema struct {
	defs         map[string]*attrDef
	allowUnknown bool
	settings     AttributeSettings
}

// check validates attribute values against the definitions. touched lists
// the keys a partial update set; nil means a whole new record, for which
// every required attribute must be present. A record written before an
// attribute became required is not refused for keys the update leaves alone.
func (s attributeSchema) check(f *fault.Fields, field string, attrs map[string]any, touched map[string]bool) {
	for k, v := range attrs {
		d, ok := s.defs[k]
		if !ok {
			if !s.allowUnknown {
				f.Add(field+"."+k, "no attribute %q is defined; define it, or allow unknown attributes in the workspace's settings", k)
			}
			continue
		}
		if msg := d.checkValue(v); msg != "" {
			f.Add(field+"."+k, "%s", msg)
		}
	}
	for k, d := range s.defs {
		if !d.required || (touched != nil && !touched[k]) {
			continue
		}
		if v, ok := attrs[k]; !ok || v == nil || v == "" {
			f.Add(field+"."+k, "is required")
		}
	}
}

func (d *attrDef) checkValue(v any) string {
	switch d.typ {
	case AttrText:
		if _, ok := v.(string); !ok {
			return "must be text"
		}
	case AttrNumber:
		switch v.(type) {
		case float64, int, int64:
		default:
			return "must be a number"
		}
	case AttrBoolean:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
	case AttrDate:
		s, _ := v.(string)
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return "must be a date like 2024-05-31 or 2024-05-31T09:00:00Z"
			}
		}
	case AttrLink:
		s, _ := v.(string)
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "must be an http or https link"
		}
	case AttrList:
		return d.checkChoice(v)
	}
	return ""
}

func (d *attrDef) checkChoice(v any) string {
	msg := "must be one of: " + strings.Join(d.options, ", ")
	if !d.multiple {
		if s, ok := v.(string); !ok || !slices.Contains(d.options, s) {
			return msg
		}
		return ""
	}
	list, ok := v.([]any)
	if !ok {
		return "must be a list of options (" + strings.Join(d.options, ", ") + ")"
	}
	for _, item := range list {
		if s, ok := item.(string); !ok || !slices.Contains(d.options, s) {
			return "each item " + msg
		}
	}
	return ""
}

// touchedKeys returns the keys the patches set or remove.
func touchedKeys(patches ...map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, p := range patches {
		for k := range p {
			out[k] = true
		}
	}
	return out
}
