package scim

import (
	"strconv"
	"strings"
)

// normalize returns a request resource with canonical attribute names (SCIM
// names are case-insensitive) and values coerced to their types: Entra's
// "True"/"False" become booleans, a number sent for a string attribute
// becomes its text. Attributes Roster does not support (phoneNumbers,
// addresses, ...) and read-only ones (id, meta) are dropped: RFC 7644 lets a
// service provider ignore what it does not keep. A null value is kept as nil
// ("unassigned").
func normalize(rt *resourceType, body map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range body {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if ext := rt.schemaFor(k); ext != nil && ext != rt.Core {
			m, ok := v.(map[string]any)
			if !ok {
				if v == nil {
					continue
				}
				return nil, badRequest(errInvalidSyntax, "%s must be an object", ext.ID)
			}
			sub, err := normalizeAttrs(ext.Attributes, m, ext.ID+":")
			if err != nil {
				return nil, err
			}
			out[ext.ID] = sub
			continue
		}
		urn, a := rt.lookup("", k)
		if a == nil || urn != "" || a.Mutability == "readOnly" {
			continue
		}
		cv, err := coerce(a, v, a.Name)
		if err != nil {
			return nil, err
		}
		out[a.Name] = cv
	}
	return out, nil
}

func normalizeAttrs(defs []*Attr, m map[string]any, prefix string) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		var a *Attr
		for _, d := range defs {
			if strings.EqualFold(d.Name, k) {
				a = d
				break
			}
		}
		if a == nil || a.Mutability == "readOnly" {
			continue
		}
		cv, err := coerce(a, v, prefix+a.Name)
		if err != nil {
			return nil, err
		}
		out[a.Name] = cv
	}
	return out, nil
}

// coerce converts v to attribute a's type. where names the attribute in
// errors.
func coerce(a *Attr, v any, where string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			list = []any{v} // one value where a list is expected
		}
		out := make([]any, 0, len(list))
		for _, el := range list {
			cv, err := coerceOne(a, el, where)
			if err != nil {
				return nil, err
			}
			if cv != nil {
				out = append(out, cv)
			}
		}
		return out, nil
	}
	if _, isList := v.([]any); isList {
		return nil, badRequest(errInvalidValue, "%s takes one value, not a list", where)
	}
	return coerceOne(a, v, where)
}

func coerceOne(a *Attr, v any, where string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case tComplex:
		m, ok := v.(map[string]any)
		if !ok {
			// Entra sends manager (and some clients members) as a bare id.
			if a.sub("value") != nil {
				if _, scalar := v.([]any); !scalar {
					m = map[string]any{"value": v}
					ok = true
				}
			}
			if !ok {
				return nil, badRequest(errInvalidValue, "%s must be an object", where)
			}
		}
		return normalizeAttrs(a.SubAttributes, m, where+".")
	case tBoolean:
		b, ok := boolValue(v)
		if !ok {
			return nil, badRequest(errInvalidValue, "%s must be true or false", where)
		}
		return b, nil
	case tInteger, tDecimal:
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
		return nil, badRequest(errInvalidValue, "%s must be a number", where)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return nil, badRequest(errInvalidValue, "%s must be a string", where)
}
