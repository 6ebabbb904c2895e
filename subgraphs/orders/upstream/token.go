package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// TokenSource gives the orders service's own access token.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a fixed token (tests, or a token minted elsewhere).
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// ClientCredentials gets tokens from the users subgraph's OAuth token
// endpoint (grant_type=client_credentials) and keeps each until shortly
// before it expires.
type ClientCredentials struct {
	URL, ClientID, ClientSecret string
	HTTP                        *http.Client

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

// Token returns a cached token, fetching a new one when it is about to lapse.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.renewAt) {
		return c.token, nil
	}
	hc := c.HTTP
	if hc == nil {
		// Traced like the GraphQL calls: a token fetch is part of the
		// request that needed it.
		hc = &http.Client{Timeout: 10 * time.Second, Transport: telemetry.Transport(nil)}
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: token: %v", order.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: token endpoint answered %d", order.ErrUnavailable, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return "", fmt.Errorf("%w: token endpoint gave no token: %v", order.ErrUnavailable, err)
	}
	life := time.Duration(body.ExpiresIn) * time.Second
	c.token, c.renewAt = body.AccessToken, time.Now().Add(life-min(life/5, time.Minute))
	return c.token, nil
}

func bearer(ctx context.Context, ts TokenSource) (string, error) {
	t, err := ts.Token(ctx)
	if err != nil {
		return "", err
	}
	return "Bearer " + t, nil
}
