package webhooks_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/webhooks"
)

const (
	envHelperDB       = "ROSTER_WEBHOOK_HELPER_DB"
	envHelperDialect  = "ROSTER_WEBHOOK_HELPER_DIALECT"
	envHelperReceiver = "ROSTER_WEBHOOK_HELPER_RECEIVER"
	crashEvents       = 30
)

// crashTuning makes a crashed node's jobs come back quickly on PostgreSQL,
// where River's rescuer (not a start-up sweep) takes them back: a job may
// run 1 s + 10 s before it counts as stuck.
var crashTuning = []apptest.Option{
	withWebhooks(func(o *webhooks.Options) { o.Timeout = time.Second }),
	withJobs(func(o *jobs.Options) { o.JobTimeout, o.RescueAfter = 2*time.Second, 2*time.Second }),
}

// TestKillMidDelivery starts Roster in a child process, records events
// whose deliveries the receiver holds open, kills the child with SIGKILL
// while those requests are in flight, starts a new server on the same
// database and checks that every event then arrives exactly once.
func TestKillMidDelivery(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			url := dbtest.URL(t, dialect)
			var mu sync.Mutex
			holding := true
			inFlight := 0
			accepted := map[string]int{}
			hold := make(chan struct{})
			rc := newReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
				mu.Lock()
				if holding {
					inFlight++
					mu.Unlock()
					select { // never answered: the sender dies first
					case <-hold:
					case <-r.Context().Done():
					}
					return http.StatusServiceUnavailable, nil, ""
				}
				accepted[r.Header.Get("webhook-id")]++
				mu.Unlock()
				return http.StatusOK, nil, ""
			})
			t.Cleanup(func() { close(hold) })

			cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidDeliveryHelper$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), envHelperDB+"="+url, envHelperDialect+"="+string(dialect), envHelperReceiver+"="+rc.URL)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = cmd.Stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan string, 1)
			var tail []string
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					line := sc.Text()
					if i := strings.Index(line, "READY "); i >= 0 {
						ready <- line[i+len("READY "):]
					}
					tail = append(tail, line)
				}
			}()
			var endpointID string
			select {
			case endpointID = <-ready:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("child did not get ready:\n%s", strings.Join(tail, "\n"))
			}
			waitFor(t, 20*time.Second, "requests in flight", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return inFlight >= 4
			})
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			mu.Lock()
			held := inFlight
			holding = false
			mu.Unlock()
			t.Logf("killed the server with %d deliveries in flight", held)

			s := apptest.Start(t, dialect, append([]apptest.Option{apptest.WithDatabaseURL(url)}, crashTuning...)...)
			start := time.Now()
			waitFor(t, 90*time.Second, "every event to arrive", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(accepted) == crashEvents
			})
			t.Logf("all %d events arrived %s after the restart", crashEvents, time.Since(start).Round(time.Millisecond))
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			for id, n := range accepted {
				if n != 1 {
					t.Errorf("event %s accepted %d times", id, n)
				}
			}
			mu.Unlock()
			var states []string
			rows, err := s.App.DB.Read().QueryContext(t.Context(), `SELECT d.state FROM webhook_deliveries d
				JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.public_id = $1`, endpointID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var st string
				_ = rows.Scan(&st)
				states = append(states, st)
			}
			if len(states) != crashEvents || strings.Count(strings.Join(states, " "), "succeeded") != crashEvents {
				t.Fatalf("delivery states after recovery: %v", states)
			}
		})
	}
}

// TestKillMidDeliveryHelper is the child of TestKillMidDelivery; it does
// nothing on its own.
func TestKillMidDeliveryHelper(t *testing.T) {
	url := os.Getenv(envHelperDB)
	if url == "" {
		t.Skip("runs as TestKillMidDelivery's child process")
	}
	dialect := db.Dialect(os.Getenv(envHelperDialect))
	s := apptest.Start(t, dialect, append([]apptest.Option{apptest.WithDatabaseURL(url)}, crashTuning...)...)
	tenant := s.Tenant(t)
	ep := createEndpoint(t, tenant, os.Getenv(envHelperReceiver), "user.created")
	for range crashEvents {
		createUser(t, tenant)
	}
	fmt.Printf("READY %s\n", ep.ID)
	select {} // until killed
}
