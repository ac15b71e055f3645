package webhooks

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestDelayFollowsTheScheduleWithJitter(t *testing.T) {
	s := New(Options{})
	for attempt := 1; attempt < len(DefaultSchedule); attempt++ {
		want := DefaultSchedule[attempt]
		lo, hi := want, want
		for range 200 {
			d := s.delay(attempt, 0)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < want*9/10 || hi > want*11/10 || lo == hi {
			t.Errorf("attempt %d: delays in [%s, %s], want %s ± 10%% and spread", attempt, lo, hi, want)
		}
	}
	var total time.Duration
	for _, d := range DefaultSchedule {
		total += d
	}
	if total < 75*time.Hour || total > 76*time.Hour {
		t.Errorf("schedule spans %s, want about 3 days 3 hours", total)
	}
	if d := s.delay(1, time.Hour); d != time.Hour {
		t.Errorf("Retry-After 1h after attempt 1: %s", d)
	}
	if d := s.delay(9, time.Second); d < 20*time.Hour {
		t.Errorf("a short Retry-After shortened the schedule: %s", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "120": 2 * time.Minute, " 5 ": 5 * time.Second, "-3": 0, "soon": 0, "99999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", h, got, want)
		}
	}
}

func TestVerdicts(t *testing.T) {
	for status, want := range map[int]verdict{200: succeeded, 204: succeeded, 299: succeeded, 301: retry, 400: permanent,
		401: permanent, 404: permanent, 408: retry, 410: gone, 422: permanent, 429: retry, 500: retry, 502: retry, 503: retry, 0: retry} {
		if got := (outcome{status: status}).verdict(); got != want {
			t.Errorf("status %d: verdict %d, want %d", status, got, want)
		}
	}
	if (outcome{final: true}).verdict() != permanent {
		t.Error("a refused target is retried")
	}
}

func TestSignMatchesTheReferenceLibrary(t *testing.T) {
	secret := newSecret()
	key, err := secretKey(secret)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %v", secret, err)
	}
	body := []byte(`{"id":"evt_1","type":"user.created","data":{}}`)
	now := time.Now()
	wh, _ := standardwebhooks.NewWebhook(secret)
	ref, err := wh.Sign("evt_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := sign(key, "evt_1", now.Unix(), body); got != ref {
		t.Fatalf("signature %s, reference %s", got, ref)
	}
}

func TestCipher(t *testing.T) {
	for _, key := range []string{
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", // hex
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",                     // base64
		"a long passphrase of more than thirty-two characters",
	} {
		c, err := NewCipher(key)
		if err != nil || !c.Ready() {
			t.Fatalf("key %q: %v", key, err)
		}
		sealed, err := c.seal("whsec_abc", "ep_1")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.open(sealed, "ep_1"); err != nil || got != "whsec_abc" {
			t.Fatalf("open: %q %v", got, err)
		}
		if _, err := c.open(sealed, "ep_2"); err == nil {
			t.Fatal("a secret opened for another endpoint")
		}
		other, _ := NewCipher("another passphrase, also longer than 32 chars")
		if _, err := other.open(sealed, "ep_1"); err == nil {
			t.Fatal("a secret opened under another key")
		}
	}
	if _, err := NewCipher("short"); err == nil {
		t.Fatal("short key accepted")
	}
	none, _ := NewCipher("")
	if _, err := none.seal("x", "y"); err != ErrNoKey {
		t.Fatalf("no key: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	k1, err := KeyFile(path)
	if err != nil || len(k1) != 64 {
		t.Fatalf("created %q: %v", k1, err)
	}
	k2, err := KeyFile(path)
	if err != nil || k2 != k1 {
		t.Fatalf("read back %q, want %q (%v)", k2, k1, err)
	}
	if _, err := NewCipher(k1); err != nil {
		t.Fatal(err)
	}
}

func TestExcerpt(t *testing.T) {
	for in, want := range map[string]string{"plain": "plain", "nul\x00byte": "nulbyte", "bad\xffutf8": "bad\uFFFDutf8",
		"ééé": "é", "a\xffbéc": "a\uFFFDbé"} { // cut at 3 bytes: inside the second é; at 5: after the é
		n := 10
		switch in {
		case "ééé":
			n = 3
		case "a\xffbéc":
			n = 5
		}
		if got := excerpt([]byte(in), n); got != want {
			t.Errorf("excerpt(%q, %d) = %q, want %q", in, n, got, want)
		}
	}
}
