package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/backup"
	"github.com/rosterhq/roster/internal/db"
)

// generatedKey makes a test server use the key file generated in its data
// directory, as a SQLite server without ROSTER_SECRET_KEY does.
func generatedKey(c *app.Config) { c.SecretKey = "" }

// TestBackupUnderLoadAndRestore backs up a live SQLite server while writers
// create users, restores the backup into a new data directory (after being
// refused while the server holds the old one) and starts a server on it:
// every create acknowledged before the backup began is there with its event,
// and a webhook endpoint's secret still signs deliveries that verify.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "roster.db")
	s := apptest.Start(t, db.SQLite, apptest.WithDatabaseURL(dbPath), generatedKey)
	tenant := s.Tenant(t)

	rcURL, received, bodies := receiver(t)
	var ep struct{ ID, Secret string }
	tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rcURL, "eventTypes": []string{"group.created"}}).
		Expect(t, http.StatusCreated).JSON(t, &ep)

	load := startCreateLoad(t, s, tenant)
	load.waitFor(100)
	before := load.acked()
	file := filepath.Join(t.TempDir(), "backups", "roster-backup.db")
	out, _, err := run(t, map[string]string{"ROSTER_DATABASE_URL": dbPath}, "backup", file)
	if err != nil {
		t.Fatal(err)
	}
	load.stop(t)
	if !strings.Contains(out, "secret key file copied") {
		t.Fatalf("backup output: %s", out)
	}
	t.Logf("backup taken with %d creates acknowledged before it; %d in all", len(before), len(load.acked()))

	// The running server holds its database: no restore over it.
	if _, _, err := run(t, map[string]string{"ROSTER_DATA_DIR": dir}, "restore", file); !errors.Is(err, backup.ErrInUse) {
		t.Fatalf("restore over a running server: %v, want ErrInUse", err)
	}

	newDir := t.TempDir()
	out, _, err = run(t, map[string]string{"ROSTER_DATA_DIR": newDir}, "restore", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(newDir, backup.KeyFileName)); err != nil {
		t.Fatalf("no key file restored: %v\n%s", err, out)
	}
	s2 := apptest.Start(t, db.SQLite, apptest.WithDatabaseURL(filepath.Join(newDir, "roster.db")), generatedKey)
	checkRestored(t, s2, tenant, before, ep.ID, ep.Secret, received, bodies)
}

// checkRestored checks a server started on restored data: every create in
// acked is there with its event, and the endpoint's secret (decrypted with
// the restored key) signs a test delivery that verifies with the secret
// shown at creation.
func checkRestored(t *testing.T, s2 *apptest.Server, tenant *apptest.Tenant, acked []string, endpointID, secret string,
	received chan *http.Request, bodies chan []byte) {
	t.Helper()
	t2 := s2.Adopt(tenant)
	for _, id := range acked {
		t2.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK)
	}
	// Consistent: each restored user came with its event, nothing halfway.
	var users, events int
	ctx := context.Background()
	if err := s2.App.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if err := s2.App.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if users < len(acked) || users != events {
		t.Fatalf("restored %d users and %d user.created events; %d were acknowledged before the backup", users, events, len(acked))
	}
	t2.Call(t, http.MethodPost, "/api/v1/webhooks/"+endpointID+"/test", nil).Expect(t, http.StatusAccepted)
	select {
	case r := <-received:
		body := <-bodies
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, r.Header); err != nil {
			t.Fatalf("a delivery from the restored server does not verify with the original secret: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the restored server sent no test delivery")
	}
}

// createLoad is writers creating users until stopped; each 201 is an
// acknowledged write.
type createLoad struct {
	mu    sync.Mutex
	ids   []string
	done  atomic.Bool
	wg    sync.WaitGroup
	fails atomic.Int32
}

func startCreateLoad(t *testing.T, s *apptest.Server, tenant *apptest.Tenant) *createLoad {
	l := &createLoad{}
	prefix := access.NewID(6)
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.done.Load() && i < 5000; i++ {
				body, _ := json.Marshal(map[string]any{"name": "Load", "email": fmt.Sprintf("%s-%d-%d@example.com", prefix, w, i)})
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/users", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-KEY", tenant.Key)
				resp, err := s.Client.Do(req)
				if err != nil {
					l.fails.Add(1)
					continue
				}
				var u struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&u)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					l.fails.Add(1)
					continue
				}
				l.mu.Lock()
				l.ids = append(l.ids, u.ID)
				l.mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() { l.done.Store(true); l.wg.Wait() })
	return l
}

func (l *createLoad) acked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

func (l *createLoad) waitFor(n int) {
	for len(l.acked()) < n {
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *createLoad) stop(t *testing.T) {
	t.Helper()
	l.done.Store(true)
	l.wg.Wait()
	if n := l.fails.Load(); n > 0 {
		t.Fatalf("%d creates failed under load", n)
	}
}

// receiver records webhook requests.
func receiver(t *testing.T) (string, chan *http.Request, chan []byte) {
	received := make(chan *http.Request, 16)
	bodies := make(chan []byte, 16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- r
		bodies <- b
	}))
	t.Cleanup(rc.Close)
	return rc.URL, received, bodies
}

// Restore refuses what is not a Roster backup, and PostgreSQL (pg_restore
// is the tool there); backup refuses PostgreSQL likewise.
func TestRestoreRefusals(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, just text"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"junk file", map[string]string{"ROSTER_DATA_DIR": t.TempDir()}, []string{"restore", junk}, "not a usable Roster backup"},
		{"missing file", map[string]string{"ROSTER_DATA_DIR": t.TempDir()}, []string{"restore", junk + ".nope"}, "not a usable Roster backup"},
		{"no file", map[string]string{"ROSTER_DATA_DIR": t.TempDir()}, []string{"restore"}, "usage"},
		{"postgres restore", map[string]string{"ROSTER_DATABASE_URL": "postgres://x@127.0.0.1/db"}, []string{"restore", junk}, "pg_restore"},
		{"postgres backup", map[string]string{"ROSTER_DATABASE_URL": "postgres://x@127.0.0.1/db"}, []string{"backup", junk}, "pg_dump"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := run(t, c.env, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v: %v, want an error saying %q", c.args, err, c.want)
			}
		})
	}
}
