package users_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

func TestServiceTokens(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	rdb, prefix := redistest.New(t)
	env := map[string]string{"USERS_SERVICE_CLIENTS": "orders=s3cret, stranger=x"}
	srv := httptest.NewServer(users.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Redis: rdb, RedisPrefix: prefix, Getenv: func(k string) string { return env[k] }}))
	defer srv.Close()
	post := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(srv.URL+users.TokenPath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for name, form := range map[string]url.Values{
		"wrong secret":   {"grant_type": {"client_credentials"}, "client_id": {"orders"}, "client_secret": {"nope"}},
		"unknown client": {"grant_type": {"client_credentials"}, "client_id": {"stranger"}, "client_secret": {"x"}},
		"no secret":      {"grant_type": {"client_credentials"}, "client_id": {"orders"}},
	} {
		if code, body := post(form); code != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("%s: %d %v", name, code, body)
		}
	}
	if code, _ := post(url.Values{"grant_type": {"password"}}); code != http.StatusBadRequest {
		t.Fatalf("password grant: %d", code)
	}
	code, body := post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"orders"}, "client_secret": {"s3cret"}})
	if code != 200 || body["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", code, body)
	}
	v := auth.NewVerifier(auth.NewJWKS(srv.URL+users.JWKSPath, nil))
	c, err := v.Verify(context.Background(), body["access_token"].(string))
	if err != nil || c.UserID() != "svc:orders" || !c.HasScope("RESERVE_STOCK") || c.HasScope("MANAGE_STAFF") || !strings.Contains(strings.Join(c.Roles, ","), "service") {
		t.Fatalf("claims: %+v %v", c, err)
	}
}
