package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// functions are the formatting helpers beyond expr's built-ins (lower,
// upper, trim, split, join, len, …).
var functions = []expr.Option{
	expr.Function("default", func(params ...any) (any, error) {
		if len(params) != 2 {
			return nil, fmt.Errorf("default(value, fallback) takes 2 arguments")
		}
		if params[0] == nil || params[0] == "" {
			return params[1], nil
		}
		return params[0], nil
	}),
	expr.Function("formatDate", func(params ...any) (any, error) {
		if len(params) < 2 || len(params) > 3 {
			return nil, fmt.Errorf("formatDate(value, layout[, timezone]) takes 2 or 3 arguments")
		}
		t, err := toTime(params[0])
		if err != nil {
			return nil, err
		}
		layout, _ := params[1].(string)
		if len(params) == 3 {
			name, _ := params[2].(string)
			loc, err := time.LoadLocation(name)
			if err != nil {
				return nil, fmt.Errorf("formatDate: unknown time zone %q", name)
			}
			t = t.In(loc)
		}
		return t.Format(goLayout(layout)), nil
	}),
	expr.Function("toUnix", func(params ...any) (any, error) {
		if len(params) != 1 {
			return nil, fmt.Errorf("toUnix(value) takes 1 argument")
		}
		t, err := toTime(params[0])
		if err != nil {
			return nil, err
		}
		return t.Unix(), nil
	}),
	expr.Function("addDays", func(params ...any) (any, error) {
		if len(params) != 2 {
			return nil, fmt.Errorf("addDays(value, days) takes 2 arguments")
		}
		t, err := toTime(params[0])
		if err != nil {
			return nil, err
		}
		days, err := toInt(params[1])
		if err != nil {
			return nil, err
		}
		return t.AddDate(0, 0, days).Unix(), nil
	}),
	expr.Function("slug", func(params ...any) (any, error) {
		if len(params) != 1 {
			return nil, fmt.Errorf("slug(text) takes 1 argument")
		}
		var b strings.Builder
		dash := false
		for _, r := range strings.ToLower(fmt.Sprint(params[0])) {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
				dash = false
			} else if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		return strings.TrimSuffix(b.String(), "-"), nil
	}),
}

// toTime reads Unix seconds (number or numeric string), RFC 3339 or a
// YYYY-MM-DD date.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int, int64, float64:
		n, _ := toInt(x)
		return time.Unix(int64(n), 0).UTC(), nil
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%v is not a date (Unix seconds, RFC 3339 or YYYY-MM-DD)", v)
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		return int(x), nil
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// goLayout accepts Go layouts and the common YYYY-MM-DD HH:mm:ss tokens.
func goLayout(l string) string {
	if strings.Contains(l, "2006") {
		return l
	}
	return strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02", "HH", "15", "mm", "04", "ss", "05").Replace(l)
}
