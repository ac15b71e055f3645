package db

import "strconv"

// ParamBudget is how many parameters a list query sends at once. SQLite
// resolves $N parameters by name with a linear scan, so a statement's cost
// grows with the square of its parameters; PostgreSQL does fine with more
// (see ParamBudgetFor).
const ParamBudget = 256

// ParamBudgetFor is the parameter budget of bulk writes on an engine.
func ParamBudgetFor(d Dialect) int {
	if d == Postgres {
		return 4096
	}
	return ParamBudget
}

// Chunks splits n items of perItem parameters each into statement sizes: as
// many full chunks as fit the budget, then the rest in powers of two. Every
// size is a power of two, so a query comes in a handful of texts rather than
// one per list length: SQLite's per-connection statement cache keeps only 256
// texts and would otherwise fill up with them.
func Chunks(n, perItem, budget int) []int {
	size := 1
	for size*2*perItem <= budget {
		size *= 2
	}
	var out []int
	for ; n >= size; n -= size {
		out = append(out, size)
	}
	for p := size / 2; p >= 1; p /= 2 {
		if n >= p {
			out = append(out, p)
			n -= p
		}
	}
	return out
}

// ValuesList returns "($start), ($start+1), …" for n parameters: a VALUES
// list to join on, as a CTE (SQLite names no columns of a VALUES subquery).
// On PostgreSQL a join is still costed on statistics: where they lag behind a
// bulk insert, look each item up in a LATERAL subquery instead (see
// directory's existingUsersSQL).
func ValuesList(start, n int) string { return paramList(start, n, "($", ")") }

// Placeholders returns "$start, $start+1, …" for n parameters.
func Placeholders(start, n int) string { return paramList(start, n, "$", "") }

// paramList joins n parameters from $start, each between before and after.
// Bulk inserts build thousands per call, hence strconv rather than fmt.
func paramList(start, n int, before, after string) string {
	b := make([]byte, 0, n*(len(before)+len(after)+6))
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, before...)
		b = strconv.AppendInt(b, int64(start+i), 10)
		b = append(b, after...)
	}
	return string(b)
}

// InChunks calls fn with consecutive chunks of items, sized by Chunks for
// perItem parameters each within budget, and stops at the first error.
func InChunks[T any](items []T, perItem, budget int, fn func(chunk []T) error) error {
	start := 0
	for _, n := range Chunks(len(items), perItem, budget) {
		if err := fn(items[start : start+n]); err != nil {
			return err
		}
		start += n
	}
	return nil
}

// Args turns a typed list into query arguments.
func Args[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
