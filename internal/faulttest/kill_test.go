package faulttest

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestKillDuringCreatesLosesNothing loads the server with user creates,
// kills it with SIGKILL mid-load, restarts it on the same database and
// checks that every create it acknowledged is there, each with exactly one
// user.created event, and that nothing half-written remains.
func TestKillDuringCreatesLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds and kills the real binary")
	}
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			env := []string{"ROSTER_DATABASE_URL=" + dbURL, "ROSTER_RATE_LIMIT=0"}
			first := startServer(t, env...)
			if first.Key == "" {
				t.Fatalf("no admin key printed:\n%s", first.stderr)
			}

			load := startCreateLoad(first.Key, 16, first)
			time.Sleep(1500 * time.Millisecond)
			first.kill()
			load.stop()
			ids := load.ids()
			if len(ids) < 50 {
				t.Fatalf("only %d creates acknowledged before the kill", len(ids))
			}

			second := startServer(t, env...)
			key := first.Key
			missing := 0
			for _, id := range ids {
				if get(t, second.URL+"/api/v1/users/"+id, key) != http.StatusOK {
					missing++
				}
			}
			if missing > 0 {
				t.Fatalf("%d of %d acknowledged users are missing after the kill", missing, len(ids))
			}
			d, err := db.Open(t.Context(), db.Options{URL: dbURL})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var users, created int
			_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users)
			_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&created)
			if users != created || users < len(ids) {
				t.Fatalf("%d users, %d user.created events, %d acknowledged: a write was torn", users, created, len(ids))
			}
			t.Logf("%s: %d creates acknowledged before SIGKILL, %d rows after restart, none lost", dialect, len(ids), users)
			second.stop(t)
		})
	}
}

func get(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
