// Package metrics is Roster's Prometheus instrumentation: what an operator
// watches (request rates and latency per operation, database pools, job
// queues, webhook deliveries, workflow runs, email, SCIM).
//
// Labels are low-cardinality by construction: operation ids, status classes,
// outcomes, job kinds and SCIM resource names come from fixed sets in the
// code. A user id, URL, email or workspace never becomes a label.
//
// Each App has its own registry (tests run many servers in one process);
// Handler serves it in the Prometheus text format.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/internal/db"
)

// Outcomes of a webhook delivery attempt.
const (
	WebhookSucceeded = "succeeded" // 2xx
	WebhookRetrying  = "retrying"  // failed, another attempt is scheduled
	WebhookFailed    = "failed"    // failed for good (refused, 4xx, attempts exhausted)
	WebhookGone      = "gone"      // 410: the receiver unsubscribed
)

// Outcomes of an email.
const (
	EmailSent   = "sent"
	EmailFailed = "failed"
)

// Metrics holds Roster's collectors.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	scimRequests    *prometheus.CounterVec
	webhooks        *prometheus.CounterVec
	webhookDuration *prometheus.HistogramVec
	workflowRuns    *prometheus.CounterVec
	emails          *prometheus.CounterVec
}

// New builds the collectors and registers them, with the database pools and
// the job queues of d, and the Go runtime and process collectors. jobKinds
// are reported with zero depth when none of their jobs waits, so that
// alerts see a series.
func New(d *db.DB, jobKinds ...string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total",
		Help: "HTTP requests answered, by operation id (\"none\" when no route matched) and status class (2xx…5xx).",
	}, []string{"operation", "status_class"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_http_request_duration_seconds",
		Help:    "Time from the request's arrival to its last byte, by operation id and status class.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"operation", "status_class"})
	m.scimRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_scim_requests_total",
		Help: "SCIM 2.0 requests, by resource (users, groups, schemas, …) and status class.",
	}, []string{"resource", "status_class"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome: succeeded, retrying, failed, gone.",
	}, []string{"outcome"})
	m.webhookDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "roster_webhook_delivery_duration_seconds",
		Help:    "Time a webhook receiver took to answer one attempt, by outcome.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
	}, []string{"outcome"})
	m.workflowRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_workflow_runs_total",
		Help: "Workflow runs that ended, by outcome: succeeded, failed, skipped (conditions false), filtered.",
	}, []string{"outcome"})
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_emails_total",
		Help: "Workflow emails handed to the SMTP server, by outcome: sent, failed.",
	}, []string{"outcome"})
	// Known outcomes start at zero, so a dashboard sees the series before
	// the first event.
	for _, o := range []string{WebhookSucceeded, WebhookRetrying, WebhookFailed, WebhookGone} {
		m.webhooks.WithLabelValues(o)
	}
	for _, o := range []string{"succeeded", "failed", "skipped", "filtered"} {
		m.workflowRuns.WithLabelValues(o)
	}
	for _, o := range []string{EmailSent, EmailFailed} {
		m.emails.WithLabelValues(o)
	}
	m.reg.MustRegister(m.requests, m.requestDuration, m.scimRequests, m.webhooks, m.webhookDuration, m.workflowRuns, m.emails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if d != nil {
		// go_sql_* per pool: SQLite has a writer pool of one and a reader
		// pool; PostgreSQL has one pool.
		m.reg.MustRegister(collectors.NewDBStatsCollector(d.Write(), "write"))
		if read := d.ReadPool(); read != d.Write() {
			m.reg.MustRegister(collectors.NewDBStatsCollector(read, "read"))
		}
		m.reg.MustRegister(newQueueCollector(d, jobKinds))
	}
	return m
}

// Registry is the registry behind Handler (tests, extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ObserveRequest counts one finished HTTP request. operation is the
// operation id ("" when no route matched; "scim.<resource>" for SCIM).
func (m *Metrics) ObserveRequest(operation string, status int, d time.Duration) {
	if operation == "" {
		operation = "none"
	}
	class := StatusClass(status)
	m.requests.WithLabelValues(operation, class).Inc()
	m.requestDuration.WithLabelValues(operation, class).Observe(d.Seconds())
	if resource, ok := strings.CutPrefix(operation, "scim."); ok {
		m.scimRequests.WithLabelValues(resource, class).Inc()
	}
}

// ObserveWebhook counts one delivery attempt and the receiver's latency.
func (m *Metrics) ObserveWebhook(outcome string, latency time.Duration) {
	m.webhooks.WithLabelValues(outcome).Inc()
	m.webhookDuration.WithLabelValues(outcome).Observe(latency.Seconds())
}

// ObserveWorkflowRun counts a run that ended with status.
func (m *Metrics) ObserveWorkflowRun(status string) { m.workflowRuns.WithLabelValues(status).Inc() }

// ObserveEmail counts one email sent or failed.
func (m *Metrics) ObserveEmail(err error) {
	if err != nil {
		m.emails.WithLabelValues(EmailFailed).Inc()
		return
	}
	m.emails.WithLabelValues(EmailSent).Inc()
}

// StatusClass is "2xx" for 200–299 and so on.
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}
