package server_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPlayground(t *testing.T) {
	h := newRouter(t, nil)
	get := func(path, accept, encoding string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Accept", accept)
		if encoding != "" {
			r.Header.Set("Accept-Encoding", encoding)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, path := range []string{"/", "/graphql"} {
		w := get(path, browser, "")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Header().Get("Content-Type"))
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		page := w.Body.String()
		refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(refs) < 5 {
			t.Fatalf("page references %d assets:\n%s", len(refs), page)
		}
		for _, ref := range refs {
			u := ref[1]
			if !strings.HasPrefix(u, "/playground/") {
				t.Errorf("page loads %q, not a local asset", u)
				continue
			}
			want := "text/css"
			if strings.HasSuffix(u, ".js") {
				want = "text/javascript"
			}
			a := get(u, "*/*", "gzip, deflate, br")
			if a.Code != 200 || !strings.HasPrefix(a.Header().Get("Content-Type"), want) || a.Header().Get("Content-Encoding") != "gzip" {
				t.Errorf("GET %s: %d %q %q", u, a.Code, a.Header().Get("Content-Type"), a.Header().Get("Content-Encoding"))
				continue
			}
			zr, err := gzip.NewReader(a.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(zr)
			plain := get(u, "*/*", "") // a client without gzip gets the same bytes
			if plain.Code != 200 || plain.Body.String() != string(body) || plain.Header().Get("Content-Encoding") != "" {
				t.Errorf("GET %s without gzip: %d, %d bytes, want %d", u, plain.Code, plain.Body.Len(), len(body))
			}
			for _, host := range []string{"unpkg.com/", "cdn.jsdelivr.net", "fonts.googleapis", "fonts.gstatic", "cdnjs."} {
				if strings.Contains(string(body), host) {
					t.Errorf("%s mentions %s", u, host)
				}
			}
			etag := a.Header().Get("ETag")
			r := httptest.NewRequest(http.MethodGet, u, nil)
			r.Header.Set("If-None-Match", etag)
			nm := httptest.NewRecorder()
			h.ServeHTTP(nm, r)
			if etag == "" || nm.Code != http.StatusNotModified {
				t.Errorf("GET %s If-None-Match %q: %d", u, etag, nm.Code)
			}
		}
	}
	if w := get("/playground/nope.js", "*/*", ""); w.Code != 404 {
		t.Errorf("unknown asset: %d", w.Code)
	}
	// API clients keep getting GraphQL answers from /graphql.
	if w := get("/graphql", "application/json", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "no query") {
		t.Errorf("GET /graphql as JSON client: %d %s", w.Code, w.Body)
	}
	if w := get("/graphql?query=%7B__typename%7D", browser, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"__typename":"Query"`) {
		t.Errorf("GET /graphql?query from a browser: %d %s", w.Code, w.Body)
	}
}
