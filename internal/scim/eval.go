package scim

import (
	"strings"
	"time"
)

// Filters are first checked against the resource type (unknown attributes,
// operators that do not fit the attribute's type → invalidFilter), then
// evaluated against resources in their SCIM form (map[string]any with
// canonical attribute names; extension attributes under the extension URN).

// resolved is where a filter or PATCH path points: the top-level attribute,
// and the attribute whose values are compared (the sub-attribute, or the
// top-level attribute itself).
type resolved struct {
	urn  string // "" for core and common attributes
	top  *Attr
	leaf *Attr
	sub  string // the sub-attribute's canonical name, "" if none
}

// resolve finds a comparison path. parent is the complex attribute whose
// elements a value filter looks at (nil at the top level). A complex
// attribute named without a sub-attribute compares its "value".
func resolve(rt *resourceType, parent *Attr, p Path) (resolved, error) {
	if parent != nil {
		a := parent.sub(p.Attr)
		if a == nil || p.URN != "" || p.Sub != "" {
			return resolved{}, badRequest(errInvalidFilter, "%s has no sub-attribute %q", parent.Name, p.String())
		}
		return resolved{top: a, leaf: a}, nil
	}
	urn, a := rt.lookup(p.URN, p.Attr)
	if a == nil {
		return resolved{}, badRequest(errInvalidFilter, "%s has no attribute %q", rt.Name, p.String())
	}
	r := resolved{urn: urn, top: a, leaf: a}
	sub := p.Sub
	if sub == "" && a.Type == tComplex {
		sub = "value"
	}
	if sub != "" {
		s := a.sub(sub)
		if s == nil {
			return resolved{}, badRequest(errInvalidFilter, "%s has no sub-attribute %q", a.Name, sub)
		}
		r.leaf, r.sub = s, s.Name
	}
	return r, nil
}

// checkFilter validates e against rt.
func checkFilter(e Expr, rt *resourceType, parent *Attr) error {
	switch x := e.(type) {
	case *Logical:
		if err := checkFilter(x.L, rt, parent); err != nil {
			return err
		}
		return checkFilter(x.R, rt, parent)
	case *Not:
		return checkFilter(x.X, rt, parent)
	case *ValueFilter:
		if parent != nil {
			return badRequest(errInvalidFilter, "value filters cannot nest")
		}
		_, a := rt.lookup(x.Path.URN, x.Path.Attr)
		if a == nil || a.Type != tComplex || x.Path.Sub != "" {
			return badRequest(errInvalidFilter, "%s is not a complex attribute of %s", x.Path.String(), rt.Name)
		}
		return checkFilter(x.Filter, rt, a)
	case *Compare:
		r, err := resolve(rt, parent, x.Path)
		if err != nil {
			return err
		}
		return checkOperand(r.leaf, x)
	}
	return badRequest(errInvalidFilter, "unsupported filter")
}

func checkOperand(a *Attr, c *Compare) error {
	if c.Op == "pr" {
		return nil
	}
	bad := func(want string) error {
		return badRequest(errInvalidFilter, "%s %s needs %s", c.Path.String(), c.Op, want)
	}
	if c.Value == nil {
		if c.Op != "eq" && c.Op != "ne" {
			return bad("a value other than null")
		}
		return nil
	}
	switch a.Type {
	case tBoolean:
		if c.Op != "eq" && c.Op != "ne" {
			return badRequest(errInvalidFilter, "%s is a boolean: only eq, ne and pr apply", c.Path.String())
		}
		if _, ok := boolValue(c.Value); !ok {
			return bad("true or false")
		}
	case tInteger, tDecimal:
		if _, ok := c.Value.(float64); !ok || c.Op == "co" || c.Op == "sw" || c.Op == "ew" {
			return bad("a number and eq, ne, gt, ge, lt or le")
		}
	case tDateTime:
		s, ok := c.Value.(string)
		if !ok {
			return bad("a date-time string")
		}
		if c.Op != "co" && c.Op != "sw" && c.Op != "ew" {
			if _, err := parseTime(s); err != nil {
				return bad("an RFC 3339 date-time such as \"2024-05-13T04:42:34Z\"")
			}
		}
	case tComplex:
		return bad("a sub-attribute")
	default:
		if _, ok := c.Value.(string); !ok {
			return bad("a string")
		}
	}
	return nil
}

// boolValue reads a boolean, accepting Entra's "True"/"False".
func boolValue(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// matches evaluates a checked filter against a resource (parent nil) or an
// element of a complex attribute (parent its definition).
func matches(e Expr, rt *resourceType, parent *Attr, res map[string]any) bool {
	switch x := e.(type) {
	case *Logical:
		if x.Op == "and" {
			return matches(x.L, rt, parent, res) && matches(x.R, rt, parent, res)
		}
		return matches(x.L, rt, parent, res) || matches(x.R, rt, parent, res)
	case *Not:
		return !matches(x.X, rt, parent, res)
	case *ValueFilter:
		urn, a := rt.lookup(x.Path.URN, x.Path.Attr)
		for _, el := range elements(container(res, urn)[a.Name]) {
			if matches(x.Filter, rt, a, el) {
				return true
			}
		}
		return false
	case *Compare:
		r, err := resolve(rt, parent, x.Path)
		if err != nil {
			return false
		}
		return compareValues(r.leaf, x, values(res, r))
	}
	return false
}

// container returns the map holding the attributes of urn.
func container(res map[string]any, urn string) map[string]any {
	if urn == "" {
		return res
	}
	m, _ := res[urn].(map[string]any)
	return m
}

// elements returns the elements of a complex attribute value.
func elements(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, el := range x {
			if m, ok := el.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case []map[string]any:
		return x
	}
	return nil
}

// values collects the values a resolved path has in res.
func values(res map[string]any, r resolved) []any {
	v := container(res, r.urn)[r.top.Name]
	if r.sub == "" {
		if list, ok := v.([]any); ok {
			return list
		}
		if v == nil {
			return nil
		}
		return []any{v}
	}
	var out []any
	for _, el := range elements(v) {
		if sv, ok := el[r.sub]; ok && sv != nil {
			out = append(out, sv)
		}
	}
	return out
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func compareValues(a *Attr, c *Compare, vals []any) bool {
	some := func(f func(v any) bool) bool {
		for _, v := range vals {
			if present(v) && f(v) {
				return true
			}
		}
		return false
	}
	switch {
	case c.Op == "pr" || (c.Op == "ne" && c.Value == nil):
		return some(func(any) bool { return true })
	case c.Op == "eq" && c.Value == nil:
		return !some(func(any) bool { return true })
	case c.Op == "ne":
		return !some(func(v any) bool { return compareOne(a, "eq", v, c.Value) })
	}
	return some(func(v any) bool { return compareOne(a, c.Op, v, c.Value) })
}

func compareOne(a *Attr, op string, v, want any) bool {
	switch a.Type {
	case tBoolean:
		got, ok1 := boolValue(v)
		w, ok2 := boolValue(want)
		return ok1 && ok2 && got == w
	case tInteger, tDecimal:
		got, ok1 := number(v)
		w, ok2 := want.(float64)
		return ok1 && ok2 && ordered(op, cmpFloat(got, w))
	case tDateTime:
		gs, _ := v.(string)
		ws, _ := want.(string)
		if op != "co" && op != "sw" && op != "ew" {
			gt, err1 := parseTime(gs)
			wt, err2 := parseTime(ws)
			return err1 == nil && err2 == nil && ordered(op, gt.Compare(wt))
		}
		return stringOp(op, gs, ws)
	}
	gs, ok1 := v.(string)
	ws, ok2 := want.(string)
	if !ok1 || !ok2 {
		return false
	}
	if !a.CaseExact {
		gs, ws = strings.ToLower(gs), strings.ToLower(ws)
	}
	return stringOp(op, gs, ws)
}

func stringOp(op, got, want string) bool {
	switch op {
	case "co":
		return strings.Contains(got, want)
	case "sw":
		return strings.HasPrefix(got, want)
	case "ew":
		return strings.HasSuffix(got, want)
	}
	return ordered(op, strings.Compare(got, want))
}

func ordered(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
