package users

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/users/token"
)

// TokenPath is the OAuth 2.0 token endpoint for services (client
// credentials grant): how the orders subgraph gets a token that lets it
// reserve stock at checkout.
const TokenPath = "/oauth/token"

// serviceScopes are the permissions each known service client gets. The
// secrets come from the environment; the permissions are code, reviewed
// like code.
var serviceScopes = map[string][]string{
	"orders": {"RESERVE_STOCK", "MANAGE_ORDERS", "READ_ORDERS", "REFUND_PAYMENTS"},
}

// ParseServiceClients reads USERS_SERVICE_CLIENTS, "orders=secret,…";
// clients not in serviceScopes are ignored.
func ParseServiceClients(v string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if _, known := serviceScopes[id]; ok && known && secret != "" {
			out[id] = secret
		}
	}
	return out
}

// tokenHandler issues service tokens to clients whose secret matches.
func tokenHandler(ring *token.Ring, clients map[string]string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "unsupported_grant_type"})
			return
		}
		id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if u, p, ok := r.BasicAuth(); ok {
			id, secret = u, p
		}
		want, known := clients[id]
		// Compare even for an unknown client, so timing says nothing.
		match := subtle.ConstantTimeCompare([]byte(secret), []byte(want+"\x00unknown")) == 1
		if known {
			match = subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
		}
		if !known || !match {
			log.WarnContext(r.Context(), "service token refused", "client", id)
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
			return
		}
		access, exp, err := ring.Access(r.Context(), "svc:"+id, []string{"service"}, serviceScopes[id])
		if err != nil {
			log.ErrorContext(r.Context(), "service token", "err", err)
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "server_error"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": access, "token_type": "Bearer", "expires_in": int(time.Until(exp).Seconds()),
		})
	})
}
