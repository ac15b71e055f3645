// Package counter keeps exact per-workspace counts (users, …) that list
// endpoints report as totalCount, so an unfiltered list does not count a
// hundred thousand rows on every call. Counts are updated in the same
// transaction as the rows they count and spread over a few shard rows, so
// concurrent writers on PostgreSQL do not queue on one hot row.
package counter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"

	"github.com/rosterhq/roster/internal/db"
)

const shards = 8

// Names of the counts kept.
const (
	Users = "users"
)

// Add changes the count by delta inside the caller's transaction.
//
// Every Add in one transaction uses the same shard (chosen from the
// transaction's identity): a transaction that locked two shards in one order
// could deadlock on PostgreSQL with another that locked them in the other.
func Add(ctx context.Context, q db.Querier, workspaceID int64, name string, delta int) error {
	if delta == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `INSERT INTO workspace_counters (workspace_id, name, shard, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (workspace_id, name, shard) DO UPDATE SET value = workspace_counters.value + excluded.value`,
		workspaceID, name, shardOf(q), delta)
	if err != nil {
		return fmt.Errorf("count %s: %w", name, err)
	}
	return nil
}

// shardOf spreads transactions over the shards and keeps one transaction on
// one shard.
func shardOf(q db.Querier) int {
	v := reflect.ValueOf(q)
	if v.Kind() != reflect.Pointer {
		return rand.IntN(shards)
	}
	p := uint64(v.Pointer())
	p ^= p >> 17
	p *= 0x9e3779b97f4a7c15
	return int(p >> 61 % shards)
}

// Get returns the count.
func Get(ctx context.Context, q db.Querier, workspaceID int64, name string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT `+Subquery("$1", name), workspaceID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read count %s: %w", name, err)
	}
	return n, nil
}

// Subquery is the count as a scalar SQL subquery, with workspaceParam the
// placeholder of the workspace id, so a list can read its total in the same
// statement as its page. name must be one of the constants above.
func Subquery(workspaceParam, name string) string {
	return `(SELECT coalesce(sum(value), 0) FROM workspace_counters WHERE workspace_id = ` + workspaceParam + ` AND name = '` + name + `')`
}
