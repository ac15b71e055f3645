// Package faulttest holds tests that run the real roster binary as a child
// process and kill it (SIGKILL) under load, then check that nothing
// acknowledged was lost.
package faulttest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// rosterBinary builds cmd/roster once per test process.
func rosterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roster-fault-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "roster")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/rosterhq/roster/cmd/roster").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build roster: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// server is a roster child process.
type server struct {
	URL    string
	Key    string // the admin key printed on first start, if any
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var keyLine = regexp.MustCompile(`rk_[A-Za-z0-9]{44}`)

// startServer runs `roster serve` with env and waits until it is healthy.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(rosterBinary(t), "serve", "--addr", addr, "--log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	s := &server{URL: "http://" + addr, cmd: cmd, stderr: &lockedBuffer{}}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	keyc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.stderr, line)
			if k := keyLine.FindString(line); k != "" && !sent {
				keyc <- k
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				select {
				case s.Key = <-keyc:
				case <-time.After(200 * time.Millisecond):
				}
				return s
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("roster did not become ready:\n%s", s.stderr)
	return nil
}

// kill sends SIGKILL: no shutdown code runs.
func (s *server) kill() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_, _ = s.cmd.Process.Wait()
	}
}

// stop sends SIGTERM and waits for the graceful shutdown.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { _, err := s.cmd.Process.Wait(); done <- err }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("roster did not stop on SIGTERM")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
