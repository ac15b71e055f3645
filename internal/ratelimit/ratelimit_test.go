package ratelimit

import (
	"testing"
	"time"
)

func TestFixedWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 50, 0, time.UTC)
	l := New(func() time.Time { return now })
	for i := 0; i < 3; i++ {
		d := l.Allow("k", 3)
		if !d.Allowed || d.Remaining != 2-i || d.Limit != 3 {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d := l.Allow("k", 3)
	if d.Allowed || d.Remaining != 0 || d.RetryAfter(now) != 10 || !d.Reset.Equal(now.Truncate(time.Minute).Add(time.Minute)) {
		t.Fatalf("over the limit: %+v retry %d", d, d.RetryAfter(now))
	}
	if !l.Allow("other", 3).Allowed {
		t.Fatal("keys share a budget")
	}
	now = now.Add(10 * time.Second) // next window
	if d := l.Allow("k", 3); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("new window: %+v", d)
	}
}

func TestRetryAfterIsAtLeastOneSecond(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 59, 999_000_000, time.UTC)
	d := Decision{Reset: now.Truncate(time.Minute).Add(time.Minute)}
	if got := d.RetryAfter(now); got != 1 {
		t.Fatalf("RetryAfter = %d", got)
	}
}
