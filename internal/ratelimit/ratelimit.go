// Package ratelimit counts requests per API key in fixed one-minute windows,
// the model Konstantly's X-RateLimit-* headers describe.
//
// Counters live in the process: with several nodes each enforces the limit on
// its own share of the traffic.
package ratelimit

import (
	"sync"
	"time"
)

// Window is the length of one counting window.
const Window = time.Minute

// Decision is the outcome of one request's check.
type Decision struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Time // end of the current window
}

// RetryAfter is how long a refused caller should wait, rounded up to whole
// seconds and at least one.
func (d Decision) RetryAfter(now time.Time) int {
	secs := int((d.Reset.Sub(now) + time.Second - 1) / time.Second)
	return max(secs, 1)
}

type window struct {
	start time.Time
	count int
}

// Limiter holds the counters.
type Limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	windows map[string]*window
	calls   int
}

// New returns a Limiter reading time from now.
func New(now func() time.Time) *Limiter {
	return &Limiter{now: now, windows: map[string]*window{}}
}

// Allow counts one request for key against limit requests per window.
func (l *Limiter) Allow(key string, limit int) Decision {
	now := l.now()
	start := now.Truncate(Window)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%4096 == 0 {
		l.sweep(start)
	}
	w, ok := l.windows[key]
	if !ok || !w.start.Equal(start) {
		w = &window{start: start}
		l.windows[key] = w
	}
	d := Decision{Limit: limit, Reset: start.Add(Window)}
	if w.count >= limit {
		return d
	}
	w.count++
	d.Allowed = true
	d.Remaining = limit - w.count
	return d
}

// sweep drops counters of past windows so idle keys do not pile up.
func (l *Limiter) sweep(current time.Time) {
	for k, w := range l.windows {
		if w.start.Before(current) {
			delete(l.windows, k)
		}
	}
}

// Peek reports whether key is still under limit in the current window,
// without counting anything.
func (l *Limiter) Peek(key string, limit int) Decision {
	now := l.now()
	start := now.Truncate(Window)
	l.mu.Lock()
	defer l.mu.Unlock()
	d := Decision{Limit: limit, Reset: start.Add(Window), Allowed: true, Remaining: limit}
	if w, ok := l.windows[key]; ok && w.start.Equal(start) {
		d.Remaining = max(limit-w.count, 0)
		d.Allowed = w.count < limit
	}
	return d
}
