package events

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// View is an event as the API shows it and as webhooks deliver it (the
// Standard Webhooks payload: id, type, timestamp, data).
type View struct {
	ID          string          `json:"id" doc:"Stable, unique event id" example:"evt_3k9v2m8x1c7z5b4q6w0e1r2t"`
	Type        string          `json:"type" doc:"Event type, resource.action" example:"user.created"`
	Timestamp   string          `json:"timestamp" doc:"When the change happened, RFC 3339 UTC" example:"2026-01-02T15:04:05.123Z"`
	WorkspaceID int64           `json:"workspaceId" doc:"Workspace the change happened in"`
	Data        json.RawMessage `json:"data" doc:"The resource after the change (for deletions, as it was)"`
}

// Timestamp formats an event time the way every payload shows it.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// ViewOf returns the API view of e.
func ViewOf(e Event) View {
	return View{ID: e.ID, Type: e.Type, Timestamp: Timestamp(e.OccurredAt), WorkspaceID: e.WorkspaceID, Data: e.Data}
}

// ListInput is the input of events.list.
type ListInput struct {
	Type  string `query:"type" maxLength:"2000" doc:"Only these event types, comma-separated; resource.* selects a resource's events" example:"user.created,user.updated"`
	After string `query:"after" maxLength:"40" doc:"Cursor from a previous page's nextCursor: events after it"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size"`
}

// Page is a page of the event log, oldest first.
type Page struct {
	Events     []View `json:"events"`
	NextCursor string `json:"nextCursor" doc:"Pass as after to read on; also when this page is empty, to poll for newer events"`
	HasMore    bool   `json:"hasMore" doc:"More events follow right now"`
}

// PageOutput carries a page.
type PageOutput struct{ Body Page }

// IDInput addresses one event.
type IDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Event id"`
}

// ViewOutput carries one event.
type ViewOutput struct{ Body View }

// TriggerInput is the input of triggers.list.
type TriggerInput struct {
	Event string `path:"event" maxLength:"100" doc:"Event type, e.g. user.created" example:"user.created"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"How many of the newest events"`
}

// TriggerOutput is an array, newest first, as Zapier's polling expects.
type TriggerOutput struct{ Body []View }

// LastInput is the input of Konstantly's GET /webhook/{event}/last.
type LastInput struct {
	Event string `path:"event" maxLength:"100" doc:"Event type in dot notation, e.g. user.created"`
}

// KonstantlyEvent is the newest event of a type with Konstantly's envelope
// fields (occuredAt in Unix seconds, spelled as Konstantly spells it; body)
// beside Roster's.
type KonstantlyEvent struct {
	View
	OccuredAt int64           `json:"occuredAt" doc:"Unix seconds (Konstantly's spelling)"`
	Body      json.RawMessage `json:"body" doc:"Same as data (Konstantly's name)"`
}

// LastOutput carries it.
type LastOutput struct{ Body KonstantlyEvent }

// TypeInfo describes one event type.
type TypeInfo struct {
	Type   string   `json:"type" example:"user.created"`
	Scopes []string `json:"scopes" doc:"Read scopes a key needs to see, subscribe to or poll these events" example:"[\"users.readonly\"]"`
}

// TypesOutput lists event types.
type TypesOutput struct {
	Body struct {
		Types []TypeInfo `json:"types"`
	}
}

// Ops are the event log's operations.
type Ops struct {
	List    *op.Op[ListInput, PageOutput]
	Get     *op.Op[IDInput, ViewOutput]
	Types   *op.Op[struct{}, TypesOutput]
	Trigger *op.Op[TriggerInput, TriggerOutput]
	Last    *op.Op[LastInput, LastOutput]
}

// All lists them for the registry.
func (o Ops) All() []op.Any { return []op.Any{o.List, o.Get, o.Types, o.Trigger, o.Last} }

// konstantlyWindow is how far back GET /webhook/{event}/last looks.
const konstantlyWindow = 30 * 24 * time.Hour

// Ops defines the event operations over l.
func (l *Log) Ops() Ops {
	const tag = "Events"
	return Ops{
		List: &op.Op[ListInput, PageOutput]{
			ID: "events.list", Tag: tag, Scope: access.EventsRead, Method: http.MethodGet, Path: "/events",
			Summary: "List events",
			Description: "The workspace's event log, oldest first, `limit` at a time after the `after` cursor. Only events " +
				"of resources this key may read are listed (user.* needs users.readonly, and so on).",
			Run: func(ctx context.Context, p access.Principal, in *ListInput) (*PageOutput, error) {
				f := Filter{Limit: in.Limit + 1, Resources: visibleResources(p)}
				if in.After != "" {
					seq, ok := parseCursor(in.After)
					if !ok {
						return nil, fault.Invalid("after", "not a cursor from nextCursor")
					}
					f.AfterSeq = seq
				}
				types, err := typeFilter(p, in.Type)
				if err != nil {
					return nil, err
				}
				f.Types = types
				list, err := l.List(ctx, p.WorkspaceID, f)
				if err != nil {
					return nil, err
				}
				out := &PageOutput{Body: Page{Events: []View{}, NextCursor: in.After}}
				if len(list) > in.Limit {
					list, out.Body.HasMore = list[:in.Limit], true
				}
				for _, e := range list {
					out.Body.Events = append(out.Body.Events, ViewOf(e))
				}
				if len(list) > 0 {
					out.Body.NextCursor = cursor(list[len(list)-1].Seq)
				}
				return out, nil
			},
		},
		Get: &op.Op[IDInput, ViewOutput]{
			ID: "events.get", Tag: tag, Scope: access.EventsRead, Method: http.MethodGet, Path: "/events/{id}",
			Summary: "Get an event",
			Run: func(ctx context.Context, p access.Principal, in *IDInput) (*ViewOutput, error) {
				e, err := l.Get(ctx, l.db.Read(), p.WorkspaceID, in.ID)
				if err != nil {
					return nil, err
				}
				if !visible(p, e.Type) {
					return nil, fault.NotFound("event")
				}
				return &ViewOutput{Body: ViewOf(e)}, nil
			},
		},
		Types: &op.Op[struct{}, TypesOutput]{
			ID: "events.types", Tag: tag, Scope: access.EventsRead, Method: http.MethodGet, Path: "/event-types",
			Summary: "List event types",
			Description: "The event types Roster records, with the scope each needs: choices for a subscription or " +
				"trigger (a Zapier or n8n dropdown). Subscriptions also accept resource.* and *.",
			Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*TypesOutput, error) {
				out := &TypesOutput{}
				out.Body.Types = make([]TypeInfo, 0, len(KnownTypes))
				for _, t := range KnownTypes {
					scopes, _ := ScopesOf(t)
					info := TypeInfo{Type: t}
					for _, sc := range scopes {
						info.Scopes = append(info.Scopes, string(sc))
					}
					out.Body.Types = append(out.Body.Types, info)
				}
				return out, nil
			},
		},
		Trigger: &op.Op[TriggerInput, TriggerOutput]{
			ID: "triggers.list", Tag: tag, Scope: access.EventsRead, Method: http.MethodGet, Path: "/triggers/{event}",
			Summary: "Newest events of a type (polling trigger)",
			Description: "A JSON array of the newest events of one type, newest first, each with a unique `id`: a Zapier " +
				"polling trigger, and sample data for a REST hook trigger (`performList`; the hook payload is the " +
				"item's `data`). Needs the read scope of the event's resource too.",
			Run: func(ctx context.Context, p access.Principal, in *TriggerInput) (*TriggerOutput, error) {
				if err := checkType(p, "event", in.Event); err != nil {
					return nil, err
				}
				list, err := l.List(ctx, p.WorkspaceID, Filter{Types: []string{in.Event}, Limit: in.Limit, Newest: true})
				if err != nil {
					return nil, err
				}
				out := &TriggerOutput{Body: make([]View, 0, len(list))}
				for _, e := range list {
					out.Body = append(out.Body, ViewOf(e))
				}
				return out, nil
			},
		},
		Last: &op.Op[LastInput, LastOutput]{
			ID: "triggers.last", Tag: tag, Scope: access.EventsRead, Method: http.MethodGet, Path: "/webhook/{event}/last",
			Summary: "Newest event of a type (Konstantly)", Compat: true,
			Description: "Konstantly's `GET /webhook/{event}/last`: the newest event of the type from the last 30 days, " +
				"404 when there is none.",
			Run: func(ctx context.Context, p access.Principal, in *LastInput) (*LastOutput, error) {
				if err := checkType(p, "event", in.Event); err != nil {
					return nil, err
				}
				list, err := l.List(ctx, p.WorkspaceID, Filter{Types: []string{in.Event}, Limit: 1, Newest: true,
					Since: l.now().Add(-konstantlyWindow)})
				if err != nil {
					return nil, err
				}
				if len(list) == 0 {
					return nil, fault.NotFound("event")
				}
				v := ViewOf(list[0])
				return &LastOutput{Body: KonstantlyEvent{View: v, OccuredAt: list[0].OccurredAt.Unix(), Body: v.Data}}, nil
			},
		},
	}
}

// checkType validates a single concrete event type in field and that p may
// read its events.
func checkType(p access.Principal, field, typ string) error {
	scopes, ok := ScopesOf(typ)
	if !ok || strings.HasSuffix(typ, ".*") {
		return fault.Invalid(field, "unknown event type %q; use resource.action, e.g. user.created", typ)
	}
	return requireAll(p, scopes)
}

// typeFilter parses the type query parameter: concrete types and
// resource.* patterns the key may read.
func typeFilter(p access.Principal, raw string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(raw, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		scopes, ok := ScopesOf(t)
		if !ok {
			return nil, fault.Invalid("type", "unknown event type %q; use resource.action or resource.*", t)
		}
		if err := requireAll(p, scopes); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func visible(p access.Principal, typ string) bool {
	resources := visibleResources(p)
	if resources == nil {
		return true
	}
	resource, _, _ := strings.Cut(typ, ".")
	for _, r := range resources {
		if r == resource {
			return true
		}
	}
	return false
}

// Cursors are opaque to clients: "c" and the sequence number in base 36.
func cursor(seq int64) string { return "c" + strconv.FormatInt(seq, 36) }

func parseCursor(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "c")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 36, 64)
	return n, err == nil && n >= 0
}
