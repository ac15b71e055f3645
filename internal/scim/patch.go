package scim

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// PATCH (RFC 7644 §3.5.2) is applied to the resource's full SCIM form; the
// result is then written like a PUT, in one transaction, so a request
// applies fully or not at all.

// PatchRequest is a PatchOp message.
type PatchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []PatchOp `json:"Operations"`
}

// PatchOp is one operation. Op is matched case-insensitively (Entra sends
// "Add", "Replace", "Remove").
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// UnmarshalJSON accepts "Operations" in any case.
func (r *PatchRequest) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for k, v := range raw {
		var err error
		switch strings.ToLower(k) {
		case "schemas":
			err = json.Unmarshal(v, &r.Schemas)
		case "operations":
			err = json.Unmarshal(v, &r.Operations)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

const maxPatchOps = 1000

// applyPatch applies ops to res (modified in place). id is the resource's
// id: a no-path value may repeat it (Okta's group rename does) but not
// change it.
func applyPatch(rt *resourceType, res map[string]any, id string, ops []PatchOp) error {
	if len(ops) == 0 {
		return badRequest(errInvalidSyntax, "Operations must hold at least one operation")
	}
	if len(ops) > maxPatchOps {
		return badRequest(errTooMany, "at most %d operations per request", maxPatchOps)
	}
	for i, o := range ops {
		op := strings.ToLower(strings.TrimSpace(o.Op))
		if op != "add" && op != "remove" && op != "replace" {
			return badRequest(errInvalidSyntax, "Operations[%d]: op must be add, remove or replace, not %q", i, o.Op)
		}
		if err := applyOne(rt, res, id, op, strings.TrimSpace(o.Path), o.Value); err != nil {
			if e, ok := err.(*Error); ok {
				e.Detail = "Operations[" + strconv.Itoa(i) + "]: " + e.Detail
			}
			return err
		}
	}
	return nil
}

func applyOne(rt *resourceType, res map[string]any, id, op, rawPath string, value any) error {
	if rawPath == "" {
		if op == "remove" {
			return badRequest(errNoTarget, "remove needs a path")
		}
		m, ok := value.(map[string]any)
		if !ok {
			return badRequest(errInvalidValue, "without a path, value must be an object of attributes")
		}
		// Each key is a path of its own: plain names, and the dotted or
		// URN-qualified names Entra puts here ("name.givenName").
		for k, v := range m {
			if strings.EqualFold(k, "schemas") {
				continue
			}
			if strings.EqualFold(k, "id") {
				if s, _ := v.(string); s != id {
					return newError(400, errMutability, "id cannot change")
				}
				continue
			}
			p, err := ParsePath(k)
			if err != nil {
				return err
			}
			if p.Attr == "" { // a whole extension object
				ext, ok := v.(map[string]any)
				if !ok {
					return badRequest(errInvalidValue, "%s must be an object", p.URN)
				}
				for sk, sv := range ext {
					if err := applyPath(rt, res, op, Path{URN: p.URN, Attr: sk}, sv); err != nil {
						return err
					}
				}
				continue
			}
			if err := applyPath(rt, res, op, p, v); err != nil {
				return err
			}
		}
		return nil
	}
	p, err := ParsePath(rawPath)
	if err != nil {
		return err
	}
	if p.Attr == "" {
		ext, _ := value.(map[string]any)
		if op == "remove" {
			delete(res, p.URN)
			return nil
		}
		if ext == nil {
			return badRequest(errInvalidValue, "%s must be an object", p.URN)
		}
		for sk, sv := range ext {
			if err := applyPath(rt, res, op, Path{URN: p.URN, Attr: sk}, sv); err != nil {
				return err
			}
		}
		return nil
	}
	return applyPath(rt, res, op, p, value)
}

// applyPath applies one operation at a parsed path.
func applyPath(rt *resourceType, res map[string]any, op string, p Path, value any) error {
	urn, a := rt.lookup(p.URN, p.Attr)
	if a == nil {
		if p.URN != "" && rt.schemaFor(p.URN) == nil && knownSchema(p.URN) == "" {
			return badRequest(errInvalidPath, "unknown schema in path %q", p.String())
		}
		return nil // an attribute Roster does not keep (phoneNumbers, ...): ignored, as on create
	}
	if a.Mutability == "readOnly" {
		return newError(400, errMutability, "%s is read-only", a.Name)
	}
	var sub *Attr
	if p.Sub != "" {
		if sub = a.sub(p.Sub); sub == nil {
			return badRequest(errInvalidPath, "%s has no sub-attribute %q", a.Name, p.Sub)
		}
		if sub.Mutability == "readOnly" {
			return nil // e.g. members.display: derived, nothing to set
		}
	}
	if p.Filter != nil {
		if a.Type != tComplex {
			return badRequest(errInvalidPath, "%s is not a complex attribute", a.Name)
		}
		if err := checkFilter(p.Filter, rt, a); err != nil {
			return badRequest(errInvalidPath, "%s", err.(*Error).Detail)
		}
	}
	c := container(res, urn)
	if c == nil {
		if op == "remove" {
			return nil
		}
		c = map[string]any{}
		res[urn] = c
	}
	switch {
	case p.Filter != nil:
		return applyFiltered(rt, c, op, a, sub, p.Filter, value)
	case sub != nil:
		return applySub(c, op, a, sub, value)
	}
	return applyAttr(c, op, a, value)
}

// applyAttr handles a path naming a whole attribute.
func applyAttr(c map[string]any, op string, a *Attr, value any) error {
	if op == "remove" {
		if value != nil && a.MultiValued {
			// Entra's member removal: {"op":"Remove","path":"members","value":[{"value":"id"}]}.
			gone, err := coerce(a, value, a.Name)
			if err != nil {
				return err
			}
			c[a.Name] = without(list(c[a.Name]), gone.([]any))
			return nil
		}
		delete(c, a.Name)
		return nil
	}
	v, err := coerce(a, value, a.Name)
	if err != nil {
		return err
	}
	switch {
	case v == nil:
		delete(c, a.Name) // replace with null unassigns
	case a.MultiValued && op == "add":
		c[a.Name] = union(list(c[a.Name]), v.([]any))
	case a.MultiValued:
		c[a.Name] = union(nil, v.([]any))
	case a.Type == tComplex:
		// add and replace on a single complex attribute set the given
		// sub-attributes and leave the others (RFC 7644 §3.5.2.1, .3).
		cur, _ := c[a.Name].(map[string]any)
		merged := map[string]any{}
		for k, sv := range cur {
			merged[k] = sv
		}
		for k, sv := range v.(map[string]any) {
			if sv == nil {
				delete(merged, k)
			} else {
				merged[k] = sv
			}
		}
		c[a.Name] = merged
	default:
		c[a.Name] = v
	}
	return nil
}

// applySub handles attr.sub without a filter.
func applySub(c map[string]any, op string, a, sub *Attr, value any) error {
	var v any
	if op != "remove" {
		var err error
		if v, err = coerce(sub, value, a.Name+"."+sub.Name); err != nil {
			return err
		}
	}
	set := func(el map[string]any) {
		if v == nil {
			delete(el, sub.Name)
		} else {
			el[sub.Name] = v
		}
	}
	if !a.MultiValued {
		el, _ := c[a.Name].(map[string]any)
		if el == nil {
			if v == nil {
				return nil
			}
			el = map[string]any{}
			c[a.Name] = el
		}
		set(el)
		return nil
	}
	els := list(c[a.Name])
	if len(els) == 0 && v != nil {
		c[a.Name] = []any{map[string]any{sub.Name: v}}
		return nil
	}
	for _, el := range els {
		if m, ok := el.(map[string]any); ok {
			set(m)
		}
	}
	return nil
}

// applyFiltered handles attr[filter] and attr[filter].sub.
func applyFiltered(rt *resourceType, c map[string]any, op string, a, sub *Attr, f Expr, value any) error {
	els := list(c[a.Name])
	if !a.MultiValued {
		if m, ok := c[a.Name].(map[string]any); ok {
			els = []any{m}
		}
	}
	var hit []map[string]any
	var keep []any
	for _, el := range els {
		m, ok := el.(map[string]any)
		if ok && matches(f, rt, a, m) {
			hit = append(hit, m)
			if op == "remove" && sub == nil {
				continue
			}
		}
		keep = append(keep, el)
	}
	if op == "remove" {
		if sub != nil {
			for _, m := range hit {
				delete(m, sub.Name)
			}
		}
		setList(c, a, keep)
		return nil
	}
	var v any
	var err error
	if sub != nil {
		v, err = coerce(sub, value, a.Name+"."+sub.Name)
	} else {
		v, err = coerceOne(a, value, a.Name)
	}
	if err != nil {
		return err
	}
	if len(hit) == 0 {
		if op == "replace" {
			// RFC 7644 §3.5.2.3: a value filter that matches nothing is a
			// failure, not a success that changed nothing.
			return badRequest(errNoTarget, "no value of %s matches %s", a.Name, f.String())
		}
		// add where nothing matches (Entra: "Add" emails[type eq
		// "work"].value): make the element the filter describes.
		el := seed(a, f)
		keep = append(keep, el)
		hit = []map[string]any{el}
		setList(c, a, keep)
	}
	for _, m := range hit {
		if sub != nil {
			if v == nil {
				delete(m, sub.Name)
			} else {
				m[sub.Name] = v
			}
			continue
		}
		if vm, ok := v.(map[string]any); ok {
			for k, sv := range vm {
				m[k] = sv
			}
		}
	}
	return nil
}

// seed builds an element from the eq comparisons of an and-chain filter.
func seed(a *Attr, f Expr) map[string]any {
	el := map[string]any{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Logical:
			if x.Op == "and" {
				walk(x.L)
				walk(x.R)
			}
		case *Compare:
			if s := a.sub(x.Path.Attr); s != nil && x.Op == "eq" && x.Value != nil && s.Mutability != "readOnly" {
				if v, err := coerceOne(s, x.Value, a.Name); err == nil {
					el[s.Name] = v
				}
			}
		}
	}
	walk(f)
	return el
}

func setList(c map[string]any, a *Attr, els []any) {
	switch {
	case !a.MultiValued && len(els) == 0:
		delete(c, a.Name)
	case !a.MultiValued:
		c[a.Name] = els[0]
	default:
		c[a.Name] = els
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// union appends the values of add not already in base. Complex values with
// a "value" sub-attribute are the same when their values are.
func union(base, add []any) []any {
	out := append([]any{}, base...)
	for _, v := range add {
		if indexOf(out, v) < 0 {
			out = append(out, v)
		}
	}
	return out
}

func without(base, gone []any) []any {
	out := []any{}
	for _, v := range base {
		if indexOf(gone, v) < 0 {
			out = append(out, v)
		}
	}
	return out
}

func indexOf(l []any, v any) int {
	key := func(x any) any {
		if m, ok := x.(map[string]any); ok {
			if id, ok := m["value"]; ok {
				return id
			}
		}
		return x
	}
	k := key(v)
	for i, x := range l {
		if reflect.DeepEqual(key(x), k) {
			return i
		}
	}
	return -1
}
