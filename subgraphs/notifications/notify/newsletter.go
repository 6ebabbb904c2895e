package notify

import (
	"context"
	"strings"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Problem codes of a newsletter (NotificationErrorCode).
const (
	CodeInvalidTemplate = "INVALID_TEMPLATE"
	CodeRequired        = "REQUIRED"
)

// EventNewsletter is the event type of newsletter messages.
const EventNewsletter = "marketing.newsletter"

// NewsletterStore is what sending a newsletter needs from storage.
type NewsletterStore interface {
	// MarketingAudience are the contacts who opted into marketing email.
	MarketingAudience(ctx context.Context) ([]Contact, error)
	Enqueue(ctx context.Context, m Message) (bool, error)
}

// Newsletters sends marketing email to those who consented, and no one
// else: consent comes from the profile (users' marketingEmails) or
// setNotificationPreference, and one click on the unsubscribe link each
// message carries withdraws it.
type Newsletters struct {
	store NewsletterStore
	links *Service // signs the unsubscribe links
	newID func(string) string
}

// NewNewsletters returns the newsletter sender.
func NewNewsletters(store NewsletterStore, links *Service, newID func(string) string) *Newsletters {
	return &Newsletters{store: store, links: links, newID: newID}
}

// Send queues the newsletter for every consenting contact and returns how
// many. The template may use {{.name}} and {{.unsubscribeUrl}}; the text
// must contain the unsubscribe link.
func (n *Newsletters) Send(ctx context.Context, subject, text, html string) (int, error) {
	if _, err := auth.Require(ctx, ManageNotifications); err != nil {
		return 0, err
	}
	t := Template{EventType: EventNewsletter, Channel: Email, Subject: strings.TrimSpace(subject), BodyText: text, BodyHTML: html}
	switch {
	case t.Subject == "":
		return 0, &errs.Problem{Field: errs.Field("subject"), Code: CodeRequired, Message: "a subject is required"}
	case !strings.Contains(text, "{{.unsubscribeUrl}}"):
		return 0, &errs.Problem{Field: errs.Field("bodyText"), Code: CodeInvalidTemplate, Message: "the text must carry the unsubscribe link, {{.unsubscribeUrl}}"}
	}
	if _, err := t.Render(map[string]any{"name": "sample", "unsubscribeUrl": "https://shop.example/unsubscribe"}); err != nil {
		return 0, &errs.Problem{Field: errs.Field("bodyText"), Code: CodeInvalidTemplate, Message: "the template does not render with name and unsubscribeUrl: " + err.Error()}
	}
	audience, err := n.store.MarketingAudience(ctx)
	if err != nil {
		return 0, err
	}
	issue := n.newID("nl")
	for _, c := range audience {
		r, err := t.Render(map[string]any{"name": c.Name, "unsubscribeUrl": n.links.UnsubscribeURL(c.UserID, Marketing, Email)})
		if err != nil {
			return 0, err
		}
		m := Message{ID: n.newID("msg"), EventID: issue, EventType: EventNewsletter, Recipient: c.UserID, Channel: Email, Category: Marketing,
			To: c.Email, Subject: r.Subject, BodyText: r.Text, BodyHTML: r.HTML, Status: Queued}
		if _, err := n.store.Enqueue(ctx, m); err != nil {
			return 0, err
		}
	}
	return len(audience), nil
}
