package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The storefront and the router share one origin: /shop/ is the SPA (any
// client route gets the page), everything else is the router's.
func TestWithShop(t *testing.T) {
	router := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "router")
	})
	h := withShop(router)
	for target, want := range map[string]string{
		"/graphql":             "router",
		"/":                    "router",
		"/playground/x.js":     "router",
		"/shop/":               "shop",
		"/shop/orders/ord_123": "shop",
		"/shopping":            "router",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		got := "shop"
		if rec.Header().Get("X-Served-By") == "router" {
			got = "router"
		} else if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="main"`) {
			t.Errorf("GET %s: %d, not the storefront page", target, rec.Code)
		}
		if got != want {
			t.Errorf("GET %s served by %s, want %s", target, got, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/shop", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/shop/" {
		t.Errorf("GET /shop: %d to %q, want a redirect to /shop/", rec.Code, rec.Header().Get("Location"))
	}
}

// Orders finds its upstreams where devstack started them, unless the
// environment says otherwise.
func TestWithUpstreams(t *testing.T) {
	urls := map[string]string{"users": "http://127.0.0.1:5001/graphql", "products": "http://127.0.0.1:5002/graphql"}
	env := map[string]string{"ORDERS_PAYMENTS_URL": "http://payments.example/graphql"}
	getenv := withUpstreams(func(k string) string { return env[k] }, func(n string) string { return urls[n] })
	for k, want := range map[string]string{
		"ORDERS_PRODUCTS_URL":  "http://127.0.0.1:5002/graphql",
		"ORDERS_PAYMENTS_URL":  "http://payments.example/graphql",
		"ORDERS_INVENTORY_URL": "", // not started yet: orders' own default applies
		"ORDERS_TOKEN_URL":     "http://127.0.0.1:5001/oauth/token",
		"ANYTHING_ELSE":        "",
	} {
		if got := getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
