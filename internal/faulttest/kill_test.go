package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
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

			var acked sync.Map // email → id
			var nAcked atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 5 * time.Second}
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						email := fmt.Sprintf("w%d-%d@example.com", w, i)
						body, _ := json.Marshal(map[string]any{"name": "Load", "email": email})
						req, _ := http.NewRequest(http.MethodPost, first.URL+"/api/v1/users", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("X-API-KEY", first.Key)
						resp, err := client.Do(req)
						if err != nil {
							return // the server is gone
						}
						var u struct{ ID string }
						_ = json.NewDecoder(resp.Body).Decode(&u)
						resp.Body.Close()
						if resp.StatusCode == http.StatusCreated {
							acked.Store(email, u.ID)
							nAcked.Add(1)
						}
					}
				}()
			}
			time.Sleep(1500 * time.Millisecond)
			first.kill()
			close(stop)
			wg.Wait()
			if nAcked.Load() < 50 {
				t.Fatalf("only %d creates acknowledged before the kill", nAcked.Load())
			}

			second := startServer(t, env...)
			key := first.Key
			missing := 0
			acked.Range(func(k, v any) bool {
				resp := get(t, second.URL+"/api/v1/users/"+v.(string), key)
				if resp != http.StatusOK {
					missing++
				}
				return true
			})
			if missing > 0 {
				t.Fatalf("%d of %d acknowledged users are missing after the kill", missing, nAcked.Load())
			}
			d, err := db.Open(t.Context(), db.Options{URL: dbURL})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var users, created int
			_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users)
			_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&created)
			if users != created || int64(users) < nAcked.Load() {
				t.Fatalf("%d users, %d user.created events, %d acknowledged: a write was torn", users, created, nAcked.Load())
			}
			t.Logf("%s: %d creates acknowledged before SIGKILL, %d rows after restart, none lost", dialect, nAcked.Load(), users)
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
