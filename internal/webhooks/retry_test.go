package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/webhooks"
)

// nextAttemptAt reads a delivery's scheduled next attempt to the
// millisecond (the API shows seconds).
func nextAttemptAt(t *testing.T, s *apptest.Server, deliveryID string) time.Time {
	t.Helper()
	var ms int64
	if err := s.App.DB.Read().QueryRowContext(context.Background(),
		`SELECT next_attempt_at FROM webhook_deliveries WHERE public_id = $1`, deliveryID).Scan(&ms); err != nil {
		t.Fatalf("read next attempt: %v", err)
	}
	return time.UnixMilli(ms).UTC()
}

// TestRetriesFollowTheSchedule drives one failing delivery through all ten
// attempts on a controllable clock: each attempt happens at the time the
// previous one scheduled, each delay is the schedule's step within the
// jitter, River holds the job until then, and after the last attempt the
// delivery fails for good. Five days into the failure the endpoint is
// disabled, with an event saying so.
func TestRetriesFollowTheSchedule(t *testing.T) {
	eachDialectWithClock(t, func(t *testing.T, s *apptest.Server, clk *clock) {
		ctx := context.Background()
		tenant := s.Tenant(t)
		rc := newReceiver(t, func(*http.Request, int) (int, http.Header, string) {
			return http.StatusInternalServerError, nil, "database on fire"
		})
		ep := createEndpoint(t, tenant, rc.URL, "user.created")
		t0 := clk.Now()
		createUser(t, tenant)

		var d delivery
		attemptAt := t0 // attempt 1 is immediate
		for k := 1; k <= len(webhooks.DefaultSchedule); k++ {
			waitFor(t, 15*time.Second, fmt.Sprintf("attempt %d", k), func() bool {
				ds := deliveries(t, tenant, ep.ID)
				if len(ds) != 1 {
					return false
				}
				d = ds[0]
				return d.AttemptCount == k
			})
			a := d.Attempts[k-1]
			if a.Attempt != k || a.AttemptedAt != attemptAt.UnixMilli() || a.StatusCode == nil || *a.StatusCode != 500 ||
				a.ResponseExcerpt != "database on fire" {
				t.Fatalf("attempt %d: %+v, want at %d", k, a, attemptAt.UnixMilli())
			}
			if len(rc.requests()) != k {
				t.Fatalf("receiver got %d requests after attempt %d", len(rc.requests()), k)
			}
			if k == len(webhooks.DefaultSchedule) {
				break
			}
			if d.State != webhooks.StatePending {
				t.Fatalf("after attempt %d: state %s", k, d.State)
			}
			next := nextAttemptAt(t, s, d.ID)
			step := webhooks.DefaultSchedule[k]
			if got := next.Sub(attemptAt); got < step*9/10 || got > step*11/10 {
				t.Fatalf("after attempt %d: next in %s, want %s ± 10%%", k, got, step)
			}
			var jobs []*rivertype.JobRow
			waitFor(t, 5*time.Second, "River to reschedule the job", func() bool {
				jobs = deliveryJobs(t, s)
				return len(jobs) == 1 && jobs[0].State != rivertype.JobStateRunning
			})
			if !jobs[0].ScheduledAt.Equal(next) || jobs[0].Attempt != k {
				t.Fatalf("River job not scheduled for %s: %+v", next, jobs[0])
			}
			if k == 1 {
				// River alone: not a second early, then on time (a job due
				// within River's 5 s scheduler tick stays available; one
				// due later waits for the scheduler, on our clock too).
				clk.Set(next.Add(-time.Second))
				time.Sleep(300 * time.Millisecond)
				if n := len(rc.requests()); n != 1 {
					t.Fatalf("attempt 2 ran %s early", time.Second)
				}
				clk.Set(next)
			} else {
				// River's scheduler makes retryable jobs due on a 5 s tick
				// of real time; move it along.
				clk.Set(next)
				if _, err := s.App.Jobs.River.JobRetry(ctx, jobs[0].ID); err != nil {
					t.Fatal(err)
				}
			}
			attemptAt = next
		}
		if d.State != webhooks.StateFailed || !strings.Contains(d.Error, "gave up after 10 attempts") || d.NextAttemptAt != nil {
			t.Fatalf("after the last attempt: %+v", d)
		}
		total := attemptAt.Sub(t0)
		if total < 68*time.Hour || total > 84*time.Hour {
			t.Fatalf("ten attempts took %s, want about 3 days 3 hours", total)
		}
		waitFor(t, 5*time.Second, "the job to be discarded", func() bool {
			jobs := deliveryJobs(t, s)
			return len(jobs) == 1 && jobs[0].State == rivertype.JobStateDiscarded
		})
		var e endpoint
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+ep.ID, nil).Expect(t, http.StatusOK).JSON(t, &e)
		if e.Status != webhooks.StatusActive || e.FailingSince == nil || *e.FailingSince != t0.Unix() {
			t.Fatalf("endpoint after one exhausted delivery: %+v", e)
		}

		// Five days after the first failure, the next failed attempt
		// disables the endpoint.
		clk.Set(t0.Add(5*24*time.Hour + time.Minute))
		createUser(t, tenant)
		waitFor(t, 10*time.Second, "the endpoint to be disabled", func() bool {
			tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+ep.ID, nil).Expect(t, http.StatusOK).JSON(t, &e)
			return e.Status == webhooks.StatusDisabled
		})
		if !strings.Contains(e.DisabledReason, "every attempt failed for") {
			t.Fatalf("reason %q", e.DisabledReason)
		}
		var page struct {
			Events []struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			} `json:"events"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/events?type=webhook_endpoint.disabled", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if len(page.Events) != 1 || page.Events[0].Data["id"] != ep.ID || page.Events[0].Data["status"] != "disabled" {
			t.Fatalf("disabled event: %+v", page.Events)
		}
		// Resuming clears the record.
		e = endpoint{}
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/resume", nil).Expect(t, http.StatusOK).JSON(t, &e)
		if e.Status != webhooks.StatusActive || e.FailingSince != nil || e.DisabledReason != "" {
			t.Fatalf("resumed: %+v", e)
		}
	})
}
