// Package upstream is how orders talks to the other subgraphs it drives:
// GraphQL over HTTP to products (prices), inventory (stock holds) and
// payments (authorizations), as the orders service or, to authorize a
// payment, as the signed-in customer.
package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// Client posts GraphQL operations to one subgraph.
type Client struct {
	url  string
	http *http.Client
}

// NewClient returns a client for the GraphQL endpoint at url. The default
// HTTP client sends each call in a client span carrying the caller's
// traceparent, so a checkout's trace goes on through products, inventory
// and payments instead of stopping at orders.
func NewClient(url string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second, Transport: telemetry.Transport(nil)}
	}
	return &Client{url: url, http: hc}
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// Do posts query with vars, with Authorization authz when not empty, and
// decodes data into out. Anything but a clean answer is
// order.ErrUnavailable: the caller cannot know what happened, and every
// operation orders sends is safe to send again.
func (c *Client) Do(ctx context.Context, authz, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", order.ErrUnavailable, c.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", order.ErrUnavailable, c.url, err)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%w: %s: status %d: %v", order.ErrUnavailable, c.url, resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%w: %s: %s (%v)", order.ErrUnavailable, c.url, r.Errors[0].Message, r.Errors[0].Extensions["code"])
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s: status %d", order.ErrUnavailable, c.url, resp.StatusCode)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("%w: %s: %v", order.ErrUnavailable, c.url, err)
	}
	return nil
}

type callerKey struct{}

// WithCaller returns ctx carrying the Authorization header of the request
// being served, so a payment is authorized as the customer who asked.
func WithCaller(ctx context.Context, authorization string) context.Context {
	return context.WithValue(ctx, callerKey{}, authorization)
}

// Caller is the Authorization header WithCaller stored, or "".
func Caller(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}

// payloadError is a mutation payload's typed error.
type payloadError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func representations(typename string, ids []string) []map[string]any {
	reps := make([]map[string]any, len(ids))
	for i, id := range ids {
		reps[i] = map[string]any{"__typename": typename, "id": id}
	}
	return reps
}
