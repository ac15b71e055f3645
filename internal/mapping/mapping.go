// Package mapping renders workflow step inputs: JSON values whose strings may
// hold {{ expressions }} over the trigger data and earlier steps' outputs
// ("{{ trigger.body.email | lower() }}", "{{ steps.create_user.id }}").
//
// Expressions are expr-lang programs: no statements, no loops beyond the
// built-in collection functions, no access to anything but the data given,
// a bounded node count at compile time and a memory budget at run time.
package mapping

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// maxNodes bounds an expression's size; memoryBudget its work at run time.
const (
	maxNodes     = 500
	memoryBudget = 100_000
)

// Template is a compiled JSON value: a string with {{ }} parts, or a map or
// list holding such strings, or a literal.
type Template struct {
	literal any
	parts   []part               // for a string
	whole   *vm.Program          // a string that is exactly one {{ expr }}: keeps the value's type
	fields  map[string]*Template // for an object
	items   []*Template          // for a list
}

type part struct {
	text string
	prog *vm.Program
}

// Error is a compile or evaluation error with the path of the value inside
// the template ("body.name", "users[2]") so callers can name the field.
type Error struct {
	Path string
	Expr string
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("{{ %s }}: %v", e.Expr, e.Err)
	}
	return fmt.Sprintf("%s: {{ %s }}: %v", e.Path, e.Expr, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Compile parses every expression in v, which is a decoded JSON value.
func Compile(v any) (*Template, error) { return compile(v, "") }

func compile(v any, path string) (*Template, error) {
	switch x := v.(type) {
	case string:
		return compileString(x, path)
	case map[string]any:
		t := &Template{fields: make(map[string]*Template, len(x))}
		for k, item := range x {
			sub, err := compile(item, join(path, k))
			if err != nil {
				return nil, err
			}
			t.fields[k] = sub
		}
		return t, nil
	case []any:
		t := &Template{items: make([]*Template, len(x))}
		for i, item := range x {
			sub, err := compile(item, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			t.items[i] = sub
		}
		return t, nil
	default:
		return &Template{literal: v}, nil
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func compileString(s, path string) (*Template, error) {
	if !strings.Contains(s, "{{") {
		return &Template{literal: s}, nil
	}
	t := &Template{}
	rest := s
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			break
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, &Error{Path: path, Expr: rest[open+2:], Err: errors.New("missing }}")}
		}
		if open > 0 {
			t.parts = append(t.parts, part{text: rest[:open]})
		}
		src := strings.TrimSpace(rest[open+2 : open+end])
		prog, err := compileExpr(src)
		if err != nil {
			return nil, &Error{Path: path, Expr: src, Err: err}
		}
		t.parts = append(t.parts, part{prog: prog})
		rest = rest[open+end+2:]
	}
	if len(t.parts) == 1 && t.parts[0].prog != nil {
		t.whole, t.parts = t.parts[0].prog, nil
	}
	return t, nil
}

func compileExpr(src string) (*vm.Program, error) {
	if src == "" {
		return nil, errors.New("empty expression")
	}
	opts := append([]expr.Option{expr.AllowUndefinedVariables(), expr.MaxNodes(maxNodes)}, functions...)
	return expr.Compile(src, opts...)
}

// Render evaluates the template against data (typically {"trigger": …,
// "steps": {name: output}}).
func (t *Template) Render(data map[string]any) (any, error) { return t.render(data, "") }

func (t *Template) render(data map[string]any, path string) (any, error) {
	switch {
	case t.fields != nil:
		out := make(map[string]any, len(t.fields))
		for k, sub := range t.fields {
			v, err := sub.render(data, join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case t.items != nil:
		out := make([]any, len(t.items))
		for i, sub := range t.items {
			v, err := sub.render(data, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case t.whole != nil:
		return run(t.whole, data, path)
	case t.parts != nil:
		var b strings.Builder
		for _, p := range t.parts {
			if p.prog == nil {
				b.WriteString(p.text)
				continue
			}
			v, err := run(p.prog, data, path)
			if err != nil {
				return nil, err
			}
			b.WriteString(text(v))
		}
		return b.String(), nil
	}
	return t.literal, nil
}

func run(prog *vm.Program, data map[string]any, path string) (any, error) {
	machine := vm.VM{MemoryBudget: memoryBudget}
	v, err := machine.Run(prog, data)
	if err != nil {
		return nil, &Error{Path: path, Expr: prog.Source().String(), Err: err}
	}
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339), nil
	}
	return v, nil
}

// text is how a value reads inside a larger string.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	}
	return fmt.Sprint(v)
}
