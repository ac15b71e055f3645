package op

import (
	"context"
	"fmt"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
)

type idParam struct {
	ID string `path:"id"`
}

type echoInput struct {
	idParam
	Limit int  `query:"limit"`
	Flag  bool `query:"flag"`
	Body  struct {
		Name  string         `json:"name"`
		Attrs map[string]any `json:"attrs,omitempty"`
		Count *int           `json:"count,omitempty"`
		Tags  []string       `json:"tags,omitempty"`
	}
}

type echoOutput struct {
	Body map[string]any
}

func TestInvokeBindsArguments(t *testing.T) {
	reg := NewRegistry()
	reg.Add(&Op[echoInput, echoOutput]{ID: "echo", Scope: access.UsersWrite, Method: "POST", Path: "/echo/{id}",
		Run: func(ctx context.Context, p access.Principal, in *echoInput) (*echoOutput, error) {
			count := 0
			if in.Body.Count != nil {
				count = *in.Body.Count
			}
			return &echoOutput{Body: map[string]any{"id": in.ID, "limit": in.Limit, "flag": in.Flag, "name": in.Body.Name, "attrs": in.Body.Attrs,
				"count": count, "tags": in.Body.Tags}}, nil
		}})
	p := access.Principal{WorkspaceID: 1, Scopes: []access.Scope{access.UsersWrite}}
	out, err := reg.Invoke(context.Background(), p, "echo", map[string]any{"id": "u1", "limit": 5.0, "flag": "true", "name": "Ada", "attrs": map[string]any{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	got := out.(map[string]any)
	if got["id"] != "u1" || got["limit"] != 5 || got["flag"] != true || got["name"] != "Ada" {
		t.Fatalf("bound %v", got)
	}
	// Obvious conversions between mapped types are made.
	out, err = reg.Invoke(context.Background(), p, "echo", map[string]any{"id": 7.0, "name": 42.5, "count": "3", "tags": []any{1.0, "b"}})
	if err != nil {
		t.Fatal(err)
	}
	got = out.(map[string]any)
	if got["id"] != "7" || got["name"] != "42.5" || got["count"] != 3 || fmt.Sprint(got["tags"]) != "[1 b]" {
		t.Fatalf("coerced %v", got)
	}

	cases := []struct {
		name  string
		args  map[string]any
		field string
	}{
		{"missing path", map[string]any{"name": "x"}, "id"},
		{"bad number", map[string]any{"id": "u", "limit": "many"}, "limit"},
		{"unknown field", map[string]any{"id": "u", "shoe": 1}, "shoe"},
		{"wrong type", map[string]any{"id": "u", "name": map[string]any{"first": "A"}}, "name"},
	}
	for _, tc := range cases {
		_, err := reg.Invoke(context.Background(), p, "echo", tc.args)
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.KindInvalid || len(fe.Fields) == 0 || fe.Fields[0].Field != tc.field {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
	if _, err := reg.Invoke(context.Background(), access.Principal{}, "echo", map[string]any{"id": "u"}); fault.KindOf(err) != fault.KindForbidden {
		t.Errorf("scope not checked: %v", err)
	}
	if _, err := reg.Invoke(context.Background(), p, "nope", nil); fault.KindOf(err) != fault.KindInvalid {
		t.Errorf("unknown op: %v", err)
	}
}
