package access

import (
	"reflect"
	"testing"
)

func TestParseScopes(t *testing.T) {
	cases := []struct {
		in      string
		want    []Scope
		wantErr bool
	}{
		{"users.readonly", []Scope{UsersRead}, false},
		{"users.write, users.readonly,users.write", []Scope{UsersRead, UsersWrite}, false},
		{"all", AllScopes, false},
		{"users.admin", nil, true},
		{"", nil, true},
	}
	for _, tc := range cases {
		got, err := ParseScopes(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("ParseScopes(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestPrincipalAllows(t *testing.T) {
	cases := []struct {
		have []Scope
		need Scope
		want bool
	}{
		{[]Scope{UsersRead}, UsersRead, true},
		{[]Scope{UsersWrite}, UsersRead, true}, // write implies read
		{[]Scope{UsersRead}, UsersWrite, false},
		{[]Scope{GroupsWrite}, UsersRead, false},
		{nil, UsersRead, false},
	}
	for _, tc := range cases {
		if got := (Principal{Scopes: tc.have}).Allows(tc.need); got != tc.want {
			t.Errorf("%v allows %s = %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
}

func TestKeyIDOf(t *testing.T) {
	secret := keyPrefix + "abcdefghijkl" + RandomString(keySecretLen, mixedAlnum)
	if id, platform, ok := keyIDOf(secret); !ok || platform || id != "abcdefghijkl" {
		t.Fatalf("keyIDOf = %q, %v, %v", id, platform, ok)
	}
	if id, platform, ok := keyIDOf(platformKeyPrefix + "abcdefghijkl" + RandomString(keySecretLen, mixedAlnum)); !ok || !platform || id != "abcdefghijkl" {
		t.Fatalf("platform keyIDOf = %q, %v, %v", id, platform, ok)
	}
	for _, bad := range []string{"", "rk_", "rpk_", "xx_abcdefghijkl" + RandomString(keySecretLen, mixedAlnum), secret + "x", "rpk_" + secret[3:] + "x"} {
		if _, _, ok := keyIDOf(bad); ok {
			t.Errorf("keyIDOf(%q) accepted", bad)
		}
	}
}
