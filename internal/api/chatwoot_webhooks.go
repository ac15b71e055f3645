package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
	"github.com/rosterhq/roster/internal/webhooks"
)

// Chatwoot's webhooks are Roster's webhook endpoints. Their subscriptions
// are Roster event types (user.created, group.*, …): Chatwoot's events
// (conversation_created, …) have no counterpart. Deliveries are Roster's,
// signed with Standard Webhooks headers.

// ChatwootWebhook is an endpoint in Chatwoot's webhook shape.
type ChatwootWebhook struct {
	ID            string   `json:"id"`
	Name          string   `json:"name" doc:"The endpoint's description"`
	URL           string   `json:"url"`
	AccountID     int64    `json:"account_id"`
	Subscriptions []string `json:"subscriptions" doc:"Roster event types"`
	Status        string   `json:"status" enum:"active,paused,disabled"`
	Secret        string   `json:"secret,omitempty" doc:"Signing secret (whsec_…), in the create answer only: store it now"`
}

func chatwootWebhook(ws int64, e webhooks.Endpoint) ChatwootWebhook {
	return ChatwootWebhook{ID: e.ID, Name: e.Description, URL: e.URL, AccountID: ws, Subscriptions: e.EventTypes, Status: e.Status}
}

type webhookFields struct {
	URL           string `json:"url,omitempty" maxLength:"2000" doc:"Blank on update: unchanged"`
	Subscriptions any    `json:"subscriptions,omitempty" doc:"Roster event types such as user.created or user.*; empty on update: unchanged"`
	Name          string `json:"name,omitempty" maxLength:"500" doc:"Blank on update: unchanged"`
}

// WebhookIDInput addresses a webhook endpoint. Exported: huma finds path parameters only
// through exported embedded structs.
type WebhookIDInput struct {
	AccountIDParam
	WebhookID string `path:"webhook_id" maxLength:"64" doc:"Endpoint id"`
}

type webhookCreateInput struct {
	AccountIDParam
	Body webhookFields
}

type webhookUpdateInput struct {
	WebhookIDInput
	Body webhookFields
}

// Chatwoot wraps webhook answers in payload.
type webhookOutput struct {
	Body struct {
		Payload ChatwootWebhookPayload `json:"payload"`
	}
}

// ChatwootWebhookPayload holds one webhook.
type ChatwootWebhookPayload struct {
	Webhook ChatwootWebhook `json:"webhook"`
}

type webhooksOutput struct {
	Body struct {
		Payload ChatwootWebhooksPayload `json:"payload"`
	}
}

// ChatwootWebhooksPayload holds a list of webhooks.
type ChatwootWebhooksPayload struct {
	Webhooks []ChatwootWebhook `json:"webhooks"`
}

// subscriptions reads the event types; n8n's default [null] holds none.
func subscriptions(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fault.Invalid("subscriptions", "must be a list of Roster event types such as [\"user.created\"]")
	}
	var out []string
	for _, item := range items {
		switch x := item.(type) {
		case nil:
		case string:
			if strings.TrimSpace(x) != "" {
				out = append(out, strings.TrimSpace(x))
			}
		default:
			return nil, fault.Invalid("subscriptions", "must be a list of Roster event types such as [\"user.created\"]")
		}
	}
	return out, nil
}

var webhookFieldNames = map[string]string{"eventTypes": "subscriptions", "description": "name"}

func webhookOf(ws int64, e webhooks.Endpoint) *webhookOutput {
	out := &webhookOutput{}
	out.Body.Payload.Webhook = chatwootWebhook(ws, e)
	return out
}

func chatwootWebhookOps(reg *op.Registry) []op.Any {
	const tag = "Chatwoot"
	create := opOf[webhooks.CreateInput, webhooks.SecretOutput](reg, "webhooks.create")
	list := opOf[webhooks.ListInput, webhooks.EndpointPageOutput](reg, "webhooks.list")
	update := opOf[webhooks.UpdateInput, webhooks.EndpointOutput](reg, "webhooks.update")
	del := opOf[webhooks.IDParam, webhooks.NoContent](reg, "webhooks.delete")
	return []op.Any{
		&op.Op[accountOnly, webhooksOutput]{
			ID: "chatwoot.webhooks.list", Tag: tag, Scope: list.Scope, Method: http.MethodGet, Path: "/accounts/{account_id}/webhooks",
			Compat: true, Summary: "List webhooks (Chatwoot)", Description: "Up to 1,000 endpoints.",
			Run: func(ctx context.Context, p access.Principal, in *accountOnly) (*webhooksOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				out := &webhooksOutput{}
				out.Body.Payload.Webhooks = []ChatwootWebhook{}
				for offset := 0; offset < maxTeamList; offset += 100 {
					page, err := list.Call(ctx, p, &webhooks.ListInput{Offset: offset, Limit: 100})
					if err != nil {
						return nil, err
					}
					for _, e := range page.Body.Webhooks {
						out.Body.Payload.Webhooks = append(out.Body.Payload.Webhooks, chatwootWebhook(p.WorkspaceID, e))
					}
					if offset+len(page.Body.Webhooks) >= page.Body.TotalCount || len(page.Body.Webhooks) == 0 {
						break
					}
				}
				return out, nil
			},
		},
		&op.Op[webhookCreateInput, webhookOutput]{
			ID: "chatwoot.webhooks.create", Tag: tag, Scope: create.Scope, Method: http.MethodPost, Path: "/accounts/{account_id}/webhooks",
			Compat: true, Summary: "Create a webhook: subscriptions are Roster event types (Chatwoot)",
			Description: "Answers the signing secret once. Deliveries carry Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature).",
			Run: func(ctx context.Context, p access.Principal, in *webhookCreateInput) (*webhookOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				events, err := subscriptions(in.Body.Subscriptions)
				if err != nil {
					return nil, err
				}
				if len(events) == 0 {
					return nil, fault.Invalid("subscriptions", "must hold at least one Roster event type, such as user.created")
				}
				e, err := create.Call(ctx, p, &webhooks.CreateInput{Body: webhooks.EndpointCreate{URL: in.Body.URL, EventTypes: events, Description: in.Body.Name}})
				if err != nil {
					return nil, renameFields(err, webhookFieldNames, "")
				}
				out := webhookOf(p.WorkspaceID, e.Body.Endpoint)
				out.Body.Payload.Webhook.Secret = e.Body.Secret
				return out, nil
			},
		},
		&op.Op[webhookUpdateInput, webhookOutput]{
			ID: "chatwoot.webhooks.update", Tag: tag, Scope: update.Scope, Method: http.MethodPatch, Path: "/accounts/{account_id}/webhooks/{webhook_id}",
			Compat: true, Summary: "Update a webhook (Chatwoot)", Description: "Blank fields and empty subscriptions are left unchanged.",
			Run: func(ctx context.Context, p access.Principal, in *webhookUpdateInput) (*webhookOutput, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				events, err := subscriptions(in.Body.Subscriptions)
				if err != nil {
					return nil, err
				}
				e, err := update.Call(ctx, p, &webhooks.UpdateInput{IDParam: webhooks.IDParam{ID: in.WebhookID},
					Body: webhooks.EndpointUpdate{URL: blank(in.Body.URL), EventTypes: events, Description: blank(in.Body.Name)}})
				if err != nil {
					return nil, renameFields(err, webhookFieldNames, "")
				}
				return webhookOf(p.WorkspaceID, e.Body), nil
			},
		},
		&op.Op[WebhookIDInput, platformDeletedAccount]{
			ID: "chatwoot.webhooks.delete", Tag: tag, Scope: del.Scope, Method: http.MethodDelete, Path: "/accounts/{account_id}/webhooks/{webhook_id}",
			Compat: true, Summary: "Delete a webhook (Chatwoot)",
			Run: func(ctx context.Context, p access.Principal, in *WebhookIDInput) (*platformDeletedAccount, error) {
				if err := checkAccount(p, in.AccountID); err != nil {
					return nil, err
				}
				if _, err := del.Call(ctx, p, &webhooks.IDParam{ID: in.WebhookID}); err != nil {
					return nil, err
				}
				return deleted(in.WebhookID), nil
			},
		},
	}
}
