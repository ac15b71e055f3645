package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// deliveryRecorder is a loopback webhook receiver that counts arrivals by
// webhook-id and remembers which users it heard of.
type deliveryRecorder struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals map[string]int
	users    map[string]bool
}

func newDeliveryRecorder() *deliveryRecorder {
	r := &deliveryRecorder{arrivals: map[string]int{}, users: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct{ Data struct{ ID string } }
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		r.arrivals[req.Header.Get("webhook-id")]++
		r.users[ev.Data.ID] = true
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	return r
}

func (r *deliveryRecorder) missing(userIDs []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range userIDs {
		if !r.users[id] {
			n++
		}
	}
	return n
}

// counts returns the distinct webhook-ids received and how many came more
// than once.
func (r *deliveryRecorder) counts() (distinct, repeated int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.arrivals {
		if c > 1 {
			repeated++
		}
	}
	return len(r.arrivals), repeated
}

// createLoad posts new users from several clients until stopped, spreading
// requests over its target nodes, and keeps the ids of acknowledged (201)
// creates. A failed request is not retried: its user may or may not exist.
type createLoad struct {
	done   chan struct{}
	wg     sync.WaitGroup
	n      atomic.Int64
	mu     sync.Mutex
	acks   []string
	status map[int]int // response status → count; 0 for transport errors

	withoutRetryAfter atomic.Int64 // 503s that do not say when to retry
}

func startCreateLoad(key string, clients int, targets ...*server) *createLoad {
	l := &createLoad{done: make(chan struct{}), status: map[int]int{}}
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				target := targets[(w+i)%len(targets)]
				raw, _ := json.Marshal(map[string]any{"name": "Load", "email": fmt.Sprintf("load%d-%d@example.com", w, i)})
				req, _ := http.NewRequest(http.MethodPost, target.URL+"/api/v1/users", bytes.NewReader(raw))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-KEY", key)
				resp, err := client.Do(req)
				code := 0
				var u struct{ ID string }
				if err == nil {
					code = resp.StatusCode
					if code == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
						l.withoutRetryAfter.Add(1)
					}
					_ = json.NewDecoder(resp.Body).Decode(&u)
					resp.Body.Close()
				}
				l.mu.Lock()
				l.status[code]++
				if code == http.StatusCreated {
					l.acks = append(l.acks, u.ID)
					l.n.Add(1)
				}
				l.mu.Unlock()
				if code != http.StatusCreated {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *createLoad) acked() int64 { return l.n.Load() }

func (l *createLoad) stop() {
	close(l.done)
	l.wg.Wait()
}

func (l *createLoad) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acks...)
}

func (l *createLoad) statuses() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.status))
	for k, v := range l.status {
		out[k] = v
	}
	return out
}

func postJSON(t *testing.T, srv *server, path string, body any, want int) []byte {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}
