package automation

import (
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/events"
)

// A workflow must not let a key see or send data it may not read itself:
// saving an event-triggered workflow needs the event's read scopes (as a
// webhook subscription does), and run history shows a trigger's data and a
// step's input and output only to keys holding the read scope of that data.

// eventScopesMissing lists the read scopes of the trigger's event that p
// lacks; empty for other triggers.
func eventScopesMissing(t Trigger, p access.Principal) []access.Scope {
	if t.Type != "event" {
		return nil
	}
	scopes, _ := events.ScopesOf(t.Event)
	var missing []access.Scope
	for _, sc := range scopes {
		if !p.Allows(sc) {
			missing = append(missing, sc)
		}
	}
	return missing
}

// readScopeOf is the scope that reads what an operation of scope sc touches:
// users.write reads and writes users, so its data needs users.readonly.
func readScopeOf(sc string) access.Scope {
	if base, ok := strings.CutSuffix(sc, ".write"); ok {
		return access.Scope(base + ".readonly")
	}
	return access.Scope(sc)
}

// visibleTo returns run with the data p may not read replaced by a note
// naming the scope it needs.
func (s *Service) visibleTo(run Run, p access.Principal) Run {
	if typ, ok := run.Trigger["type"].(string); ok && run.Trigger["data"] != nil {
		if scopes, known := events.ScopesOf(typ); known {
			for _, sc := range scopes {
				if !p.Allows(sc) {
					run.Trigger = map[string]any{"id": run.Trigger["id"], "type": typ, "timestamp": run.Trigger["timestamp"]}
					run.Redacted = redactedNote(sc)
					break
				}
			}
		}
	}
	for i, st := range run.Steps {
		e, ok := s.catalog.Entry(st.Op)
		if !ok || e.Scope == "" {
			continue
		}
		if need := readScopeOf(e.Scope); !p.Allows(need) {
			run.Steps[i].Input, run.Steps[i].Output = nil, nil
			run.Steps[i].Redacted = redactedNote(need)
		}
	}
	return run
}

func redactedNote(sc access.Scope) string {
	return "hidden: reading this data needs the " + string(sc) + " scope"
}
