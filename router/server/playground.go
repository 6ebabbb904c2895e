package server

import (
	"net/http"
	"strings"

	"github.com/myshop/supergraph/router/playground"
)

// playground serves the GraphiQL page; its assets come from this server
// (playgroundAssets), so it works offline and under a strict CSP.
func (s *Server) playground(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", playground.ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(playground.Page("/graphql"))
}

func playgroundAssets() http.Handler {
	return http.StripPrefix("/playground/", playground.Assets())
}

// wantsPlayground: a browser opening /graphql (GET, HTML accepted, no query)
// gets GraphiQL instead of a "no query" error.
func (s *Server) wantsPlayground(r *http.Request) bool {
	return *s.set.Playground && r.Method == http.MethodGet &&
		r.URL.Query().Get("query") == "" && strings.Contains(r.Header.Get("Accept"), "text/html")
}
