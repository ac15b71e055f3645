package faulttest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// pgCluster is a throwaway PostgreSQL server owned by one test, so the test
// may crash and restart it without disturbing the shared server other tests
// use.
type pgCluster struct {
	bin  string // directory holding initdb, pg_ctl and postgres
	dir  string // data directory, also the socket directory
	port int
	// asUser runs the server binaries as this user when the test runs as
	// root: PostgreSQL refuses to run as root.
	asUser string
}

// newPGCluster initialises a cluster in a fresh directory and starts it.
// It skips the test, loudly, when the PostgreSQL server binaries are not
// installed or cannot be run.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := findPGBin()
	if bin == "" {
		t.Skip("SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; the PostgreSQL restart test needs them")
	}
	c := &pgCluster{bin: bin, port: freePort(t)}
	dir, err := os.MkdirTemp("", "roster-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("SKIPPED: running as root and no postgres user to run a private PostgreSQL server as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if out, err := c.command("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	t.Cleanup(func() { _ = c.command("pg_ctl", "stop", "-D", data, "-m", "immediate", "-w").Run() })
	return c
}

// URL is the DSN of the cluster's default database.
func (c *pgCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=32MB", c.port, c.dir)
	cmd := c.command("pg_ctl", "start", "-D", filepath.Join(c.dir, "data"), "-w", "-t", "60",
		"-l", filepath.Join(c.dir, "server.log"), "-o", opts)
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		t.Fatalf("start PostgreSQL: %v\n%s\n%s", err, out, log)
	}
}

// crash stops the server the way a power cut would look to it: immediate
// mode kills every backend without a checkpoint, so the next start runs
// crash recovery from the write-ahead log.
func (c *pgCluster) crash(t *testing.T) {
	t.Helper()
	if out, err := c.command("pg_ctl", "stop", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w").CombinedOutput(); err != nil {
		t.Fatalf("crash PostgreSQL: %v\n%s", err, out)
	}
}

func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func findPGBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if dir := filepath.Dir(p); fileExists(filepath.Join(dir, "initdb")) {
			return dir
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
