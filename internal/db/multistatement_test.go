package db

import "testing"

func TestMultiStatement(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:               false,
		`SELECT 1;`:              false,
		"SELECT 1;\n  -- done\n": false,
		`SELECT 1; SELECT 2`:     true,
		"CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);": true,
		"-- a comment; with a semicolon\nSELECT 1":         false,
		"/* one; two */ SELECT 1":                          false,
		`SELECT ';' AS semi`:                               false,
		`SELECT 'it''s; fine'`:                             false,
		`SELECT "a;b" FROM t`:                              false,
		"SELECT 1 -- trailing; comment":                    false,
		"SELECT 1; /* c */ SELECT 2":                       true,
	} {
		if got := multiStatement(q); got != want {
			t.Errorf("multiStatement(%q) = %v, want %v", q, got, want)
		}
	}
}
