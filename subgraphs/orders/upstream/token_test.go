package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestClientCredentialsCachesTheToken(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.FormValue("grant_type") != "client_credentials" || r.FormValue("client_id") != "orders" || r.FormValue("client_secret") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"access_token": "tok-1", "token_type": "Bearer", "expires_in": 900}`))
	}))
	defer srv.Close()
	cc := &ClientCredentials{URL: srv.URL, ClientID: "orders", ClientSecret: "s3cret"}
	for range 3 {
		tok, err := cc.Token(context.Background())
		if err != nil || tok != "tok-1" {
			t.Fatalf("token %q, %v", tok, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d token requests, want 1", calls.Load())
	}
	bad := &ClientCredentials{URL: srv.URL, ClientID: "orders", ClientSecret: "wrong"}
	if _, err := bad.Token(context.Background()); err == nil {
		t.Error("a refused secret gave a token")
	}
}
