package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/server"
)

// TestConcurrentUsersGetTheirOwnData sends one cached operation with
// different variables and Authorization headers at the same time: the
// engine's request deduplication must never hand one caller another's
// answer (Request.ID, VariablesHash and the header hash all differ).
func TestConcurrentUsersGetTheirOwnData(t *testing.T) {
	users := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req subgraphRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		var id string
		for _, v := range req.Variables {
			id, _ = v.(string)
		}
		name := id + "/" + r.Header.Get("Authorization")
		_, _ = fmt.Fprintf(w, `{"data":{"user":{"name":%q}}}`, name)
	}))
	defer users.Close()
	issuer := authtest.New(t)
	h := newRouter(t, map[string]string{"users": users.URL}, func(c *server.Config) { c.Verifier = issuer.Verifier() })
	tokens := []string{issuer.Token("t0"), issuer.Token("t1"), issuer.Token("t2"), issuer.Token("t3", "READ_USERS")}

	const q = `query($id: ID!) { user(id: $id) { name } }`
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				id, token := fmt.Sprintf("u%d", j%4), "Bearer "+tokens[i%4]
				body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"id": id}})
				r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", token)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				want := fmt.Sprintf(`{"data":{"user":{"name":%q}}}`, id+"/"+token)
				if w.Body.String() != want {
					t.Errorf("got %s, want %s", w.Body, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
