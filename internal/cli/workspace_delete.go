package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/app"
)

// deleteWorkspace deletes a workspace after showing what goes with it; it
// refuses without --yes, so a typo in a script cannot wipe a tenant.
func deleteWorkspace(ctx context.Context, a *app.App, args []string, yes bool, env Env) error {
	if len(args) != 1 {
		return errors.New("usage: roster workspaces delete NAME [--yes]")
	}
	ws, err := a.Access.WorkspaceByName(ctx, args[0])
	if err != nil {
		return err
	}
	contents, err := a.Access.WorkspaceContents(ctx, ws.ID)
	if err != nil {
		return err
	}
	parts := make([]string, len(contents))
	for i, c := range contents {
		parts[i] = fmt.Sprintf("%d %s", c.N, c.Label)
	}
	summary := fmt.Sprintf("workspace %q (id %d) with %s", ws.Name, ws.ID, strings.Join(parts, ", "))
	if !yes {
		return fmt.Errorf("this would delete %s, and everything else in it; run again with --yes to delete it", summary)
	}
	if err := a.Access.DeleteWorkspace(ctx, ws.ID); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "deleted %s\n", summary)
	return nil
}
