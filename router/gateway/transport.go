package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// subgraphClient returns a client for one subgraph. Its transport answers a
// failed connection with a GraphQL error naming the subgraph, so the client
// sees which subgraph is down (serviceName, DOWNSTREAM_SERVICE_ERROR) next
// to the partial data, instead of the engine's bare "Failed to fetch".
func subgraphClient(base *http.Client, name string, log *slog.Logger) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c = http.Client{Timeout: 30 * time.Second, Transport: defaultTransport}
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &unreachable{next: rt, name: name, log: log}
	return &c
}

// baseTransport is the round tripper subgraph requests use, without the
// "unreachable" answer.
func baseTransport(base *http.Client) http.RoundTripper {
	if base != nil && base.Transport != nil {
		return base.Transport
	}
	if base != nil {
		return http.DefaultTransport
	}
	return defaultTransport
}

// defaultTransport is shared by the subgraph clients made without a base.
var defaultTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:        256,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
}

type unreachable struct {
	next http.RoundTripper
	name string
	log  *slog.Logger
}

func (u *unreachable) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := u.next.RoundTrip(r)
	if err == nil {
		return res, nil
	}
	// The client went away: nothing to report to it.
	if errors.Is(r.Context().Err(), context.Canceled) {
		return nil, err
	}
	u.log.Warn("subgraph request failed", "subgraph", u.name, "url", r.URL.String(), "err", err)
	msg, _ := json.Marshal(fmt.Sprintf("Subgraph '%s' could not be reached.", u.name))
	body := `{"data":null,"errors":[{"message":` + string(msg) + `,"extensions":{"code":"DOWNSTREAM_SERVICE_ERROR"}}]}`
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}
