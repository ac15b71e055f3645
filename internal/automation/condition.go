package automation

import (
	"fmt"

	"github.com/rosterhq/roster/internal/mapping"
)

// compileCondition compiles a bare expression (no braces) that must yield a
// boolean, through the same sandbox as input mapping.
func compileCondition(src string) (*mapping.Template, error) {
	return mapping.Compile("{{ " + src + " }}")
}

// evalCondition evaluates a condition; a non-boolean result is an error, so
// a typo does not silently read as false.
func evalCondition(src string, data map[string]any) (bool, error) {
	t, err := compileCondition(src)
	if err != nil {
		return false, err
	}
	v, err := t.Render(data)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q gave %v, not true or false", src, v)
	}
	return b, nil
}
