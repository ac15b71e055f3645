package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
	"time"
)

// attributes / excludedAttributes (RFC 7644 §3.4.2.5, §3.9).

// parseAttrList reads a comma-separated list of attribute paths. Paths
// naming attributes Roster does not have are kept; they select nothing.
func parseAttrList(s string) ([]Path, error) {
	var out []Path
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := splitPath(part)
		if err != nil {
			return nil, badRequest(errInvalidValue, "attributes: %v", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// projection is the attribute selection of a request.
type projection struct {
	include, exclude []Path
}

func (p projection) empty() bool { return len(p.include) == 0 && len(p.exclude) == 0 }

// wants reports whether the selection can return attribute name of the
// core schema (so that it needs loading).
func (p projection) wants(name string) bool {
	for _, x := range p.exclude {
		if x.URN == "" && strings.EqualFold(x.Attr, name) && x.Sub == "" {
			return false
		}
	}
	if len(p.include) == 0 {
		return true
	}
	for _, x := range p.include {
		if x.URN == "" && strings.EqualFold(x.Attr, name) {
			return true
		}
	}
	return false
}

// apply returns the selected part of res. id and schemas are always
// returned (returned: always).
func (p projection) apply(rt *resourceType, res map[string]any) map[string]any {
	if p.empty() {
		return res
	}
	if len(p.include) > 0 {
		out := map[string]any{"schemas": res["schemas"], "id": res["id"]}
		for _, x := range p.include {
			copyPath(rt, res, out, x)
		}
		return out
	}
	out := maps.Clone(res)
	for _, x := range p.exclude {
		removePath(rt, out, x)
	}
	return out
}

func copyPath(rt *resourceType, from, to map[string]any, x Path) {
	if x.Attr == "" { // a whole extension
		if v, ok := from[x.URN]; ok {
			to[x.URN] = v
		}
		return
	}
	urn, a := rt.lookup(x.URN, x.Attr)
	if a == nil {
		return
	}
	src := container(from, urn)
	v, ok := src[a.Name]
	if !ok {
		return
	}
	dst := to
	if urn != "" {
		d, _ := to[urn].(map[string]any)
		if d == nil {
			d = map[string]any{}
			to[urn] = d
		}
		dst = d
	}
	s := a.sub(x.Sub)
	if x.Sub == "" || s == nil {
		dst[a.Name] = v
		return
	}
	if !a.MultiValued {
		el, _ := v.(map[string]any)
		if sv, ok := el[s.Name]; ok {
			d, _ := dst[a.Name].(map[string]any)
			if d == nil {
				d = map[string]any{}
				dst[a.Name] = d
			}
			d[s.Name] = sv
		}
		return
	}
	var out []any
	for _, el := range elements(v) {
		if sv, ok := el[s.Name]; ok {
			out = append(out, map[string]any{s.Name: sv})
		}
	}
	if out != nil {
		dst[a.Name] = out
	}
}

func removePath(rt *resourceType, res map[string]any, x Path) {
	if x.Attr == "" {
		delete(res, x.URN)
		return
	}
	urn, a := rt.lookup(x.URN, x.Attr)
	if a == nil || a.Returned == "always" {
		return
	}
	c := res
	if urn != "" {
		m, _ := res[urn].(map[string]any)
		if m == nil {
			return
		}
		c = maps.Clone(m)
		res[urn] = c
	}
	s := a.sub(x.Sub)
	switch {
	case x.Sub == "" || s == nil:
		delete(c, a.Name)
	case !a.MultiValued:
		if el, ok := c[a.Name].(map[string]any); ok {
			el = maps.Clone(el)
			delete(el, s.Name)
			c[a.Name] = el
		}
	default:
		var out []any
		for _, el := range elements(c[a.Name]) {
			el = maps.Clone(el)
			delete(el, s.Name)
			out = append(out, el)
		}
		c[a.Name] = out
	}
	if urn != "" && len(c) == 0 {
		delete(res, urn)
	}
}

// contentVersion is a weak ETag over a resource's content (without meta):
// it changes exactly when what a client can read changes.
func contentVersion(res map[string]any) string {
	b, _ := json.Marshal(res) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return `W/"` + hex.EncodeToString(sum[:8]) + `"`
}

func timestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// setMeta adds meta to a rendered resource.
func setMeta(res map[string]any, resourceType string, created, modified int64, location, version string) {
	res["meta"] = map[string]any{"resourceType": resourceType, "created": timestamp(created),
		"lastModified": timestamp(max(modified, created)), "location": location, "version": version}
}
