package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the server while the test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// served is a `roster serve` running in the test process.
type served struct {
	URL    string
	Key    string // the admin key printed at first start ("" on later starts)
	Stderr *syncBuffer
	stop   func() error
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `roster serve` with env (plus a free --addr) until the test
// ends or Stop is called.
func startServe(t *testing.T, env map[string]string, args ...string) *served {
	t.Helper()
	s, err := launchServe(t, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchServe is startServe for other goroutines than the test's: it
// reports a failure to start instead of failing the test.
func launchServe(t *testing.T, env map[string]string, args ...string) (*served, error) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{URL: "http://" + addr, Stderr: &syncBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", addr}, args...),
			Env{Getenv: func(k string) string { return env[k] }, Stdout: io.Discard, Stderr: s.Stderr})
	}()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { _ = s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			done <- err
			return nil, fmt.Errorf("serve stopped: %v\n%s", err, s.Stderr)
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("serve never became healthy:\n%s", s.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Key = regexp.MustCompile(`rk_[A-Za-z0-9]{44}`).FindString(s.Stderr.String())
	return s, nil
}

// Stop shuts the server down and returns what Run returned.
func (s *served) Stop() error { return s.stop() }

// call sends a JSON request with the admin key and decodes a JSON answer
// into out (when not nil), failing unless the status is want.
func (s *served) call(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Key != "" {
		req.Header.Set("X-API-KEY", s.Key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("decode %s: %v", data, err)
		}
	}
}

// logLines returns the lines of the server's log that contain all of the
// substrings.
func (s *served) logLines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(s.Stderr.String(), "\n") {
		ok := line != ""
		for _, sub := range subs {
			ok = ok && strings.Contains(line, sub)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}
