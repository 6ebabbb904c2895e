// Package notifications is the notifications subgraph: domain events from
// the stream become email, SMS and push messages from templates, sent with
// retries and tracked, within each user's preferences. Def is all a
// starter needs to run it.
package notifications

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/notifications/channel"
	"github.com/myshop/supergraph/subgraphs/notifications/egress"
	"github.com/myshop/supergraph/subgraphs/notifications/graph"
	"github.com/myshop/supergraph/subgraphs/notifications/graph/generated"
	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/notifications/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// Def describes the notifications subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "notifications",
	Port:       4006,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Outbox:     true, // marketing consent changed here, for users' profile
	Handler:    Handler,
	Background: Run,
}

// Service builds the service from the subgraph's settings:
// NOTIFICATIONS_SMTP_ADDR (host:port), NOTIFICATIONS_FROM,
// NOTIFICATIONS_STAFF_EMAIL, NOTIFICATIONS_UNSUBSCRIBE_SECRET, SHOP_URL,
// Twilio's NOTIFICATIONS_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM (a
// number or a Messaging Service SID) for SMS, NOTIFICATIONS_PUBLIC_URL
// (where providers reach this subgraph, for status callbacks), and
// NOTIFICATIONS_VAPID_SUBJECT (a mailto: contact; set, Web Push is on) with
// NOTIFICATIONS_VAPID_PUBLIC_KEY and _PRIVATE_KEY (unset: a pair made once
// and kept in the database). A channel with no
// provider keeps its messages in the development outbox as CAPTURED, read
// at DevOutboxPath: nothing claims to be sent that was not.
func Service(d subgraph.Deps) (*notify.Service, error) {
	get := func(k string) string { return d.Setting(k, "") }
	or := d.Setting
	senders := map[notify.Channel]notify.Sender{}
	if addr := get("NOTIFICATIONS_SMTP_ADDR"); addr != "" {
		senders[notify.Email] = channel.SMTP{Addr: addr, From: or("NOTIFICATIONS_FROM", "MyShop <shop@myshop.local>")}
	}
	if sms := twilioConfig(d); sms.AccountSID != "" {
		tw, err := channel.NewTwilio(sms)
		if err != nil {
			return nil, err
		}
		senders[notify.SMS] = tw
	}
	if pub, priv, err := vapidKeys(d); err != nil {
		return nil, err
	} else if pub != "" {
		senders[notify.Push] = &channel.WebPush{Store: postgres.New(d.Pool), PublicKey: pub, PrivateKey: priv,
			Subject: get("NOTIFICATIONS_VAPID_SUBJECT"), ShopURL: strings.TrimRight(or("SHOP_URL", "http://127.0.0.1:4000"), "/"),
			Client: egress.Client(providerTimeout(d), allowPrivate(d))}
	}
	return notify.NewService(postgres.New(d.Pool), senders, notify.ConfigFrom(d.Setting), ids.New), nil
}

// vapidKeys is the Web Push key pair, "" when push is off (no
// NOTIFICATIONS_VAPID_SUBJECT).
func vapidKeys(d subgraph.Deps) (public, private string, err error) {
	if d.Setting("NOTIFICATIONS_VAPID_SUBJECT", "") == "" {
		return "", "", nil
	}
	public, private = d.Setting("NOTIFICATIONS_VAPID_PUBLIC_KEY", ""), d.Setting("NOTIFICATIONS_VAPID_PRIVATE_KEY", "")
	if public != "" && private != "" {
		return public, private, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return postgres.New(d.Pool).VAPIDKeys(ctx, func() (string, string, error) {
		priv, pub, err := webpush.GenerateVAPIDKeys()
		return pub, priv, err
	})
}

// providerTimeout is NOTIFICATIONS_PROVIDER_TIMEOUT: how long one call to
// a provider, a push service or a webhook receiver may take (default 10s);
// a timed-out call is retried like a 5xx.
func providerTimeout(d subgraph.Deps) time.Duration {
	if t, err := time.ParseDuration(d.Setting("NOTIFICATIONS_PROVIDER_TIMEOUT", "10s")); err == nil && t > 0 {
		return t
	}
	return 10 * time.Second
}

// allowPrivate is NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE: webhook URLs and
// push endpoints may reach private and loopback addresses.
func allowPrivate(d subgraph.Deps) bool {
	return d.Setting("NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE", "false") == "true"
}

// Hooks builds the outgoing webhooks service; svc raises the notification
// that tells staff a webhook was disabled. NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE
// (true/false, default false) lets webhook URLs reach private and loopback
// addresses, for a receiver on the same machine or network.
func Hooks(d subgraph.Deps, svc *notify.Service) *hooks.Service {
	cfg := hooks.Config{AllowPrivate: allowPrivate(d), Timeout: providerTimeout(d)}
	return hooks.NewService(postgres.NewHooks(d.Pool), cfg, svc.Handle, ids.New)
}

// Handle is what the subgraph does with each event of the stream: the
// messages it triggers, then the webhook deliveries. Both are idempotent,
// so a redelivered event repeats neither.
func Handle(svc *notify.Service, wh *hooks.Service) func(context.Context, events.Event) error {
	return func(ctx context.Context, e events.Event) error {
		if err := svc.Handle(ctx, e); err != nil {
			return err
		}
		return wh.Handle(ctx, e)
	}
}

// twilioConfig reads the SMS provider's settings; NOTIFICATIONS_TWILIO_API_URL
// points the client at a local stand-in for Twilio.
func twilioConfig(d subgraph.Deps) channel.TwilioConfig {
	cfg := channel.TwilioConfig{AccountSID: d.Setting("NOTIFICATIONS_TWILIO_ACCOUNT_SID", ""), AuthToken: d.Setting("NOTIFICATIONS_TWILIO_AUTH_TOKEN", ""),
		From: d.Setting("NOTIFICATIONS_TWILIO_FROM", ""), APIURL: d.Setting("NOTIFICATIONS_TWILIO_API_URL", "")}
	cfg.Timeout = providerTimeout(d)
	if base := d.Setting("NOTIFICATIONS_PUBLIC_URL", ""); base != "" && cfg.AccountSID != "" {
		cfg.StatusCallback = strings.TrimRight(base, "/") + TwilioCallbackPath
	}
	return cfg
}

// Run consumes the event stream and delivers messages until ctx ends.
func Run(ctx context.Context, d subgraph.Deps) {
	svc, err := Service(d)
	if err != nil {
		d.Log.Error("notifications", "err", err)
		return
	}
	// One member name per host (a pod in Kubernetes): what a member leaves
	// pending, it or another member picks up again.
	host, _ := os.Hostname()
	consumer := events.NewConsumer(d.Redis, d.RedisPrefix, "notifications", host, d.Log)
	if ch := svc.Capturing(); len(ch) > 0 {
		d.Log.Warn("no provider configured: these channels' messages stay in the development outbox", "channels", ch, "page", DevOutboxPath)
	}
	go svc.RunDelivery(ctx, time.Second, func(err error) { d.Log.Error("notifications delivery", "err", err) })
	wh := Hooks(d, svc)
	go wh.RunDelivery(ctx, time.Second, func(err error) { d.Log.Error("webhook delivery", "err", err) })
	if err := consumer.Run(ctx, Handle(svc, wh)); err != nil {
		d.Log.Error("notifications consumer", "err", err)
	}
}

// Handler serves /graphql and the providers' delivery callbacks
// (NOTIFICATIONS_CALLBACK_SECRET signs them).
func Handler(d subgraph.Deps) http.Handler {
	store := postgres.New(d.Pool)
	mux := http.NewServeMux()
	svc, err := Service(d)
	if err != nil {
		// A misconfigured provider answers every request with the reason
		// rather than sending through something else.
		d.Log.Error("notifications", "err", err)
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}))
		return mux
	}
	phones := notify.NewPhones(store, svc, d.Setting("NOTIFICATIONS_UNSUBSCRIBE_SECRET", "dev-only-unsubscribe-secret"), ids.New)
	vapidPublic, _, _ := vapidKeys(d) // Service read them already
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Service: svc, Phones: phones, Hooks: Hooks(d, svc),
		Pushes: notify.NewPushes(store, vapidPublic), Newsletters: notify.NewNewsletters(store, svc, ids.New)}})
	mux.Handle("/graphql", subgraph.Authenticated(d, gqlserver.New(es, d.Log)))
	secret := d.Setting("NOTIFICATIONS_CALLBACK_SECRET", "dev-only-callback-secret")
	mux.Handle("POST "+CallbackPath, callbackHandler(store, secret, d.Log))
	tw := twilioConfig(d)
	mux.Handle("POST "+TwilioCallbackPath, twilioCallbackHandler(store, tw.AuthToken, tw.StatusCallback, d.Log))
	mux.Handle("GET "+DevOutboxPath, devOutboxHandler(store, d.Log))
	return mux
}
