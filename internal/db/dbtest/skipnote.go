package dbtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// skipNote is the one line a test run prints when PostgreSQL tests skip.
var skipNote = fmt.Sprintf("*** PostgreSQL tests SKIPPED in this run: %s is not set "+
	"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable; .ci/run sets it) ***\n", EnvPostgresDSN)

// announceSkip makes the skip visible in a plain `go test ./...`, which
// shows a passing package's output only under -v: the line also goes to
// the terminal directly (/dev/tty), once per `go test` run however many
// packages skip. Without a terminal (CI, output piped with no controlling
// terminal) stderr carries it, as before.
func announceSkip() {
	fmt.Fprint(os.Stderr, "\n"+skipNote+"\n")
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer tty.Close()
	announceOnce(tty, os.TempDir(), runKey())
}

// announceOnce writes the note to w unless another test binary of the same
// run did: the first to create the run's marker file in dir writes it.
func announceOnce(w io.Writer, dir, run string) bool {
	marker := filepath.Join(dir, "roster-pg-skip-"+run)
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	fmt.Fprint(w, skipNote)
	// Markers of runs older than a day are done with.
	old, _ := filepath.Glob(filepath.Join(dir, "roster-pg-skip-*"))
	for _, m := range old {
		if st, err := os.Stat(m); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			_ = os.Remove(m)
		}
	}
	return true
}

// runKey names the `go test` run: every test binary of a run is a child of
// the same go command, identified by its pid and start time (pids are
// reused).
func runKey() string {
	ppid := os.Getppid()
	key := fmt.Sprint(ppid)
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ppid)); err == nil {
		// Fields after the command name, which is in parentheses and may
		// hold spaces; the start time is field 22 of the line, the 20th here.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 19 {
				key += "-" + f[19]
			}
		}
	}
	return key
}
