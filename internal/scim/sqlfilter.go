package scim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/db"
)

// Filters are translated to SQL where the translation is exact — the
// attributes identity providers filter on (userName, externalId,
// emails.value, displayName of groups, id, active, meta dates). A part that
// cannot be translated is evaluated in Go: an "and" with one translatable
// side uses that side as a SQL pre-filter, and the whole filter is checked
// on each remaining resource. Case-insensitive comparisons use the columns
// Roster keeps lower-cased with Go's strings.ToLower (email_lower,
// name_lower), so SQL and Go agree on every engine.

// column kinds
const (
	colLower    = iota // text stored lower-cased, never NULL
	colExact           // case-exact text, never NULL
	colExactNil        // case-exact text, may be NULL (side tables)
	colBool            // expr is a predicate
	colMillis          // Unix milliseconds
	colIntID           // integer key shown as a decimal string
	colMemberID        // group member's user id (EXISTS)
	colUserName        // a user's userName: scim_users.user_name, else the email
)

type column struct {
	expr string
	kind int
}

// sqlColumns maps canonical paths ("userName", "emails.value") to columns.
type sqlColumns map[string]column

var userColumns = sqlColumns{
	"id":                {"u.public_id", colExact},
	"userName":          {"COALESCE(s.user_name_lower, u.email_lower)", colUserName},
	"emails.value":      {"u.email_lower", colLower},
	"emails.type":       {"'work'", colExact},
	"emails.primary":    {"1 = 1", colBool},
	"externalId":        {"s.external_id", colExactNil},
	"active":            {"u.status = 'active'", colBool},
	"meta.created":      {"u.created_at", colMillis},
	"meta.lastModified": {"(CASE WHEN s.updated_at IS NOT NULL AND s.updated_at > u.updated_at THEN s.updated_at ELSE u.updated_at END)", colMillis},
	"meta.resourceType": {"'User'", colExact},
}

var groupColumns = sqlColumns{
	"id":                {"g.id", colIntID},
	"displayName":       {"g.name_lower", colLower},
	"externalId":        {"sg.external_id", colExactNil},
	"meta.created":      {"g.created_at", colMillis},
	"meta.resourceType": {"'Group'", colExact},
	"members.value":     {"", colMemberID},
}

// sqlFilter is a translation: where is a condition on the listed rows using
// $2, $3, ... for args; exact says whether it selects exactly the matches
// (otherwise it selects a superset, to be checked in Go).
type sqlFilter struct {
	where string
	args  []any
	exact bool
}

func translate(e Expr, rt *resourceType, cols sqlColumns) sqlFilter {
	if e == nil {
		return sqlFilter{where: "1 = 1", exact: true}
	}
	t := translator{rt: rt, cols: cols}
	where, ok, exact := t.expr(e, nil)
	if !ok {
		return sqlFilter{where: "1 = 1"}
	}
	return sqlFilter{where: where, args: t.args, exact: exact}
}

type translator struct {
	rt   *resourceType
	cols sqlColumns
	args []any
}

func (t *translator) arg(v any) string {
	t.args = append(t.args, v)
	return "$" + strconv.Itoa(len(t.args)+1) // $1 is the workspace
}

// expr returns the SQL, whether there is any, and whether it is exact.
func (t *translator) expr(e Expr, parent *Attr) (string, bool, bool) {
	switch x := e.(type) {
	case *Logical:
		n := len(t.args)
		l, lok, lex := t.expr(x.L, parent)
		r, rok, rex := t.expr(x.R, parent)
		if x.Op == "and" {
			switch {
			case lok && rok:
				return "(" + l + " AND " + r + ")", true, lex && rex
			case lok:
				return l, true, false
			case rok:
				return r, true, false
			}
			return "", false, false
		}
		if lok && rok {
			return "(" + l + " OR " + r + ")", true, lex && rex
		}
		t.args = t.args[:n] // drop the arguments of an unusable side; no $N refers to them
		return "", false, false
	case *Not:
		n := len(t.args)
		s, ok, exact := t.expr(x.X, parent)
		if ok && exact {
			return "NOT " + s, true, true
		}
		t.args = t.args[:n]
		return "", false, false
	case *ValueFilter:
		_, a := t.rt.lookup(x.Path.URN, x.Path.Attr)
		if a == nil {
			return "", false, false
		}
		if a.Name == "members" {
			if c, ok := x.Filter.(*Compare); ok && strings.EqualFold(c.Path.Attr, "value") && c.Op == "eq" {
				return t.compare(column{kind: colMemberID}, c)
			}
			return "", false, false
		}
		if a.Name == "emails" {
			return t.expr(x.Filter, a) // one email per user: "some element" is "the element"
		}
		return "", false, false
	case *Compare:
		r, err := resolve(t.rt, parent, x.Path)
		if err != nil {
			return "", false, false
		}
		key := r.top.Name
		if parent != nil {
			key = parent.Name + "." + r.top.Name
		} else if r.sub != "" {
			key += "." + r.sub
		}
		if r.urn != "" {
			return "", false, false
		}
		col, ok := t.cols[key]
		if !ok {
			return "", false, false
		}
		return t.compare(col, x)
	}
	return "", false, false
}

func (t *translator) compare(col column, c *Compare) (string, bool, bool) {
	op, v := c.Op, c.Value
	if v == nil && (op == "eq" || op == "ne") {
		// eq null: absent; ne null: present.
		p, ok, exact := t.compare(col, &Compare{Path: c.Path, Op: "pr"})
		if ok && op == "eq" {
			p = "NOT " + p
		}
		return p, ok, exact
	}
	if col.kind == colUserName {
		s, isStr := v.(string)
		if op == "eq" && isStr {
			// Written so that both engines can answer from the indexes on
			// scim_users.user_name_lower and users.email_lower.
			x := t.arg(strings.ToLower(s))
			return "(u.id IN (SELECT s2.user_id FROM scim_users s2 WHERE s2.workspace_id = $1 AND s2.user_name_lower = " + x +
				") OR (u.email_lower = " + x + " AND s.user_name_lower IS NULL))", true, true
		}
		col.kind = colLower
	}
	switch col.kind {
	case colLower, colExact, colExactNil:
		s, isStr := v.(string)
		if op != "pr" && !isStr {
			return "", false, false
		}
		if col.kind == colLower {
			s = strings.ToLower(s)
		}
		nullable := col.kind == colExactNil
		switch op {
		case "pr":
			return "(" + col.expr + " IS NOT NULL AND " + col.expr + " <> '')", true, true
		case "eq":
			return "(" + col.expr + " IS NOT NULL AND " + col.expr + " = " + t.arg(s) + ")", true, true
		case "ne":
			if nullable {
				return "(" + col.expr + " IS NULL OR " + col.expr + " <> " + t.arg(s) + ")", true, true
			}
			return "(" + col.expr + " <> " + t.arg(s) + ")", true, true
		case "co", "sw", "ew":
			if col.kind != colLower { // LIKE's case rules differ between engines
				return "", false, false
			}
			pattern := db.EscapeLike(s)
			switch op {
			case "co":
				pattern = "%" + pattern + "%"
			case "sw":
				pattern += "%"
			case "ew":
				pattern = "%" + pattern
			}
			return "(" + col.expr + " LIKE " + t.arg(pattern) + ` ESCAPE '\')`, true, true
		}
		return "", false, false // ordering of text differs between engines' collations
	case colBool:
		if op == "pr" {
			return "(1 = 1)", true, true
		}
		b, ok := boolValue(v)
		if !ok || (op != "eq" && op != "ne") {
			return "", false, false
		}
		if b == (op == "eq") {
			return "(" + col.expr + ")", true, true
		}
		return "NOT (" + col.expr + ")", true, true
	case colMillis:
		if op == "pr" {
			return "(1 = 1)", true, true
		}
		s, _ := v.(string)
		tm, err := parseTime(s)
		sym := map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[op]
		if err != nil || sym == "" {
			return "", false, false
		}
		ms := tm.UnixMilli()
		// Times with sub-millisecond digits only narrow the rows; Go decides.
		exact := tm.Nanosecond()%1e6 == 0
		return fmt.Sprintf("(%s %s %s)", col.expr, sym, t.arg(ms)), true, exact
	case colIntID:
		if op == "pr" {
			return "(1 = 1)", true, true
		}
		s, _ := v.(string)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != s {
			if op == "eq" {
				return "(1 = 0)", true, true
			}
			if op == "ne" {
				return "(1 = 1)", true, true
			}
			return "", false, false
		}
		switch op {
		case "eq":
			return "(" + col.expr + " = " + t.arg(n) + ")", true, true
		case "ne":
			return "(" + col.expr + " <> " + t.arg(n) + ")", true, true
		}
		return "", false, false
	case colMemberID:
		s, ok := v.(string)
		if !ok || op != "eq" {
			return "", false, false
		}
		return `EXISTS (SELECT 1 FROM group_members m JOIN users mu ON mu.id = m.user_id
			WHERE m.group_id = g.id AND mu.public_id = ` + t.arg(s) + `)`, true, true
	}
	return "", false, false
}
