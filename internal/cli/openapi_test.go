package cli

import (
	"encoding/json"
	"testing"
)

// TestOpenAPICommand: `roster openapi` prints the document alone on stdout,
// naming the public URL it is given.
func TestOpenAPICommand(t *testing.T) {
	out, errOut, err := run(t, map[string]string{"ROSTER_PUBLIC_URL": "https://roster.example.com/"}, "openapi")
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not the document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) < 50 || len(doc.Servers) != 1 || doc.Servers[0].URL != "https://roster.example.com" {
		t.Fatalf("document: openapi %q, %d paths, servers %+v", doc.OpenAPI, len(doc.Paths), doc.Servers)
	}
}
