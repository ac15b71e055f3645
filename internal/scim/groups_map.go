package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Mapping between Roster groups and SCIM Group resources:
//
//	id           ↔ the group id (decimal)
//	displayName  ↔ name
//	members      ↔ direct memberships; value is the user id
//	externalId   ↔ scim_groups.external_id
//
// Roster's group tree (parentId) is not part of SCIM: groups made over SCIM
// are top-level, and a group's place in the tree is left alone.

// renderGroup returns the SCIM form without meta. Members are included
// only when loaded.
func renderGroup(g *groupRec) map[string]any {
	res := map[string]any{"schemas": []any{URNGroup}, "id": strconv.FormatInt(g.pk, 10), "displayName": g.name}
	if g.externalID != nil {
		res["externalId"] = *g.externalID
	}
	if g.members != nil {
		ms := make([]any, len(g.members))
		for i, m := range g.members {
			ms[i] = map[string]any{"value": m.id, "display": cmpOr(m.displayName, m.name), "type": "User"}
		}
		res["members"] = ms
	}
	return res
}

// groupVersion is a weak ETag over the group's own fields and its
// membership fingerprint, so it is the same whether or not the members were
// loaded.
func groupVersion(g *groupRec) string {
	ext := "\x00"
	if g.externalID != nil {
		ext = *g.externalID
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%d\x00%d",
		g.name, ext, g.updated, g.memberCount, g.memberSum, g.memberLatest)))
	return `W/"` + hex.EncodeToString(sum[:8]) + `"`
}

func groupModified(g *groupRec) int64 { return max(g.updated, g.scimUpdated, g.memberLatest) }

// groupWant is the state a SCIM Group asks for.
type groupWant struct {
	name       string
	externalID *string
	members    []string // user ids; nil when the request does not set members
}

func wantGroup(res map[string]any, membersSet bool) (groupWant, error) {
	var w groupWant
	w.name, _ = res["displayName"].(string)
	w.name = strings.TrimSpace(w.name)
	if w.name == "" {
		return w, badRequest(errInvalidValue, "displayName is required")
	}
	if s, ok := res["externalId"].(string); ok {
		w.externalID = &s
	}
	if !membersSet {
		return w, nil
	}
	w.members = []string{}
	seen := map[string]bool{}
	for _, el := range elements(res["members"]) {
		id, _ := el["value"].(string)
		id = strings.TrimSpace(id)
		if id == "" {
			return w, badRequest(errInvalidValue, "every member needs a value (a user id)")
		}
		if !seen[id] {
			seen[id] = true
			w.members = append(w.members, id)
		}
	}
	return w, nil
}

// memberDiff returns the ids to add and to remove to go from have to want.
func memberDiff(have []member, want []string) (add, remove []string) {
	in := make(map[string]bool, len(have))
	for _, m := range have {
		in[m.id] = true
	}
	keep := make(map[string]bool, len(want))
	for _, id := range want {
		keep[id] = true
		if !in[id] {
			add = append(add, id)
		}
	}
	for _, m := range have {
		if !keep[m.id] {
			remove = append(remove, m.id)
		}
	}
	return add, remove
}
