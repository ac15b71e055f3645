package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestKillDuringIdempotentBulkReplaysTheAnswer kills the server at different
// moments of an idempotent POST /users/bulk and retries the same request
// with the same key on a restarted server: the batch either committed with
// its answer (the retry replays it) or did not happen at all (the retry runs
// it) — never the batch without its answer, which made a retry run again and
// answer email_taken for every item.
func TestKillDuringIdempotentBulkReplaysTheAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds and kills the real binary")
	}
	const batch = 500
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			env := []string{"ROSTER_DATABASE_URL=" + dbURL, "ROSTER_RATE_LIMIT=0"}
			srv := startServer(t, env...)
			key := srv.Key
			for round, delay := range []time.Duration{5 * time.Millisecond, 60 * time.Millisecond, 250 * time.Millisecond, 2 * time.Second} {
				users := make([]map[string]any, batch)
				for i := range users {
					users[i] = map[string]any{"name": "U", "email": fmt.Sprintf("r%d-u%d@example.com", round, i)}
				}
				body, _ := json.Marshal(map[string]any{"users": users})
				idem := fmt.Sprintf("bulk-%d", round)
				go func() { _, _, _ = postIdempotent(srv.URL, key, idem, body) }()
				time.Sleep(delay)
				srv.kill()
				srv = startServer(t, env...)

				status, _, first := postIdempotent(srv.URL, key, idem, body)
				if status/100 != 2 || strings.Contains(string(first), "email_taken") {
					t.Fatalf("round %d (kill after %s): retry answered %d: %.300s", round, delay, status, first)
				}
				status2, replayed2, again := postIdempotent(srv.URL, key, idem, body)
				if status2 != status || !replayed2 || !bytes.Equal(again, first) {
					t.Fatalf("round %d: second retry %d (replayed %v) differs from the first retry's answer", round, status2, replayed2)
				}
				if n := countUsers(t, dbURL, fmt.Sprintf("r%d-%%", round)); n != batch {
					t.Fatalf("round %d: %d users of the batch, want %d", round, n, batch)
				}
			}
		})
	}
}

func postIdempotent(base, key, idem string, body []byte) (int, bool, []byte) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/users/bulk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", key)
	req.Header.Set("Idempotency-Key", idem)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return 0, false, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", data
}

func countUsers(t *testing.T, dbURL, emailLike string) int {
	t.Helper()
	d, err := db.Open(t.Context(), db.Options{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users WHERE email LIKE $1`, emailLike).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
