module roster.invalid/n8nhost

// This file keeps the Go tool out of node_modules (some npm packages ship
// Go sources): `go test ./...` in the repository root stops here.
