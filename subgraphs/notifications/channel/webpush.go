package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
)

// WebPush sends push notifications to every browser a user subscribed,
// with VAPID (webpush-go encrypts each for its subscription).
type WebPush struct {
	Store      notify.PushStore
	PublicKey  string
	PrivateKey string
	Subject    string // mailto: or https: contact the push services may use
	ShopURL    string // opened when the notification is clicked
	Client     *http.Client
}

// PushPayload is what the storefront's service worker shows.
type PushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// Send pushes m to each of the recipient's devices. A device whose push
// service answers 404 or 410 unsubscribed and is forgotten. It succeeds if
// any device took it; only when every live one failed for a reason that
// may pass (5xx, 429, a timeout) is it retried.
func (w *WebPush) Send(ctx context.Context, m notify.Message) (string, error) {
	subs, err := w.Store.PushSubscriptions(ctx, m.Recipient)
	if err != nil {
		return "", err
	}
	title := m.Subject
	if title == "" {
		title = "MyShop"
	}
	body, _ := json.Marshal(PushPayload{Title: title, Body: m.BodyText, URL: w.ShopURL + "/shop/orders", Tag: m.EventType})
	// webpush-go prefixes "mailto:" to any subscriber that is no https URL:
	// give it the bare address, or the claim reads "mailto:mailto:…",
	// which push services may refuse.
	opts := &webpush.Options{Subscriber: strings.TrimPrefix(w.Subject, "mailto:"), VAPIDPublicKey: w.PublicKey, VAPIDPrivateKey: w.PrivateKey, TTL: int((24 * time.Hour).Seconds()),
		Urgency: webpush.UrgencyNormal, HTTPClient: w.Client}
	sent, gone := 0, 0
	var retry, permanent error
	for _, s := range subs {
		resp, err := webpush.SendNotificationWithContext(ctx, body, &webpush.Subscription{Endpoint: s.Endpoint, Keys: webpush.Keys{P256dh: s.P256dh, Auth: s.Auth}}, opts)
		if err != nil {
			retry = fmt.Errorf("push: %w", err)
			continue
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			sent++
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			gone++
			if _, err := w.Store.RemovePushSubscription(ctx, "", s.Endpoint); err != nil {
				return "", err
			}
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			retry = fmt.Errorf("push service answered %s", resp.Status)
		default:
			permanent = fmt.Errorf("push service answered %s", resp.Status)
		}
	}
	switch {
	case sent > 0:
		return "", nil // no reference: push services report nothing back
	case retry != nil:
		return "", retry
	case permanent != nil:
		return "", fmt.Errorf("%w: %v", notify.ErrPermanent, permanent)
	case gone > 0:
		return "", fmt.Errorf("%w: every device unsubscribed (404/410); their subscriptions are removed", notify.ErrPermanent)
	}
	return "", errors.Join(notify.ErrPermanent, errors.New("no device is subscribed to push"))
}
