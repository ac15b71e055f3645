package scim

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{`userName eq "bjensen"`, `userName eq "bjensen"`},
		{`UserName EQ "bjensen"`, `UserName eq "bjensen"`},
		{`name.familyName co "O'Malley"`, `name.familyName co "O'Malley"`},
		{`userName sw "J"`, `userName sw "J"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`},
		{`title pr`, `title pr`},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{`meta.lastModified le "2011-05-13T04:42:34Z"`, `meta.lastModified le "2011-05-13T04:42:34Z"`},
		{`title pr and userType eq "Employee"`, `(title pr and userType eq "Employee")`},
		{`title pr or userType eq "Intern"`, `(title pr or userType eq "Intern")`},
		// and binds tighter than or, on either side
		{`a eq 1 or b eq 2 and c eq 3`, `(a eq 1 or (b eq 2 and c eq 3))`},
		{`a eq 1 and b eq 2 or c eq 3`, `((a eq 1 and b eq 2) or c eq 3)`},
		// parentheses override
		{`(a eq 1 or b eq 2) and c eq 3`, `((a eq 1 or b eq 2) and c eq 3)`},
		// not binds tightest
		{`not (a eq 1) and b eq 2`, `(not (a eq 1) and b eq 2)`},
		{`a pr AND NOT (b eq "x" OR c eq "y")`, `(a pr and not ((b eq "x" or c eq "y")))`},
		{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
			`(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))`},
		{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
			`(emails[(type eq "work" and value co "@example.com")] or ims[(type eq "xmpp" and value co "@foo.com")])`},
		// Entra's form: a value path followed by a sub-attribute comparison
		{`emails[type eq "work"].value eq "a@b.c"`, `emails[(type eq "work" and value eq "a@b.c")]`},
		// literals
		{`active eq true`, `active eq true`},
		{`active eq False`, `active eq false`},
		{`x eq null`, `x eq null`},
		{`x gt 42`, `x gt 42`},
		{`x ge -1.5e3`, `x ge -1500`},
		{`userName eq "quote \" and \\ backslash"`, `userName eq "quote \" and \\ backslash"`},
		{`userName eq "ünï"`, `userName eq "ünï"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`},
		{`members[value eq "2819c223"]`, `members[value eq "2819c223"]`},
		{"userName  eq\t\"x\"", `userName eq "x"`},
	}
	for _, tc := range cases {
		e, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseFilter(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	cases := []string{
		``,
		`userName`,
		`userName eq`,
		`userName foo "x"`,
		`userName eq "x" and`,
		`userName eq "unterminated`,
		`(userName eq "x"`,
		`userName eq "x")`,
		`not userName eq "x"`,
		`emails[type eq "work"`,
		`emails[type eq "work"]]`,
		`emails[type[value eq "x"] eq "y"]`,
		`userName eq bareword`,
		`1abc eq "x"`,
		`userName eq "x" userName eq "y"`,
		`userName eq 'single'`,
		`a.b.c eq "x"`,
		strings.Repeat("(", 40) + `a eq 1` + strings.Repeat(")", 40),
		strings.Repeat(`a eq 1 or `, 500) + `a eq 1`,
	}
	for _, in := range cases {
		_, err := ParseFilter(in)
		var se *Error
		if !errors.As(err, &se) || se.ScimType != errInvalidFilter || se.status != 400 {
			t.Errorf("ParseFilter(%q) = %v, want a 400 invalidFilter", in, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	cases := []struct{ in, urn, attr, sub, filter string }{
		{`members`, "", "members", "", ""},
		{`name.familyName`, "", "name", "familyName", ""},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, "", "members", "", `value eq "2819c223-7f76-453a-919d-413861904646"`},
		{`emails[type eq "work"].value`, "", "emails", "value", `type eq "work"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, URNEnterprise, "department", "", ""},
		{`URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, URNEnterprise, "manager", "value", ""},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, URNEnterprise, "", "", ""},
	}
	for _, tc := range cases {
		p, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%s): %v", tc.in, err)
			continue
		}
		f := ""
		if p.Filter != nil {
			f = p.Filter.String()
		}
		if p.URN != tc.urn || p.Attr != tc.attr || p.Sub != tc.sub || f != tc.filter {
			t.Errorf("ParsePath(%s) = %+v (filter %s)", tc.in, p, f)
		}
	}
	for _, bad := range []string{``, `members[`, `members[value eq "x"`, `members[value eq "x"] extra`, `name.given.x`, `"quoted"`} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

// sampleUser is a rendered user for evaluation tests.
func sampleUser() map[string]any {
	return map[string]any{
		"schemas": []any{URNUser, URNEnterprise}, "id": "u1", "externalId": "Ext-1",
		"userName": "Bjensen@Example.com", "displayName": "Babs Jensen", "title": "Tour Guide",
		"name":   map[string]any{"formatted": "Barbara Jensen", "givenName": "Barbara", "familyName": "Jensen"},
		"active": true,
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"meta":        map[string]any{"created": "2024-01-02T03:04:05.000Z", "lastModified": "2024-06-01T00:00:00.000Z", "resourceType": "User"},
		URNEnterprise: map[string]any{"department": "Sales", "manager": map[string]any{"value": "m1"}},
	}
}

func TestEvaluateFilter(t *testing.T) {
	cases := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true}, // caseExact false
		{`userName eq "nobody@example.com"`, false},
		{`USERNAME Eq "BJENSEN@EXAMPLE.COM"`, true},
		{`externalId eq "Ext-1"`, true},
		{`externalId eq "ext-1"`, false}, // caseExact true
		{`id eq "U1"`, false},
		{`userName ne "x"`, true},
		{`userName co "jensen@"`, true},
		{`userName sw "bjen"`, true},
		{`userName ew ".COM"`, true},
		{`userName gt "a"`, true},
		{`userName lt "a"`, false},
		{`userName ge "bjensen@example.com"`, true},
		{`userName le "bjensen@example.com"`, true},
		{`title pr`, true},
		{`locale pr`, false},
		{`name.givenName eq "barbara"`, true},
		{`name.familyName sw "Jen" and name.givenName ew "ara"`, true},
		{`active eq true`, true},
		{`active eq "True"`, true},
		{`active ne true`, false},
		{`emails.value eq "babs@jensen.org"`, true},
		{`emails eq "babs@jensen.org"`, true},
		{`emails[type eq "work"].value eq "babs@jensen.org"`, false},
		{`emails[type eq "home"].value eq "babs@jensen.org"`, true},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[type eq "other"]`, false},
		{`emails[not (type eq "work")]`, true},
		{`emails.type eq "home"`, true},
		{`meta.created gt "2024-01-01T00:00:00Z"`, true},
		{`meta.created lt "2024-01-02T03:04:05Z"`, false},
		{`meta.created eq "2024-01-02T04:04:05+01:00"`, true}, // same instant
		{`meta.lastModified ge "2024-06-01T00:00:00Z"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "m1"`, true},
		{`department eq "Sales"`, true}, // unqualified extension attribute, leniently
		{`title eq null`, false},
		{`locale eq null`, true},
		{`title ne null`, true},
		{`not (userName eq "x") and (title pr or locale pr)`, true},
		{`userName eq "x" or userName eq "y" or displayName co "babs"`, true},
		{`userName eq "x" or userName eq "y" and displayName co "babs"`, false},
		{`(userName eq "x" or title pr) and not (active eq false)`, true},
	}
	for _, tc := range cases {
		e, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if err := checkFilter(e, usersType, nil); err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := matches(e, usersType, nil, sampleUser()); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestCheckFilterRefuses(t *testing.T) {
	cases := []string{
		`nosuch eq "x"`,
		`name.nosuch eq "x"`,
		`active gt true`,
		`active eq "maybe"`,
		`userName eq 5`,
		`meta.created gt "yesterday"`,
		`name eq "x"`, // complex without a value sub-attribute
		`userName[value eq "x"]`,
		`emails[nosuch eq "x"]`,
		`userName gt null`,
		`urn:example:unknown:Thing:attr eq "x"`,
	}
	for _, f := range cases {
		e, err := ParseFilter(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		err = checkFilter(e, usersType, nil)
		var se *Error
		if !errors.As(err, &se) || se.ScimType != errInvalidFilter {
			t.Errorf("checkFilter(%s) = %v, want invalidFilter", f, err)
		}
	}
}

// TestTranslateExactness pins which filters SQL answers alone and which go
// through Go evaluation (with or without a SQL pre-filter).
func TestTranslateExactness(t *testing.T) {
	cases := []struct {
		filter        string
		ok, exact     bool
		rt            *resourceType
		cols          sqlColumns
		wantArgs      int
		wantInSQLText string
	}{
		{`userName eq "A@B.C"`, true, true, usersType, userColumns, 1, "s2.user_name_lower"},
		{`externalId eq "x"`, true, true, usersType, userColumns, 1, "s.external_id"},
		{`emails[type eq "work"].value eq "a@b.c"`, true, true, usersType, userColumns, 2, "u.email_lower"},
		{`emails.value co "@b.c"`, true, true, usersType, userColumns, 1, "LIKE"},
		{`active eq false and userName sw "a"`, true, true, usersType, userColumns, 1, "NOT (u.status"},
		{`meta.lastModified gt "2024-01-01T00:00:00Z"`, true, true, usersType, userColumns, 1, ">"},
		{`meta.lastModified gt "2024-01-01T00:00:00.0000001Z"`, true, false, usersType, userColumns, 1, ">"},
		{`userName eq "a" and name.givenName eq "b"`, true, false, usersType, userColumns, 1, "s2"},
		{`userName eq "a" or name.givenName eq "b"`, false, false, usersType, userColumns, 0, ""},
		{`not (name.givenName eq "b")`, false, false, usersType, userColumns, 0, ""},
		{`externalId co "x"`, false, false, usersType, userColumns, 0, ""},
		{`displayName eq "Sales"`, true, true, groupsType, groupColumns, 1, "g.name_lower"},
		{`members[value eq "u1"]`, true, true, groupsType, groupColumns, 1, "EXISTS"},
		{`members.value eq "u1"`, true, true, groupsType, groupColumns, 1, "EXISTS"},
		{`id eq "abc"`, true, true, groupsType, groupColumns, 0, "1 = 0"},
	}
	for _, tc := range cases {
		e, err := ParseFilter(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		tr := translate(e, tc.rt, tc.cols)
		ok := tr.where != "1 = 1"
		if ok != tc.ok || tr.exact != tc.exact || len(tr.args) != tc.wantArgs || !strings.Contains(tr.where, tc.wantInSQLText) {
			t.Errorf("%s: where %q args %v exact %v", tc.filter, tr.where, tr.args, tr.exact)
		}
	}
}
