package webhooks

import (
	"context"
	"database/sql"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// IDParam addresses one endpoint.
type IDParam struct {
	ID string `path:"id" maxLength:"64" doc:"Endpoint id"`
}

// DeliveryParam addresses one delivery of an endpoint.
type DeliveryParam struct {
	ID         string `path:"id" maxLength:"64" doc:"Endpoint id"`
	DeliveryID string `path:"deliveryId" maxLength:"64" doc:"Delivery id"`
}

// CreateInput is the input of webhooks.create.
type CreateInput struct{ Body EndpointCreate }

// UpdateInput is the input of webhooks.update.
type UpdateInput struct {
	IDParam
	Body EndpointUpdate
}

// ListInput is the input of webhooks.list.
type ListInput struct {
	Offset int `query:"offset" minimum:"0" default:"0"`
	Limit  int `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// DeliveriesInput is the input of webhooks.deliveries.
type DeliveriesInput struct {
	IDParam
	State     string `query:"state" enum:"pending,succeeded,failed,cancelled" doc:"Only deliveries in this state"`
	EventType string `query:"eventType" maxLength:"100" doc:"Only deliveries of this event type"`
	Offset    int    `query:"offset" minimum:"0" default:"0"`
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// ReplayRequest is the input of webhooks.replay.
type ReplayRequest struct {
	IDParam
	Body ReplayInput
}

// EndpointOutput carries an endpoint.
type EndpointOutput struct{ Body Endpoint }

// SecretOutput carries an endpoint with its secret.
type SecretOutput struct{ Body EndpointWithSecret }

// EndpointPageOutput carries a page of endpoints.
type EndpointPageOutput struct{ Body EndpointPage }

// DeliveryOutput carries a delivery.
type DeliveryOutput struct{ Body Delivery }

// DeliveryPageOutput carries a page of deliveries.
type DeliveryPageOutput struct{ Body DeliveryPage }

// ReplayOutput carries a replay's result.
type ReplayOutput struct{ Body ReplayResult }

// NoContent answers 204.
type NoContent struct{}

// HookSubscribe is a Zapier REST hook subscription. The URL may come as
// hookUrl, target_url (Zapier's legacy name) or url.
type HookSubscribe struct {
	HookURL   string `json:"hookUrl,omitempty" maxLength:"2000" doc:"URL to POST each event's resource to (Zapier's bundle.targetUrl)"`
	TargetURL string `json:"target_url,omitempty" maxLength:"2000" doc:"Same as hookUrl (Zapier's legacy name)"`
	URL       string `json:"url,omitempty" maxLength:"2000" doc:"Same as hookUrl"`
	Event     string `json:"event" minLength:"1" maxLength:"100" doc:"Event type, e.g. user.created" example:"user.created"`
}

// Hook is a REST hook subscription; Zapier keeps it as subscribeData.
type Hook struct {
	ID      string `json:"id" doc:"Subscription id; DELETE /hooks/{id} to unsubscribe" example:"ep_k3v9q2m8x1c7z5b4q6w0"`
	Event   string `json:"event" example:"user.created"`
	HookURL string `json:"hookUrl"`
	Status  string `json:"status" enum:"active,paused,disabled"`
}

// HookInput is the input of hooks.subscribe.
type HookInput struct{ Body HookSubscribe }

// HookOutput carries a subscription.
type HookOutput struct{ Body Hook }

// Ops are the webhook operations.
type Ops struct {
	Create      *op.Op[CreateInput, SecretOutput]
	List        *op.Op[ListInput, EndpointPageOutput]
	Get         *op.Op[IDParam, EndpointOutput]
	Update      *op.Op[UpdateInput, EndpointOutput]
	Delete      *op.Op[IDParam, NoContent]
	Pause       *op.Op[IDParam, EndpointOutput]
	Resume      *op.Op[IDParam, EndpointOutput]
	Rotate      *op.Op[IDParam, SecretOutput]
	Test        *op.Op[IDParam, DeliveryOutput]
	Deliveries  *op.Op[DeliveriesInput, DeliveryPageOutput]
	Delivery    *op.Op[DeliveryParam, DeliveryOutput]
	Retry       *op.Op[DeliveryParam, DeliveryOutput]
	Replay      *op.Op[ReplayRequest, ReplayOutput]
	Subscribe   *op.Op[HookInput, HookOutput]
	Unsubscribe *op.Op[IDParam, NoContent]
}

// All lists them for the registry.
func (o Ops) All() []op.Any {
	return []op.Any{o.Create, o.List, o.Get, o.Update, o.Delete, o.Pause, o.Resume, o.Rotate, o.Test,
		o.Deliveries, o.Delivery, o.Retry, o.Replay, o.Subscribe, o.Unsubscribe}
}

// Ops defines the webhook operations over s.
func (s *Service) Ops() Ops {
	const tag = "Webhooks"
	get := func(ctx context.Context, p access.Principal, in *IDParam) (*EndpointOutput, error) {
		e, err := s.GetEndpoint(ctx, p.WorkspaceID, in.ID)
		return &EndpointOutput{Body: e}, err
	}
	setStatus := func(status string) func(context.Context, access.Principal, *IDParam) (*EndpointOutput, error) {
		return func(ctx context.Context, p access.Principal, in *IDParam) (*EndpointOutput, error) {
			e, err := s.SetStatus(ctx, p, in.ID, status)
			return &EndpointOutput{Body: e}, err
		}
	}
	delivery := func(ctx context.Context, p access.Principal, in *DeliveryParam) (*DeliveryOutput, error) {
		d, err := s.GetDelivery(ctx, p.WorkspaceID, in.ID, in.DeliveryID)
		return &DeliveryOutput{Body: d}, err
	}
	return Ops{
		Create: &op.Op[CreateInput, SecretOutput]{
			ID: "webhooks.create", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks",
			Status: http.StatusCreated, Summary: "Create a webhook endpoint",
			Description: "Subscribes a URL to event types. The answer carries the signing secret (`whsec_…`) this " +
				"once. Requests follow Standard Webhooks: `webhook-id` (the event id), `webhook-timestamp`, " +
				"`webhook-signature` (v1, HMAC-SHA256). The key needs the read scope of every subscribed resource.",
			Run: func(ctx context.Context, p access.Principal, in *CreateInput) (*SecretOutput, error) {
				e, err := s.CreateEndpoint(ctx, p, in.Body)
				return &SecretOutput{Body: e}, err
			},
		},
		List: &op.Op[ListInput, EndpointPageOutput]{
			ID: "webhooks.list", Tag: tag, Scope: access.WebhooksRead, Method: http.MethodGet, Path: "/webhooks",
			Summary: "List webhook endpoints", Description: "Oldest first, REST hook subscriptions included.",
			Run: func(ctx context.Context, p access.Principal, in *ListInput) (*EndpointPageOutput, error) {
				page, err := s.ListEndpoints(ctx, p.WorkspaceID, in.Offset, in.Limit)
				return &EndpointPageOutput{Body: page}, err
			},
		},
		Get: &op.Op[IDParam, EndpointOutput]{
			ID: "webhooks.get", Tag: tag, Scope: access.WebhooksRead, Method: http.MethodGet, Path: "/webhooks/{id}",
			Summary: "Get a webhook endpoint", Run: get,
		},
		Update: &op.Op[UpdateInput, EndpointOutput]{
			ID: "webhooks.update", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPatch, Path: "/webhooks/{id}",
			Summary: "Update a webhook endpoint",
			Description: "Fields left out keep their values. `status: active` resumes a paused endpoint or one Roster " +
				"disabled, and clears its failure record.",
			Run: func(ctx context.Context, p access.Principal, in *UpdateInput) (*EndpointOutput, error) {
				e, err := s.UpdateEndpoint(ctx, p, in.ID, in.Body)
				return &EndpointOutput{Body: e}, err
			},
		},
		Delete: &op.Op[IDParam, NoContent]{
			ID: "webhooks.delete", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodDelete, Path: "/webhooks/{id}",
			Status: http.StatusNoContent, Summary: "Delete a webhook endpoint",
			Description: "Pending deliveries are cancelled.",
			Run: func(ctx context.Context, p access.Principal, in *IDParam) (*NoContent, error) {
				return &NoContent{}, s.DeleteEndpoint(ctx, p.WorkspaceID, in.ID)
			},
		},
		Pause: &op.Op[IDParam, EndpointOutput]{
			ID: "webhooks.pause", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks/{id}/pause",
			Summary: "Pause a webhook endpoint",
			Description: "No events are sent while paused, and pending deliveries are cancelled at their next attempt. " +
				"Resume, then replay the pause's time span to catch up.",
			Run: setStatus(StatusPaused),
		},
		Resume: &op.Op[IDParam, EndpointOutput]{
			ID: "webhooks.resume", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks/{id}/resume",
			Summary: "Resume a paused or disabled webhook endpoint", Run: setStatus(StatusActive),
		},
		Rotate: &op.Op[IDParam, SecretOutput]{
			ID: "webhooks.rotate_secret", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks/{id}/rotate-secret",
			Summary: "Rotate an endpoint's signing secret",
			Description: "Returns the new secret this once. For 24 hours requests carry two signatures, with the new " +
				"and the old secret, so the receiver can switch without missing a delivery.",
			Run: func(ctx context.Context, p access.Principal, in *IDParam) (*SecretOutput, error) {
				e, err := s.RotateSecret(ctx, p, in.ID)
				return &SecretOutput{Body: e}, err
			},
		},
		Test: &op.Op[IDParam, DeliveryOutput]{
			ID: "webhooks.test", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks/{id}/test",
			Status: http.StatusAccepted, Summary: "Send a test event",
			Description: "Queues a `webhook_endpoint.test` event to this endpoint only (even when paused) and returns " +
				"its delivery; follow it with `GET /webhooks/{id}/deliveries/{deliveryId}`.",
			Run: func(ctx context.Context, p access.Principal, in *IDParam) (*DeliveryOutput, error) {
				d, err := s.SendTest(ctx, p.WorkspaceID, in.ID)
				return &DeliveryOutput{Body: d}, err
			},
		},
		Deliveries: &op.Op[DeliveriesInput, DeliveryPageOutput]{
			ID: "webhooks.deliveries", Tag: tag, Scope: access.WebhooksRead, Method: http.MethodGet, Path: "/webhooks/{id}/deliveries",
			Summary: "List an endpoint's deliveries",
			Description: "Newest first, each with its attempts: status codes, latency, the first 1 KiB of each " +
				"response, and when the next attempt is due.",
			Run: func(ctx context.Context, p access.Principal, in *DeliveriesInput) (*DeliveryPageOutput, error) {
				page, err := s.ListDeliveries(ctx, p.WorkspaceID, in.ID, DeliveryFilter{State: in.State, EventType: in.EventType,
					Offset: in.Offset, Limit: in.Limit})
				return &DeliveryPageOutput{Body: page}, err
			},
		},
		Delivery: &op.Op[DeliveryParam, DeliveryOutput]{
			ID: "webhooks.delivery", Tag: tag, Scope: access.WebhooksRead, Method: http.MethodGet,
			Path: "/webhooks/{id}/deliveries/{deliveryId}", Summary: "Get a delivery", Run: delivery,
		},
		Retry: &op.Op[DeliveryParam, DeliveryOutput]{
			ID: "webhooks.retry", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost,
			Path: "/webhooks/{id}/deliveries/{deliveryId}/retry", Status: http.StatusAccepted,
			Summary:     "Send a delivery again",
			Description: "Sends a finished delivery again now, with a fresh retry schedule. 409 while it is still pending.",
			Run: func(ctx context.Context, p access.Principal, in *DeliveryParam) (*DeliveryOutput, error) {
				d, err := s.RetryDelivery(ctx, p.WorkspaceID, in.ID, in.DeliveryID)
				return &DeliveryOutput{Body: d}, err
			},
		},
		Replay: &op.Op[ReplayRequest, ReplayOutput]{
			ID: "webhooks.replay", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/webhooks/{id}/replay",
			Status: http.StatusAccepted, Summary: "Replay events since a time",
			Description: "Creates a new delivery to this endpoint for every subscribed event from `since` (at most 90 " +
				"days back, 10,000 events per call). `onlyFailed` skips events it already received.",
			Run: func(ctx context.Context, p access.Principal, in *ReplayRequest) (*ReplayOutput, error) {
				r, err := s.Replay(ctx, p.WorkspaceID, in.ID, in.Body)
				return &ReplayOutput{Body: r}, err
			},
		},
		Subscribe: &op.Op[HookInput, HookOutput]{
			ID: "hooks.subscribe", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodPost, Path: "/hooks",
			Status: http.StatusCreated, Summary: "Subscribe a REST hook (Zapier)",
			Description: "Zapier's `performSubscribe`: each event of the type is POSTed to the URL as the resource " +
				"object itself. Returns the subscription `id` for `DELETE /hooks/{id}`. A 410 Gone from the URL " +
				"unsubscribes it. The key needs the read scope of the event's resource.",
			Run: func(ctx context.Context, p access.Principal, in *HookInput) (*HookOutput, error) {
				h, err := s.Subscribe(ctx, p, in.Body)
				return &HookOutput{Body: h}, err
			},
		},
		Unsubscribe: &op.Op[IDParam, NoContent]{
			ID: "hooks.unsubscribe", Tag: tag, Scope: access.WebhooksWrite, Method: http.MethodDelete, Path: "/hooks/{id}",
			Status: http.StatusNoContent, Summary: "Unsubscribe a REST hook (Zapier)",
			Description: "Zapier's `performUnsubscribe`. Also 204 when the subscription is already gone (unsubscribed " +
				"before, or after its URL answered 410).",
			Run: func(ctx context.Context, p access.Principal, in *IDParam) (*NoContent, error) {
				return &NoContent{}, s.Unsubscribe(ctx, p.WorkspaceID, in.ID)
			},
		},
	}
}

// Subscribe creates a REST hook: an endpoint of kind rest_hook for one event
// type.
func (s *Service) Subscribe(ctx context.Context, p access.Principal, in HookSubscribe) (Hook, error) {
	url := in.HookURL
	for _, alt := range []string{in.TargetURL, in.URL} {
		if url == "" {
			url = alt
		}
	}
	if url == "" {
		return Hook{}, fault.Invalid("hookUrl", "is required (also accepted as target_url or url)")
	}
	if in.Event == "*" || strings.HasSuffix(in.Event, ".*") {
		return Hook{}, fault.Invalid("event", "name one event type, e.g. user.created")
	}
	e, err := s.create(ctx, p, KindRESTHook, EndpointCreate{URL: url, EventTypes: []string{in.Event}, Description: "REST hook"})
	if err != nil {
		return Hook{}, err
	}
	return Hook{ID: e.ID, Event: in.Event, HookURL: e.URL, Status: e.Status}, nil
}

// Unsubscribe deletes a REST hook. Deleting one already deleted succeeds, as
// Zapier expects; an id unknown in the workspace is not found.
func (s *Service) Unsubscribe(ctx context.Context, workspaceID int64, id string) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
			WHERE public_id = $1 AND workspace_id = $2`+s.lock(), id, workspaceID))
		if db.IsNoRows(err) {
			return fault.NotFound("hook")
		}
		if err != nil {
			return err
		}
		if r.status == statusDeleted {
			return nil
		}
		return s.tombstone(ctx, tx, r)
	})
}
