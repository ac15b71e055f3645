package events

import (
	"reflect"
	"testing"
)

func TestWithChanges(t *testing.T) {
	type res struct {
		Name      string         `json:"name"`
		Attrs     map[string]any `json:"customAttributes"`
		UpdatedAt int64          `json:"updatedAt"`
	}
	for _, tc := range []struct {
		name          string
		before, after res
		changed       []string
		previous      map[string]any
	}{
		{"nothing", res{Name: "a"}, res{Name: "a", UpdatedAt: 2}, []string{}, map[string]any{}},
		{"name", res{Name: "a"}, res{Name: "b"}, []string{"name"}, map[string]any{"name": "a"}},
		{"nested", res{Attrs: map[string]any{"department": "Sales"}}, res{Attrs: map[string]any{"department": "Support"}},
			[]string{"customAttributes"}, map[string]any{"customAttributes": map[string]any{"department": "Sales"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WithChanges(tc.before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got["changed"], tc.changed) || !reflect.DeepEqual(got["previous"], tc.previous) {
				t.Fatalf("changed %v previous %v", got["changed"], got["previous"])
			}
			if got["name"] != tc.after.Name {
				t.Fatalf("current values lost: %v", got)
			}
		})
	}
	if _, err := WithChanges([]int{1}, res{}); err == nil {
		t.Fatal("a non-object was accepted")
	}
}
