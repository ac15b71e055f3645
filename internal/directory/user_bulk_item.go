package directory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/fault"
)

// BulkUserItem is one item of a bulk call: a users.create body, kept as sent
// and decoded on its own, so that an item with a wrong type or an unknown
// field is reported in its result while the other items are created.
// Validated as a whole, one bad item would refuse the whole batch.
type BulkUserItem struct{ raw json.RawMessage }

// NewBulkUserItem wraps a user for Go callers.
func NewBulkUserItem(u UserCreate) BulkUserItem {
	raw, _ := json.Marshal(u)
	return BulkUserItem{raw: raw}
}

// UnmarshalJSON keeps the item as sent; decode judges it.
func (b *BulkUserItem) UnmarshalJSON(data []byte) error {
	b.raw = append(b.raw[:0], data...)
	return nil
}

// MarshalJSON gives the item back as sent (idempotent replays, workflows).
func (b BulkUserItem) MarshalJSON() ([]byte, error) {
	if len(b.raw) == 0 {
		return []byte("null"), nil
	}
	return b.raw, nil
}

// Schema documents an item as users.create's body.
func (BulkUserItem) Schema(r huma.Registry) *huma.Schema {
	return r.Schema(reflect.TypeFor[UserCreate](), true, "")
}

// decode reads the item as users.create reads its body: unknown fields are
// refused and every error names its field.
func (b BulkUserItem) decode() (UserCreate, error) {
	var u UserCreate
	if t := bytes.TrimSpace(b.raw); len(t) == 0 || t[0] != '{' {
		return u, fault.Invalid("", "must be an object with the fields of users.create")
	}
	dec := json.NewDecoder(bytes.NewReader(b.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return u, decodeFault(err)
	}
	if bytes.Contains(b.raw, []byte(`\u0000`)) {
		// The HTTP face leaves NUL characters in bulk items to us (see
		// api.perItemText); PostgreSQL cannot store them.
		var doc any
		_ = json.Unmarshal(b.raw, &doc)
		if field := nulField(doc, ""); field != "" {
			return u, fault.Invalid(field, "must not contain NUL characters")
		}
	}
	return u, nil
}

// nulField is the dotted path of the first string or key in v holding a
// NUL character, "" when none does.
func nulField(v any, path string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case string:
		if strings.IndexByte(t, 0) >= 0 {
			return cmp.Or(path, "item")
		}
	case []any:
		for i, e := range t {
			if f := nulField(e, join(strconv.Itoa(i))); f != "" {
				return f
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 {
				return cmp.Or(path, "item")
			}
			if f := nulField(e, join(k)); f != "" {
				return f
			}
		}
	}
	return ""
}

// decodeFault turns a JSON decoding error into a field error.
func decodeFault(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fault.Invalid(te.Field, "must be %s", jsonKind(te.Type))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fault.Invalid(strings.Trim(name, `"`), "unknown field")
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe // a field type's own UnmarshalJSON named it
	}
	return fault.Invalid("", "%s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	}
	return fmt.Sprintf("of type %s", t.Kind())
}

// UnmarshalJSON reads a bulk call leniently: the envelope's own problems
// (an unknown field, users that is not a list) are kept for
// BulkCreateUsers to answer as a 422 naming the field, since the operation
// skips huma's schema validation to judge items one by one.
func (b *BulkUsers) UnmarshalJSON(data []byte) error {
	type plain BulkUsers
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	*b = BulkUsers(p)
	if err != nil {
		b.envelopeErr = decodeFault(err)
		if fe, ok := fault.As(b.envelopeErr); ok && len(fe.Fields) == 1 && fe.Fields[0].Field == "" {
			b.envelopeErr = fault.Invalid("body", "must be an object with users and onExisting")
		}
	}
	return nil
}
