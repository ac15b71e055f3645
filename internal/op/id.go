package op

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// ID is an integer id (group, course, …) in a request body. No-code tools
// (Zapier, n8n, Make) map ids from earlier steps as text, so both 2 and "2"
// are accepted; "abc", 0 or 2.5 are refused, and the schema check names the
// field before the value ever reaches an operation. Responses show ids as
// integers.
type ID int64

// idPattern is a positive integer as text, spaces around it forgiven.
const idPattern = `^\s*[1-9][0-9]{0,17}\s*$`

// ParseID reads a positive integer id from text or a JSON number.
func ParseID(b []byte) (ID, error) {
	b = bytes.TrimSpace(b)
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return 0, err
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || n <= 0 {
		// A type error, so that encoding/json adds the field's name to it:
		// workflow steps (Registry.Invoke) then name the field too.
		return 0, &json.UnmarshalTypeError{Value: fmt.Sprintf("%s (an id is a positive integer: 2 or \"2\")", b),
			Type: reflect.TypeFor[ID]()}
	}
	return ID(n), nil
}

// UnmarshalJSON accepts 2 or "2".
func (id *ID) UnmarshalJSON(b []byte) error {
	v, err := ParseID(b)
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Schema documents both forms; the integer comes first, so catalogs and
// generated clients see an integer id.
func (ID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: huma.TypeInteger, Format: "int64", Minimum: ptr(1.0)},
		{Type: huma.TypeString, Pattern: idPattern, Description: "The id as text, as no-code tools send it"},
	}}
}

// Int64 returns the id as an int64.
func (id ID) Int64() int64 { return int64(id) }

// IDs converts a list of ids.
func IDs(ids []ID) []int64 {
	if ids == nil {
		return nil
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

// NullID is an id that may be null (a parent group: null is the top of the
// tree). The zero value is null.
type NullID struct {
	Valid bool
	ID    ID
}

// UnmarshalJSON accepts null, 2 or "2".
func (n *NullID) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*n = NullID{}
		return nil
	}
	id, err := ParseID(b)
	if err != nil {
		return err
	}
	*n = NullID{Valid: true, ID: id}
	return nil
}

// MarshalJSON writes the id or null.
func (n NullID) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(int64(n.ID))
}

// Ptr returns the id, or nil for null.
func (n NullID) Ptr() *int64 {
	if !n.Valid {
		return nil
	}
	v := int64(n.ID)
	return &v
}

// Schema documents null, an integer or its text.
func (NullID) Schema(r huma.Registry) *huma.Schema {
	// The integer alternative takes null: huma's validator has no "null"
	// type, and a nullable alternative still matches exactly one.
	s := ID(0).Schema(r)
	s.OneOf[0].Nullable = true
	return s
}

func ptr[T any](v T) *T { return &v }
