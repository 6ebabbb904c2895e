package graph

import (
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/payload"

	"github.com/myshop/supergraph/subgraphs/notifications/graph/model"
	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
)

func fromInput(in model.NotificationTemplateInput) notify.Template {
	t := notify.Template{EventType: in.EventType, Channel: notify.Channel(in.Channel), BodyText: in.BodyText}
	if in.Locale != nil {
		t.Locale = *in.Locale
	}
	if in.Subject != nil {
		t.Subject = *in.Subject
	}
	if in.BodyHTML != nil {
		t.BodyHTML = *in.BodyHTML
	}
	return t
}

func toTemplate(t notify.Template) *model.NotificationTemplate {
	return &model.NotificationTemplate{EventType: t.EventType, Channel: model.NotificationChannel(t.Channel), Locale: t.Locale,
		Version: t.Version, Subject: t.Subject, BodyText: t.BodyText, BodyHTML: t.BodyHTML}
}

func toNotifications(ms []notify.Message) []*model.Notification {
	out := make([]*model.Notification, len(ms))
	for i, m := range ms {
		n := &model.Notification{ID: m.ID, EventType: m.EventType, Channel: model.NotificationChannel(m.Channel),
			Category: model.NotificationCategory(m.Category), To: m.To, Subject: m.Subject, BodyText: m.BodyText,
			Status: model.NotificationStatus(m.Status), Attempts: m.Attempts, LastError: m.LastError,
			CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339Nano), History: []*model.NotificationStatusChange{}}
		for _, h := range m.History {
			n.History = append(n.History, &model.NotificationStatusChange{Status: string(h.Status), At: h.At.UTC().Format(time.RFC3339Nano), Detail: h.Detail})
		}
		out[i] = n
	}
	return out
}

func toPhone(p *notify.Phone) *model.PhoneNumber {
	if p == nil {
		return nil
	}
	return &model.PhoneNumber{Number: p.Number, Verified: p.Verified}
}

func phonePayload(p *notify.Phone, err error) (*model.PhonePayload, error) {
	errors, err := notificationErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.PhonePayload{Phone: toPhone(p), Errors: errors}, nil
}

func notificationErrors(err error) ([]*model.NotificationError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.NotificationErrorCode) *model.NotificationError {
		return &model.NotificationError{Field: p.Field, Message: p.Message, Code: code}
	})
}

func toWebhook(w hooks.Webhook) *model.Webhook {
	return &model.Webhook{ID: w.ID, Name: w.Name, URL: w.URL, EventTypes: w.EventTypes, Active: w.Active,
		DisabledReason: w.DisabledReason, CreatedAt: w.CreatedAt.UTC().Format(time.RFC3339Nano)}
}

func webhookPayload(w hooks.Webhook, err error) (*model.WebhookPayload, error) {
	errors, err := notificationErrors(err)
	if err != nil || len(errors) > 0 {
		return &model.WebhookPayload{Errors: errors}, err
	}
	return &model.WebhookPayload{Webhook: toWebhook(w), Errors: errors}, nil
}

func toDelivery(d hooks.Delivery) *model.WebhookDelivery {
	out := &model.WebhookDelivery{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: model.WebhookDeliveryStatus(d.Status),
		LastError: d.LastError, CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339Nano), Attempts: []*model.WebhookAttempt{}}
	if d.Status == hooks.Pending {
		next := d.NextAt.UTC().Format(time.RFC3339Nano)
		out.NextAttemptAt = &next
	}
	if d.DeliveredAt != nil {
		at := d.DeliveredAt.UTC().Format(time.RFC3339Nano)
		out.DeliveredAt = &at
	}
	if d.ReplayOf != "" {
		out.ReplayOf = &d.ReplayOf
	}
	for _, a := range d.Log {
		wa := &model.WebhookAttempt{At: a.At.UTC().Format(time.RFC3339Nano), ResponseTimeMs: int(a.Duration.Milliseconds()), Error: a.Error}
		if a.StatusCode != 0 {
			code := a.StatusCode
			wa.StatusCode = &code
		}
		out.Attempts = append(out.Attempts, wa)
	}
	return out
}
