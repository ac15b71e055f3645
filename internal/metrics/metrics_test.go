package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/mail/mailtest"
)

const metricsToken = "metrics-test-token-0123456789"

// TestMetricsScrape drives a real server through a request, a SCIM call, a
// webhook delivery, a workflow run and an email, then scrapes /metrics on
// the main listener with the metrics token and parses it with Prometheus'
// own text parser: every family is there with the expected labels, and no
// label carries an id, URL or email.
func TestMetricsScrape(t *testing.T) {
	smtp := mailtest.Start(t)
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var delivered atomic.Int32
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { delivered.Add(1) }))
		defer rc.Close()
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rc.URL + "/hook", "eventTypes": []string{"user.created"}}).
			Expect(t, http.StatusCreated)

		var user struct{ ID string }
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Ada", "email": "ada.metrics@example.com"}).
			Expect(t, http.StatusCreated).JSON(t, &user)
		scimKey := tenant.NewKey(t, access.SCIM)
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/scim/v2/Users", Headers: map[string]string{"Authorization": "Bearer " + scimKey}}).
			Expect(t, http.StatusOK)
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/no/such/route"}).Expect(t, http.StatusNotFound)

		var wf struct{ ID int64 }
		tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "mail", "definition": map[string]any{
			"trigger": map[string]any{"type": "manual"},
			"steps": []any{map[string]any{"id": "mail", "op": "email.send", "input": map[string]any{
				"to": "grace.metrics@example.com", "subject": "Hi", "text": "Hello"}}}}}).Expect(t, http.StatusCreated).JSON(t, &wf)
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/publish", wf.ID), nil).Expect(t, http.StatusOK)
		var run struct{ ID int64 }
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/run", wf.ID), map[string]any{}).Expect(t, http.StatusAccepted).JSON(t, &run)

		var families map[string]*dto.MetricFamily
		waitFor(t, 20*time.Second, "a webhook delivery, a workflow run and an email in the metrics", func() bool {
			families = scrape(t, s)
			return delivered.Load() > 0 && value(families, "roster_webhook_deliveries_total", "outcome", "succeeded") >= 1 &&
				value(families, "roster_workflow_runs_total", "outcome", "succeeded") >= 1 &&
				value(families, "roster_emails_total", "outcome", "sent") >= 1
		})

		checks := []struct {
			family string
			labels []string // name, value pairs the series must carry
			min    float64
		}{
			{"roster_http_requests_total", []string{"operation", "users.create", "status_class", "2xx"}, 1},
			{"roster_http_requests_total", []string{"operation", "none", "status_class", "4xx"}, 1},
			{"roster_http_request_duration_seconds", []string{"operation", "users.create", "status_class", "2xx"}, 1},
			{"roster_scim_requests_total", []string{"resource", "users", "status_class", "2xx"}, 1},
			{"roster_webhook_deliveries_total", []string{"outcome", "succeeded"}, 1},
			{"roster_webhook_delivery_duration_seconds", []string{"outcome", "succeeded"}, 1},
			{"roster_workflow_runs_total", []string{"outcome", "succeeded"}, 1},
			{"roster_emails_total", []string{"outcome", "sent"}, 1},
			{"roster_emails_total", []string{"outcome", "failed"}, 0},
			{"roster_job_queue_depth", []string{"kind", "webhook_delivery", "state", "available"}, 0},
			{"roster_job_queue_oldest_age_seconds", []string{"kind", "workflow_step"}, 0},
			{"roster_job_queue_scrape_success", nil, 1},
			{"go_sql_open_connections", []string{"db_name", "write"}, 0},
			{"go_sql_max_open_connections", []string{"db_name", "write"}, 1},
		}
		for _, c := range checks {
			if _, ok := families[c.family]; !ok {
				t.Errorf("no family %s", c.family)
				continue
			}
			if v := value(families, c.family, c.labels...); v < c.min {
				t.Errorf("%s%v = %v, want ≥ %v", c.family, c.labels, v, c.min)
			}
		}
		// Low cardinality: nothing identifying in any label value.
		for name, f := range families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					v := l.GetValue()
					if strings.Contains(v, "@") || strings.Contains(v, "/") || (user.ID != "" && strings.Contains(v, user.ID)) {
						t.Errorf("%s carries an identifying label %s=%q", name, l.GetName(), v)
					}
				}
			}
		}

		// The token guards the main listener: none, a wrong one, or an API
		// key get 401.
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + tenant.Key} {
			h := map[string]string{}
			if auth != "" {
				h["Authorization"] = auth
			}
			s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/metrics", Headers: h}).Problem(t, http.StatusUnauthorized)
		}
	}, func(c *app.Config) { c.MetricsToken = metricsToken; c.SMTPURL = smtp.URL() })
}

// Without a token, the main listener has no /metrics.
func TestNoMetricsWithoutToken(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/metrics"}).Problem(t, http.StatusNotFound)
	})
}

func scrape(t *testing.T, s *apptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return families
}

// value sums the series of a family that carry the label pairs: counter and
// gauge values, a histogram's sample count.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f, ok := families[name]
	if !ok {
		return -1
	}
	sum, found := 0.0, false
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			match := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					match = true
				}
			}
			if !match {
				continue series
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return sum
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// idleStep is a job of a kind Roster runs, put on a queue no worker reads,
// so it stays due.
type idleStep struct{}

func (idleStep) Kind() string { return "workflow_step" }

// The queue metrics read River's table on both engines: a job due an hour
// ago shows in the depth and as an hour of waiting.
func TestJobQueueMetrics(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		_, err := s.App.Jobs.River.Insert(context.Background(), idleStep{}, &river.InsertOpts{
			Queue: "metrics_test_idle", ScheduledAt: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		families := scrape(t, s)
		// River files a past-due insert as scheduled, then makes it
		// available: count it in whichever state it is.
		if v := value(families, "roster_job_queue_depth", "kind", "workflow_step"); v != 1 {
			t.Errorf("depth %v, want 1", v)
		}
		if v := value(families, "roster_job_queue_oldest_age_seconds", "kind", "workflow_step"); v < 3590 || v > 3700 {
			t.Errorf("oldest age %v s, want about 3600", v)
		}
	}, func(c *app.Config) { c.MetricsToken = metricsToken })
}
