package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/csvimport"
)

// importUsers is `roster import users.csv`: a client of the bulk users API,
// so it works against any Roster, local or remote.
func importUsers(ctx context.Context, args []string, env Env) error {
	fs, _ := newFlags("import", env)
	url := fs.String("url", envOr(env, "ROSTER_URL", "http://127.0.0.1:8080"), "Roster's base URL")
	key := fs.String("key", env.Getenv("ROSTER_API_KEY"), "API key with users.write (or ROSTER_API_KEY)")
	mapping := fs.String("map", "", `column mapping, e.g. "Full Name=name,Dept=customAttributes.department,Notes=-"`)
	onExisting := fs.String("on-existing", "error", "for an email that exists: error, skip or update")
	batch := fs.Int("batch", 0, "rows per request, at most 1000 (default: sized by the server's pace, starting at 1)")
	restart := fs.Bool("restart", false, "start from the first row even if an earlier run saved progress")
	if err := fs.Parse(reorderFlags(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: roster import [flags] users.csv")
	}
	if *key == "" {
		return errors.New("--key or ROSTER_API_KEY is required")
	}
	file := fs.Arg(0)
	bar := newProgressBar(env)
	p, err := csvimport.Run(ctx, csvimport.Options{
		File: file, URL: *url, Key: *key, Map: *mapping, OnExisting: *onExisting, Batch: *batch, Restart: *restart,
		Progress: bar.update,
		Warn:     func(msg string) { fmt.Fprintln(env.Stderr, "warning:", msg) },
	})
	bar.finish()
	summary := fmt.Sprintf("%d of %d rows: %d created, %d updated, %d skipped, %d rejected", p.Done, p.Rows, p.Created, p.Updated, p.Skipped, p.Rejected)
	if err != nil {
		fmt.Fprintf(env.Stderr, "import stopped after %s\nrun the same command again to resume\n", summary)
		return err
	}
	fmt.Fprintln(env.Stdout, "imported "+summary)
	if p.Rejected > 0 {
		fmt.Fprintf(env.Stdout, "rejected rows with reasons: %s\n", csvimport.RejectsFile(file))
	}
	return nil
}

// reorderFlags lets flags follow the file name (`roster import users.csv --batch 500`).
func reorderFlags(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}

func isBoolFlag(a string) bool { return strings.TrimLeft(a, "-") == "restart" }

// progressBar draws on a terminal after every batch and prints a line per
// 5 % elsewhere (logs, CI).
type progressBar struct {
	env      Env
	tty      bool
	start    time.Time
	lastTier int
}

func newProgressBar(env Env) *progressBar {
	tty := false
	if f, ok := env.Stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{env: env, tty: tty, start: time.Now(), lastTier: -1}
}

func (b *progressBar) update(p csvimport.Progress) {
	if p.Rows == 0 {
		return
	}
	if p.Resumed && b.lastTier == -1 {
		fmt.Fprintf(b.env.Stderr, "resuming after row %d\n", p.Done)
	}
	frac := float64(p.Done) / float64(p.Rows)
	rate := float64(p.Done) / max(time.Since(b.start).Seconds(), 0.001)
	if b.tty {
		const width = 30
		filled := int(frac * width)
		fmt.Fprintf(b.env.Stderr, "\r[%s%s] %d/%d rows  %d rejected  %.0f rows/s ",
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.Done, p.Rows, p.Rejected, rate)
		b.lastTier = 0
		return
	}
	if tier := int(frac * 20); tier != b.lastTier {
		b.lastTier = tier
		fmt.Fprintf(b.env.Stderr, "%3.0f%%  %d/%d rows  %d rejected\n", frac*100, p.Done, p.Rows, p.Rejected)
	}
}

func (b *progressBar) finish() {
	if b.tty {
		fmt.Fprintln(b.env.Stderr)
	}
}
