package auth

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Middleware verifies the request's bearer token and puts its claims in
// the request context. No Authorization header means anonymous; anything
// else that is not a valid Bearer token is answered 401 with a GraphQL
// error coded UNAUTHENTICATED, before any resolver runs. With a nil
// verifier every token is refused: failing closed.
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		claims, msg := Authenticate(r, v)
		if claims == nil {
			Unauthenticated(w, msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), claims)))
	})
}

// Authenticate verifies r's Authorization header. It returns the claims,
// or nil and a message for the client.
func Authenticate(r *http.Request, v *Verifier) (*Claims, string) {
	if v == nil {
		return nil, "this service is not set up to accept access tokens"
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, "the Authorization header must be \"Bearer <access token>\""
	}
	claims, err := v.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return nil, "the access token is invalid or expired"
	}
	return claims, ""
}

// Unauthenticated writes the 401 answer.
func Unauthenticated(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": "UNAUTHENTICATED"}}},
	})
}
