package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
)

// TwilioConfig is what the SMS sender needs from the shop's Twilio
// account.
type TwilioConfig struct {
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or a Messaging Service SID
	// (MG…), which picks the number itself.
	From string
	// StatusCallback is the public URL of TwilioCallbackPath, where
	// Twilio reports delivery; "" asks for no reports.
	StatusCallback string
	// APIURL replaces https://api.twilio.com (a local stand-in in tests);
	// "" is Twilio itself.
	APIURL  string
	Timeout time.Duration
}

// Twilio sends SMS through Twilio's Messages API with its official
// library.
type Twilio struct {
	cfg    TwilioConfig
	client *twilio.RestClient
}

// NewTwilio returns the SMS sender for cfg.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	// twilio-go's requests carry no context: the client's timeout bounds
	// a provider that hangs.
	httpClient := &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("twilio API URL %q: not a URL", cfg.APIURL)
		}
		httpClient.Transport = rehost{to: u, next: http.DefaultTransport}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken), HTTPClient: httpClient}
	c.SetAccountSid(cfg.AccountSID)
	return &Twilio{cfg: cfg, client: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})}, nil
}

// Send creates the message and returns its SID, which Twilio's status
// callbacks name. Twilio's 4xx answers (a number that cannot get SMS, one
// that answered STOP: 21610) are permanent; 429, 5xx and timeouts are
// retried.
func (t *Twilio) Send(_ context.Context, m notify.Message) (string, error) {
	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To)
	params.SetBody(m.BodyText)
	if strings.HasPrefix(t.cfg.From, "MG") {
		params.SetMessagingServiceSid(t.cfg.From)
	} else {
		params.SetFrom(t.cfg.From)
	}
	if t.cfg.StatusCallback != "" {
		params.SetStatusCallback(t.cfg.StatusCallback)
	}
	resp, err := t.client.Api.CreateMessage(params)
	if err != nil {
		var rest *twclient.TwilioRestError
		if errors.As(err, &rest) && rest.Code == twilioUnsubscribed {
			return "", fmt.Errorf("%w: twilio %d: %s (error %d)", notify.ErrOptedOut, rest.Status, rest.Message, rest.Code)
		}
		if errors.As(err, &rest) && rest.Status >= 400 && rest.Status < 500 && rest.Status != http.StatusTooManyRequests {
			return "", fmt.Errorf("%w: twilio %d: %s (error %d)", notify.ErrPermanent, rest.Status, rest.Message, rest.Code)
		}
		return "", fmt.Errorf("twilio: %w", err)
	}
	if resp.Sid == nil {
		return "", errors.New("twilio: the answer has no message sid")
	}
	return *resp.Sid, nil
}

// twilioUnsubscribed is Twilio's error for a number that answered STOP.
const twilioUnsubscribed = 21610

// rehost sends every request to another origin, keeping its path.
type rehost struct {
	to   *url.URL
	next http.RoundTripper
}

func (r rehost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	return r.next.RoundTrip(req)
}

// TwilioStatus maps a Twilio MessageStatus to ours: delivered, or
// bounced when Twilio or the carrier gave up; the rest (queued, sending,
// sent…) says nothing new, and ok is false.
func TwilioStatus(s string) (notify.Status, bool) {
	switch s {
	case "delivered":
		return notify.Delivered, true
	case "undelivered", "failed":
		return notify.Bounced, true
	}
	return "", false
}
