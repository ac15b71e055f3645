package csvimport_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/csvimport"
)

func writeCSV(t *testing.T, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.csv")
	var b strings.Builder
	b.WriteString("\ufeffFull Name,E-mail,Role,Time zone,Department,Cost Centre\n")
	for i := 0; i < rows; i++ {
		email := fmt.Sprintf("user%d@example.com", i)
		tz := "Europe/Berlin"
		switch {
		case i%500 == 7:
			email = "broken-" + fmt.Sprint(i)
		case i%500 == 9:
			tz = "Moon/Base"
		}
		fmt.Fprintf(&b, "User %d,%s,learner,%s,Dept %d,CC-%d\n", i, email, tz, i%7, i%3)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportResumesAndReportsRejects(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		file := writeCSV(t, 2500)
		opts := csvimport.Options{File: file, URL: s.URL, Key: tenant.Key, Batch: 1000, Client: s.Client,
			Map: "E-mail=email,Time zone=timezone,Cost Centre=-"}

		// Interrupt after the first batch, as a crash or Ctrl-C would.
		ctx, cancel := context.WithCancel(context.Background())
		first := opts
		first.Progress = func(p csvimport.Progress) {
			if p.Done >= 1000 {
				cancel()
			}
		}
		p, err := csvimport.Run(ctx, first)
		if err == nil || p.Done != 1000 {
			t.Fatalf("interrupted run: %+v %v", p, err)
		}
		p, err = csvimport.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Resumed || p.Done != 2500 || p.Created != 2490 || p.Rejected != 10 {
			t.Fatalf("resumed run: %+v", p)
		}
		if n := s.Count(t, "users"); n != 2490 {
			t.Fatalf("%d users, want 2490", n)
		}
		var page struct {
			Users []struct {
				Name             string         `json:"name"`
				Timezone         string         `json:"timezone"`
				CustomAttributes map[string]any `json:"customAttributes"`
			} `json:"users"`
		}
		tenant.Call(t, "GET", "/api/v1/users?email=user3@example.com", nil).Expect(t, 200).JSON(t, &page)
		if len(page.Users) != 1 || page.Users[0].Name != "User 3" || page.Users[0].Timezone != "Europe/Berlin" ||
			page.Users[0].CustomAttributes["Department"] != "Dept 3" || page.Users[0].CustomAttributes["Cost_Centre"] != nil {
			t.Fatalf("mapped user: %+v", page.Users)
		}

		f, err := os.Open(csvimport.RejectsFile(file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rejects, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rejects) != 11 || rejects[0][0] != "row" || rejects[1][0] != "8" || !strings.Contains(rejects[1][1], "email:") ||
			!strings.Contains(rejects[2][1], "timezone:") {
			t.Fatalf("rejects file: %v", rejects[:3])
		}

		// A finished import run again changes nothing; --restart with skip re-sends harmlessly.
		p, err = csvimport.Run(context.Background(), opts)
		if err != nil || p.Created != 2490 || s.Count(t, "users") != 2490 {
			t.Fatalf("rerun: %+v %v", p, err)
		}
		again := opts
		again.Restart, again.OnExisting = true, "skip"
		p, err = csvimport.Run(context.Background(), again)
		if err != nil || p.Skipped != 2490 || s.Count(t, "users") != 2490 {
			t.Fatalf("restart with skip: %+v %v", p, err)
		}
	})
}

func TestMapping(t *testing.T) {
	cases := []struct {
		header  []string
		explict string
		want    string
		wantErr string
	}{
		{[]string{"Name", "Email"}, "", "name,email", ""},
		{[]string{"Full Name", "Email Address", "Job Title", "TZ"}, "", "name,email,occupation,timezone", ""},
		{[]string{"name", "email", "Employee Number"}, "", "name,email,customAttributes.Employee_Number", ""},
		{[]string{"n", "e"}, "n=name,e=email", "name,email", ""},
		{[]string{"name", "email", "x"}, "x=-", "name,email,", ""},
		{[]string{"name"}, "", "", "needs columns for name and email"},
		{[]string{"name", "email"}, "nope=id", "", `no column "nope"`},
		{[]string{"name", "email", "x"}, "x=shoeSize", "", "not a user field"},
		{[]string{"name", "Email", "mail"}, "", "", "two columns map to email"},
	}
	for _, tc := range cases {
		m, _, err := csvimport.NewMapping(tc.header, tc.explict)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v %q: error %v, want %q", tc.header, tc.explict, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(m, ",") != tc.want {
			t.Errorf("%v %q: %v %v, want %s", tc.header, tc.explict, m, err, tc.want)
		}
	}
}

// TestImportBadRowsInTheMiddle: rows the server refuses and rows that are
// not even valid CSV, in the middle of the file, go to the rejects file with
// their row numbers and reasons; every other row is imported, and progress
// is reported in many small steps rather than once at the end.
func TestImportBadRowsInTheMiddle(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		bad := map[int]string{ // 1-based data row → line, and the reason expected
			20: "User 20,not-an-email,learner",
			21: `User 21,u21@example.com,lea"rner`,
			22: "User 22,u22@example.com,learner,surplus",
			23: "User 23,u23@example.com,boss",
			24: "User 24,u1@example.com,learner",
			25: ",u25@example.com,learner",
		}
		reasons := map[int]string{20: "email:", 21: "malformed CSV", 22: "header has 3 columns", 23: "roleAlias:",
			24: "already exists", 25: "name:"}
		var b strings.Builder
		b.WriteString("Name,Email,Role\n")
		const rows = 60
		for i := 1; i <= rows; i++ {
			if line, ok := bad[i]; ok {
				b.WriteString(line + "\n")
				continue
			}
			fmt.Fprintf(&b, "User %d,u%d@example.com,learner\n", i, i)
		}
		file := filepath.Join(t.TempDir(), "users.csv")
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		var steps []int
		p, err := csvimport.Run(context.Background(), csvimport.Options{File: file, URL: s.URL, Key: tenant.Key, Client: s.Client,
			Progress: func(p csvimport.Progress) { steps = append(steps, p.Done) }})
		if err != nil {
			t.Fatal(err)
		}
		if p.Done != rows || p.Created != rows-len(bad) || p.Rejected != len(bad) || s.Count(t, "users") != rows-len(bad) {
			t.Fatalf("progress %+v, %d users", p, s.Count(t, "users"))
		}
		// Auto-sized batches: one row first, never more than a twentieth.
		if len(steps) < 20 || steps[0] != 0 || steps[1] != 1 {
			t.Fatalf("progress steps: %v", steps)
		}
		for i := 1; i < len(steps); i++ {
			if d := steps[i] - steps[i-1]; d < 1 || d > rows/20 {
				t.Fatalf("progress steps: %v", steps)
			}
		}

		f, err := os.Open(csvimport.RejectsFile(file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		got, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1+len(bad) || strings.Join(got[0], ",") != "row,reason,Name,Email,Role" {
			t.Fatalf("rejects: %q", got)
		}
		for i, rec := range got[1:] {
			row := 20 + i
			if rec[0] != fmt.Sprint(row) || !strings.Contains(rec[1], reasons[row]) {
				t.Errorf("reject %d: %q, want row %d with %q", i, rec, row, reasons[row])
			}
		}
		// Rows after the bad ones are there, with their fields.
		var page struct {
			Users []struct{ Name string } `json:"users"`
		}
		tenant.Call(t, "GET", "/api/v1/users?email=u26@example.com", nil).Expect(t, 200).JSON(t, &page)
		if len(page.Users) != 1 || page.Users[0].Name != "User 26" {
			t.Fatalf("row 26: %+v", page.Users)
		}
	})
}

// lostAnswer passes requests on but loses the answer to the nth, as a
// dropped connection would after the server applied the batch, and then
// stops the import.
type lostAnswer struct {
	next   http.RoundTripper
	n      int
	cancel context.CancelFunc
	calls  int
}

func (l *lostAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if l.calls++; l.calls == l.n && err == nil {
		resp.Body.Close()
		l.cancel()
		return nil, errors.New("connection reset after the server answered")
	}
	return resp, err
}

// TestImportResumesALostBatch: a run stopped while a batch was in flight
// (applied by the server, answer lost) resumes with that same batch, so its
// rows count as created rather than coming back as "already exists".
func TestImportResumesALostBatch(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		file := writeCSV(t, 120) // rows 8 and 10 are bad
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := csvimport.Options{File: file, URL: s.URL, Key: tenant.Key, Map: "E-mail=email,Time zone=timezone"}
		first := opts
		first.Client = &http.Client{Transport: &lostAnswer{next: s.Client.Transport, n: 4, cancel: cancel}}
		p, err := csvimport.Run(ctx, first)
		if err == nil || p.PendingEnd <= p.Done {
			t.Fatalf("interrupted run: %+v %v", p, err)
		}
		if n := s.Count(t, "users"); n <= p.Created {
			t.Fatalf("the lost batch was not applied: %d users, %+v", n, p)
		}
		opts.Client = s.Client
		p, err = csvimport.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if p.Created != 118 || p.Rejected != 2 || s.Count(t, "users") != 118 {
			t.Fatalf("resumed run: %+v, %d users", p, s.Count(t, "users"))
		}
	})
}
