package db

import (
	"database/sql"
	"strings"
)

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike escapes s for use inside a LIKE pattern written with
// ESCAPE '\', on both engines.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }

// ScanInt64s reads a one-column result of integers and closes rows.
func ScanInt64s(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
