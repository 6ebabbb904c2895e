package shop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The built page references its hashed assets, and each is served with a
// type the browser will run and a long cache life.
func TestIndexAndAssets(t *testing.T) {
	h := Handler()
	res := get(t, h, "/shop/", nil)
	page := body(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `<main id="main">`) {
		t.Fatalf("GET /shop/: %d %q", res.StatusCode, page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("page CSP = %q", csp)
	}
	var script, style string
	for _, part := range strings.Split(page, `"`) {
		switch {
		case strings.HasPrefix(part, "/shop/assets/") && strings.HasSuffix(part, ".js"):
			script = part
		case strings.HasPrefix(part, "/shop/assets/") && strings.HasSuffix(part, ".css"):
			style = part
		}
	}
	if script == "" || style == "" {
		t.Fatalf("page names no script or style under /shop/assets/: %s", page)
	}
	for target, ctype := range map[string]string{script: "text/javascript", style: "text/css"} {
		res := get(t, h, target, nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %s", target, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: Cache-Control %q", target, res.Header.Get("Cache-Control"))
		}
		again := get(t, h, target, map[string]string{"If-None-Match": res.Header.Get("ETag")})
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", target, again.StatusCode)
		}
	}
}

// Client routes get the page; missing files are 404 so a browser never runs
// HTML as a script; /shop redirects.
func TestRoutes(t *testing.T) {
	h := Handler()
	for target, want := range map[string]int{
		"/shop/orders/ord_123":         http.StatusOK,
		"/shop/staff?status=CONFIRMED": http.StatusOK,
		"/shop/assets/missing-abc.js":  http.StatusNotFound,
		"/shop/favicon.ico":            http.StatusNotFound,
		"/shop":                        http.StatusMovedPermanently,
		"/shop/../graphql":             http.StatusOK, // cleaned to /shop/graphql: a client route, never outside dist
		"/elsewhere":                   http.StatusNotFound,
	} {
		if res := get(t, h, target, nil); res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", target, res.StatusCode, want)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/shop/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /shop/: %d, want 405", rec.Code)
	}
}
