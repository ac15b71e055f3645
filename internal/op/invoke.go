package op

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
)

// Invoke runs operation id for p with arguments given by field name, the way
// a workflow step or another non-HTTP face calls it: path and query fields by
// their parameter names, body fields by their JSON names, all in one object.
// It returns the output body.
func (r *Registry) Invoke(ctx context.Context, p access.Principal, id string, args map[string]any) (any, error) {
	o, ok := r.byID[id]
	if !ok {
		return nil, fault.Invalid("operation", "unknown operation %q", id)
	}
	inv, ok := o.(invoker)
	if !ok {
		return nil, fmt.Errorf("operation %s cannot be invoked", id)
	}
	return inv.invoke(ctx, p, args)
}

type invoker interface {
	invoke(ctx context.Context, p access.Principal, args map[string]any) (any, error)
}

func (o *Op[I, O]) invoke(ctx context.Context, p access.Principal, args map[string]any) (any, error) {
	var in I
	if err := bindArgs(reflect.ValueOf(&in).Elem(), args); err != nil {
		return nil, err
	}
	out, err := o.Call(ctx, p, &in)
	if err != nil {
		return nil, err
	}
	if body := reflect.ValueOf(out).Elem().FieldByName("Body"); body.IsValid() {
		return body.Interface(), nil
	}
	return out, nil
}

// bindArgs fills a huma-style input struct from args. Unknown argument names
// are refused, like unknown JSON fields over HTTP.
func bindArgs(in reflect.Value, args map[string]any) error {
	used := map[string]bool{}
	var f fault.Fields
	var body reflect.Value
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			fv := v.Field(i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(fv)
				continue
			}
			if sf.Name == "Body" {
				body = fv
				continue
			}
			name := sf.Tag.Get("path")
			if name == "" {
				name = sf.Tag.Get("query")
			}
			if name == "" {
				continue
			}
			arg, ok := args[name]
			if !ok {
				if sf.Tag.Get("path") != "" {
					f.Add(name, "is required")
				}
				continue
			}
			used[name] = true
			if err := setScalar(fv, arg); err != nil {
				f.Add(name, "%s", err.Error())
			}
		}
	}
	walk(in)
	rest := map[string]any{}
	for k, v := range args {
		if !used[k] {
			rest[k] = v
		}
	}
	if body.IsValid() {
		coerce(body.Type(), rest)
		raw, err := json.Marshal(rest)
		if err != nil {
			return fault.Invalid("body", "cannot encode arguments: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(body.Addr().Interface()); err != nil {
			f.Add(jsonErrorField(err), "%s", err.Error())
		}
	} else {
		for k := range rest {
			f.Add(k, "unknown field")
		}
	}
	return f.Err()
}

func jsonErrorField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`)
	}
	return "body"
}

// coerce converts mapped values to the body fields' types where the
// conversion is obvious — a number into a text field, "42" into a number
// field, "true" into a boolean — as no-code tools do: data mapped from
// another step rarely has exactly the type the next operation wants.
func coerce(t reflect.Type, args map[string]any) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if v, ok := args[name]; ok {
			args[name] = coerceValue(f.Type, v)
		}
	}
}

func coerceValue(t reflect.Type, v any) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		case int, int64, bool:
			return fmt.Sprint(x)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if x, ok := v.(string); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n
			}
		}
	case reflect.Float64, reflect.Float32:
		if x, ok := v.(string); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return n
			}
		}
	case reflect.Bool:
		if x, ok := v.(string); ok {
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b
			}
		}
	case reflect.Slice:
		if items, ok := v.([]any); ok && t.Elem().Kind() != reflect.Interface {
			out := make([]any, len(items))
			for i, item := range items {
				out[i] = coerceValue(t.Elem(), item)
			}
			return out
		}
	}
	return v
}

// setScalar assigns a string, number or boolean argument to a path or query
// field, converting between text and numbers as a query string would.
func setScalar(v reflect.Value, arg any) error {
	text := fmt.Sprint(arg)
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSuffix(text, ".0"), 10, 64)
		if err != nil {
			return fmt.Errorf("must be a whole number")
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported parameter type %s", v.Kind())
	}
	return nil
}
