// Package csvimport imports users from a CSV file through Roster's bulk
// users API: it maps columns to fields and custom attributes, sends batches
// with idempotency keys, records progress so an interrupted import resumes
// where it stopped, and writes rejected rows with their reasons to a file.
package csvimport

import (
	"fmt"
	"regexp"
	"strings"
)

// userFields are the bulk API's user fields a column can map to.
var userFields = []string{"id", "name", "displayName", "email", "roleAlias", "language", "timezone",
	"occupation", "location", "bio", "password"}

// headerAliases maps normalised header spellings to fields.
var headerAliases = map[string]string{
	"fullname": "name", "displayname": "displayName", "emailaddress": "email", "mail": "email",
	"role": "roleAlias", "lang": "language", "tz": "timezone", "jobtitle": "occupation", "title": "occupation",
	"userid": "id",
}

const attrPrefix = "customAttributes."

var attrKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

func normalise(h string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.TrimSpace(h)))
}

// Mapping says which field each column fills; "" means the column is ignored.
type Mapping []string

// NewMapping maps header columns to fields. explicit ("Header=field,…")
// wins; other headers map to the field of the same name (case, spaces, _ and
// - ignored, plus a few aliases such as "Full Name" and "Job Title"); the
// rest become custom attributes named after the header. It returns warnings
// for columns it ignores.
func NewMapping(header []string, explicit string) (Mapping, []string, error) {
	overrides := map[string]string{}
	for _, pair := range strings.Split(explicit, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		col, field, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, nil, fmt.Errorf("--map: %q is not Header=field", pair)
		}
		overrides[normalise(col)] = strings.TrimSpace(field)
	}
	known := map[string]string{}
	for _, f := range userFields {
		known[normalise(f)] = f
	}
	m := make(Mapping, len(header))
	var warnings []string
	seen := map[string]bool{}
	for i, h := range header {
		n := normalise(h)
		field, explicitly := overrides[n]
		delete(overrides, n)
		switch {
		case explicitly && (field == "" || field == "-"):
			field = ""
		case explicitly:
			if !isTarget(field) {
				return nil, nil, fmt.Errorf("--map: %q is not a user field or customAttributes.<key>", field)
			}
		case known[n] != "":
			field = known[n]
		case headerAliases[n] != "":
			field = headerAliases[n]
		default:
			key := strings.ReplaceAll(strings.TrimSpace(h), " ", "_")
			if !attrKey.MatchString(key) {
				warnings = append(warnings, fmt.Sprintf("column %d %q ignored: not a valid attribute key (map it with --map)", i+1, h))
				continue
			}
			field = attrPrefix + key
		}
		if field != "" && seen[field] {
			return nil, nil, fmt.Errorf("two columns map to %s", field)
		}
		seen[field] = field != ""
		m[i] = field
	}
	for col := range overrides {
		return nil, nil, fmt.Errorf("--map: no column %q in the header", col)
	}
	if !seen["email"] || !seen["name"] {
		return nil, nil, fmt.Errorf("the CSV needs columns for name and email (found: %s)", strings.Join(header, ", "))
	}
	return m, warnings, nil
}

func isTarget(field string) bool {
	if key, ok := strings.CutPrefix(field, attrPrefix); ok {
		return attrKey.MatchString(key)
	}
	for _, f := range userFields {
		if f == field {
			return true
		}
	}
	return false
}

// User turns one record into a bulk API user; empty cells are left out.
func (m Mapping) User(record []string) map[string]any {
	u := map[string]any{}
	attrs := map[string]any{}
	for i, field := range m {
		if field == "" || i >= len(record) {
			continue
		}
		v := strings.TrimSpace(record[i])
		if v == "" {
			continue
		}
		if key, ok := strings.CutPrefix(field, attrPrefix); ok {
			attrs[key] = v
			continue
		}
		u[field] = v
	}
	if len(attrs) > 0 {
		u["customAttributes"] = attrs
	}
	return u
}
