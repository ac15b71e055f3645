package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func ops(t *testing.T, s string) []PatchOp {
	t.Helper()
	var pr PatchRequest
	if err := json.Unmarshal([]byte(`{"schemas":["`+urnPatch+`"],"Operations":`+s+`}`), &pr); err != nil {
		t.Fatalf("decode ops %s: %v", s, err)
	}
	return pr.Operations
}

func TestPatchUser(t *testing.T) {
	base := `{"id":"u1","userName":"ada@example.com","active":true,"title":"Engineer",
		"name":{"formatted":"Ada Lovelace","givenName":"Ada","familyName":"Lovelace"},
		"emails":[{"value":"ada@example.com","type":"work","primary":true}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}`
	cases := []struct {
		name, ops string
		check     map[string]any // key path (| separated) → wanted value; nil means absent
	}{
		{"okta deactivate: replace without path", `[{"op":"replace","value":{"active":false}}]`,
			map[string]any{"active": false}},
		{"entra string boolean, capitalised op", `[{"op":"Replace","path":"active","value":"False"}]`,
			map[string]any{"active": false}},
		{"entra string boolean True", `[{"op":"replace","path":"ACTIVE","value":"True"}]`,
			map[string]any{"active": true}},
		{"sub-attribute path", `[{"op":"replace","path":"name.familyName","value":"Byron"}]`,
			map[string]any{"name|familyName": "Byron", "name|givenName": "Ada"}},
		{"complex replace merges sub-attributes", `[{"op":"replace","path":"name","value":{"givenName":"Augusta"}}]`,
			map[string]any{"name|givenName": "Augusta", "name|familyName": "Lovelace"}},
		{"add sets a simple attribute", `[{"op":"add","path":"displayName","value":"Ada L."}]`,
			map[string]any{"displayName": "Ada L."}},
		{"remove a simple attribute", `[{"op":"remove","path":"title"}]`,
			map[string]any{"title": nil}},
		{"value-filtered path", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"ada@lovelace.org"}]`,
			map[string]any{"emails": []any{map[string]any{"value": "ada@lovelace.org", "type": "work", "primary": true}}}},
		{"entra add on an unmatched value path makes the element", `[{"op":"Add","path":"emails[type eq \"home\"].value","value":"ada@home.org"}]`,
			map[string]any{"emails": []any{map[string]any{"value": "ada@example.com", "type": "work", "primary": true},
				map[string]any{"value": "ada@home.org", "type": "home"}}}},
		{"enterprise URN path", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}]`,
			map[string]any{URNEnterprise + "|department": "Sales"}},
		{"entra manager as a bare id", `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m42"}]`,
			map[string]any{URNEnterprise + "|manager": map[string]any{"value": "m42"}}},
		{"entra dotted keys without path", `[{"op":"replace","value":{"name.givenName":"Augusta","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"}}]`,
			map[string]any{"name|givenName": "Augusta", URNEnterprise + "|employeeNumber": "7", URNEnterprise + "|department": "R&D"}},
		{"whole extension object without path", `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"42"}}}]`,
			map[string]any{URNEnterprise + "|costCenter": "42", URNEnterprise + "|department": "R&D"}},
		{"remove an extension attribute", `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]`,
			map[string]any{URNEnterprise + "|department": nil}},
		{"unsupported attribute is ignored", `[{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555"}]`,
			map[string]any{"phoneNumbers": nil, "active": true}},
		{"number for a string attribute", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":701984}]`,
			map[string]any{URNEnterprise + "|employeeNumber": "701984"}},
		{"several operations in order", `[{"op":"replace","path":"title","value":"A"},{"op":"replace","path":"title","value":"B"}]`,
			map[string]any{"title": "B"}},
		{"id repeated unchanged is fine", `[{"op":"replace","value":{"id":"u1","displayName":"X"}}]`,
			map[string]any{"displayName": "X"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := decode(t, base)
			if err := applyPatch(usersType, res, "u1", ops(t, tc.ops)); err != nil {
				t.Fatalf("applyPatch: %v", err)
			}
			for path, want := range tc.check {
				got := lookupTest(res, path)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func lookupTest(m map[string]any, path string) any {
	var cur any = m
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '|' {
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[path[start:i]]
			start = i + 1
		}
	}
	return cur
}

func TestPatchGroupMembers(t *testing.T) {
	base := `{"id":"7","displayName":"Sales","members":[{"value":"a"},{"value":"b"},{"value":"c"}]}`
	cases := []struct {
		name, ops string
		want      []string
	}{
		{"add", `[{"op":"add","path":"members","value":[{"value":"d","display":"D"}]}]`, []string{"a", "b", "c", "d"}},
		{"add an existing member changes nothing", `[{"op":"Add","path":"members","value":[{"value":"a"}]}]`, []string{"a", "b", "c"}},
		{"remove by value filter (RFC, Okta)", `[{"op":"remove","path":"members[value eq \"b\"]"}]`, []string{"a", "c"}},
		{"remove with a value list (Entra)", `[{"op":"Remove","path":"members","value":[{"value":"a"},{"value":"c"}]}]`, []string{"b"}},
		{"replace with the remaining members", `[{"op":"replace","path":"members","value":[{"value":"c"},{"value":"e"}]}]`, []string{"c", "e"}},
		{"remove all", `[{"op":"remove","path":"members"}]`, nil},
		{"remove a non-member changes nothing", `[{"op":"remove","path":"members[value eq \"zz\"]"}]`, []string{"a", "b", "c"}},
		{"okta: remove by filter and add in one request", `[{"op":"remove","path":"members[value eq \"a\"]"},{"op":"add","path":"members","value":[{"value":"x"}]}]`,
			[]string{"b", "c", "x"}},
		{"remove by or filter", `[{"op":"remove","path":"members[value eq \"a\" or value eq \"c\"]"}]`, []string{"b"}},
		{"bare ids", `[{"op":"add","path":"members","value":["q"]}]`, []string{"a", "b", "c", "q"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := decode(t, base)
			if err := applyPatch(groupsType, res, "7", ops(t, tc.ops)); err != nil {
				t.Fatalf("applyPatch: %v", err)
			}
			w, err := wantGroup(res, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.members) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(w.members, tc.want) {
				t.Errorf("members %v, want %v", w.members, tc.want)
			}
		})
	}
}

func TestPatchRefuses(t *testing.T) {
	base := `{"id":"u1","userName":"ada@example.com","emails":[{"value":"ada@example.com","type":"work"}]}`
	cases := []struct {
		name, ops, scimType string
	}{
		{"unknown op", `[{"op":"merge","path":"title","value":"x"}]`, errInvalidSyntax},
		{"no operations", `[]`, errInvalidSyntax},
		{"remove without path", `[{"op":"remove"}]`, errNoTarget},
		{"replace of an unmatched value filter", `[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"x@y.z"}}]`, errNoTarget},
		{"read-only attribute", `[{"op":"replace","path":"id","value":"other"}]`, errMutability},
		{"read-only meta", `[{"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}]`, errMutability},
		{"changing id without path", `[{"op":"replace","value":{"id":"other"}}]`, errMutability},
		{"bad path", `[{"op":"replace","path":"emails[type eq","value":"x"}]`, errInvalidPath},
		{"bad filter attribute in path", `[{"op":"replace","path":"emails[nosuch eq \"x\"].value","value":"x"}]`, errInvalidPath},
		{"unknown sub-attribute", `[{"op":"replace","path":"name.nosuch","value":"x"}]`, errInvalidPath},
		{"unknown schema", `[{"op":"replace","path":"urn:example:other:1.0:User:thing","value":"x"}]`, errInvalidPath},
		{"boolean that is not one", `[{"op":"replace","path":"active","value":"maybe"}]`, errInvalidValue},
		{"list for a single value", `[{"op":"replace","path":"title","value":["a","b"]}]`, errInvalidValue},
		{"value without path is not an object", `[{"op":"add","value":"x"}]`, errInvalidValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := decode(t, base)
			err := applyPatch(usersType, res, "u1", ops(t, tc.ops))
			var se *Error
			if !errors.As(err, &se) || se.ScimType != tc.scimType || se.status != 400 {
				t.Fatalf("got %v, want 400 %s", err, tc.scimType)
			}
		})
	}
}

func TestProjection(t *testing.T) {
	res := sampleUser()
	inc, _ := parseAttrList("userName, name.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
	got := projection{include: inc}.apply(usersType, res)
	want := map[string]any{"schemas": res["schemas"], "id": "u1", "userName": "Bjensen@Example.com",
		"name":        map[string]any{"givenName": "Barbara"},
		"emails":      []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}},
		URNEnterprise: map[string]any{"department": "Sales"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attributes:\n got %v\nwant %v", got, want)
	}
	exc, _ := parseAttrList("emails,name.familyName,id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
	got = projection{exclude: exc}.apply(usersType, res)
	if _, ok := got["emails"]; ok {
		t.Error("emails not excluded")
	}
	if _, ok := got[URNEnterprise]; ok {
		t.Error("extension not excluded")
	}
	if got["id"] != "u1" {
		t.Error("id (returned always) was excluded")
	}
	if n := got["name"].(map[string]any); n["familyName"] != nil || n["givenName"] != "Barbara" {
		t.Errorf("name = %v", n)
	}
	if res["emails"] == nil || res["name"].(map[string]any)["familyName"] == nil {
		t.Error("projection changed the resource it was given")
	}
}
