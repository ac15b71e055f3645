package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

// openAPI is `roster openapi`: it prints the OpenAPI document the server
// serves at /openapi.json, without starting one (for linters and client
// generators). The document does not depend on the data, so it is built on
// a throw-away SQLite database.
func openAPI(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("openapi", env)
	fs.StringVar(&c.cfg.PublicURL, "public-url", env.Getenv("ROSTER_PUBLIC_URL"), "URL named in the document's servers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "roster-openapi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c.cfg.DataDir, c.cfg.DatabaseURL, c.logLevel = dir, "", "error"
	a, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	doc, err := json.MarshalIndent(a.Server.API.OpenAPI(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode the OpenAPI document: %w", err)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", doc)
	return err
}
