package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var data = map[string]any{
	"trigger": map[string]any{"body": map[string]any{
		"email": "  Ada@Example.COM ", "name": "Ada Lovelace", "dept": "R&D", "start": "2026-03-02", "tags": "a,b,c", "age": 36.0,
	}},
	"steps": map[string]any{"create_user": map[string]any{"id": "u123", "groups": []any{1.0, 2.0}}},
}

func TestRender(t *testing.T) {
	cases := []struct {
		in   any
		want any
	}{
		{"plain text", "plain text"},
		{"{{ steps.create_user.id }}", "u123"},
		{"{{ trigger.body.email | trim() | lower() }}", "ada@example.com"},
		{"Hi {{ upper(trigger.body.name) }}!", "Hi ADA LOVELACE!"},
		{"{{ trigger.body.age }}", 36.0},                    // whole expression keeps its type
		{"age {{ trigger.body.age }}", "age 36"},            // inside text it reads as text
		{"{{ steps.create_user.groups }}", []any{1.0, 2.0}}, // lists pass through
		{"{{ split(trigger.body.tags, ',') }}", []string{"a", "b", "c"}},
		{"{{ default(trigger.body.missing, 'Sales') }}", "Sales"},
		{"{{ trigger.body.missing ?? 'none' }}", "none"},
		{"{{ formatDate(trigger.body.start, 'DD/MM/YYYY') }}", "02/03/2026"},
		{"{{ addDays(trigger.body.start, 30) }}", int64(1775001600)},
		{"{{ slug(trigger.body.dept + ' Team') }}", "r-d-team"},
		{map[string]any{"email": "{{ lower(trim(trigger.body.email)) }}", "n": 3.0, "ok": true},
			map[string]any{"email": "ada@example.com", "n": 3.0, "ok": true}},
		{[]any{"{{ steps.create_user.id }}", "x"}, []any{"u123", "x"}},
	}
	for _, tc := range cases {
		tpl, err := Compile(tc.in)
		if err != nil {
			t.Fatalf("compile %v: %v", tc.in, err)
		}
		got, err := tpl.Render(data)
		if err != nil {
			t.Fatalf("render %v: %v", tc.in, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestCompileErrorsNameThePath(t *testing.T) {
	cases := []struct {
		in   any
		path string
	}{
		{map[string]any{"email": "{{ lower( }}"}, "email"},
		{map[string]any{"user": map[string]any{"name": "{{ }}"}}, "user.name"},
		{map[string]any{"ids": []any{"ok", "{{ 1 + }}"}}, "ids[1]"},
		{"{{ unclosed", ""},
	}
	for _, tc := range cases {
		_, err := Compile(tc.in)
		var me *Error
		if err == nil || !errors.As(err, &me) || me.Path != tc.path {
			t.Errorf("%v: error %v, want path %q", tc.in, err, tc.path)
		}
	}
}

func TestExpressionsAreBounded(t *testing.T) {
	huge := "{{ " + strings.Repeat("1 + ", 1000) + "1 }}"
	if _, err := Compile(huge); err == nil {
		t.Fatal("an expression of 2,000 nodes compiled")
	}
	tpl, err := Compile("{{ map(1..100000, {# * 2}) }}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render(data); err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Fatalf("unbounded work allowed: %v", err)
	}
}
