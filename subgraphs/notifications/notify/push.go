package notify

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Problem code of push registration (NotificationErrorCode).
const CodeInvalidSubscription = "INVALID_SUBSCRIPTION"

// PushSubscription is a browser's PushSubscription: the push service's
// endpoint and the keys that encrypt what is sent to it.
type PushSubscription struct {
	Endpoint string
	P256dh   string // base64url, the browser's P-256 public key
	Auth     string // base64url, 16 bytes
}

// PushStore is what push registration needs from storage.
type PushStore interface {
	SavePushSubscription(ctx context.Context, userID string, s PushSubscription) error
	// RemovePushSubscription drops endpoint of userID ("" for anyone's).
	RemovePushSubscription(ctx context.Context, userID, endpoint string) (bool, error)
	PushSubscriptions(ctx context.Context, userID string) ([]PushSubscription, error)
}

// Pushes registers the devices Web Push goes to.
type Pushes struct {
	store     PushStore
	publicKey string // VAPID; "" when push is not configured
}

// NewPushes returns push registration; publicKey is the VAPID public key
// browsers subscribe with ("" when push is off).
func NewPushes(store PushStore, publicKey string) *Pushes {
	return &Pushes{store: store, publicKey: publicKey}
}

// PublicKey is the VAPID key the browser passes as applicationServerKey.
func (p *Pushes) PublicKey() string { return p.publicKey }

// Register keeps the caller's device subscription.
func (p *Pushes) Register(ctx context.Context, s PushSubscription) (PushSubscription, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return PushSubscription{}, err
	}
	if p.publicKey == "" {
		return PushSubscription{}, errs.New(errs.Invalid, "push notifications are not configured on this shop")
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return PushSubscription{}, &errs.Problem{Field: errs.Field("endpoint"), Code: CodeInvalidSubscription, Message: "the endpoint must be the push service's https URL"}
	}
	if k, err := decodeKey(s.P256dh); err != nil || len(k) != 65 {
		return PushSubscription{}, &errs.Problem{Field: errs.Field("p256dh"), Code: CodeInvalidSubscription, Message: "p256dh must be the subscription's base64url P-256 public key"}
	}
	if k, err := decodeKey(s.Auth); err != nil || len(k) != 16 {
		return PushSubscription{}, &errs.Problem{Field: errs.Field("auth"), Code: CodeInvalidSubscription, Message: "auth must be the subscription's base64url 16-byte secret"}
	}
	return s, p.store.SavePushSubscription(ctx, c.UserID(), s)
}

// Remove drops one of the caller's devices.
func (p *Pushes) Remove(ctx context.Context, endpoint string) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	found, err := p.store.RemovePushSubscription(ctx, c.UserID(), endpoint)
	if err == nil && !found {
		return &errs.Problem{Field: errs.Field("endpoint"), Code: CodeNotFound, Message: "no such subscription of yours"}
	}
	return err
}

// Mine are the caller's subscribed devices.
func (p *Pushes) Mine(ctx context.Context) ([]PushSubscription, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	return p.store.PushSubscriptions(ctx, c.UserID())
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}
