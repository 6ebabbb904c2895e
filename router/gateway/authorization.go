package gateway

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/supergraph"
)

// authorizer decides @authenticated and @requiresScopes for one request,
// from the verified claims its context carries (nil: anonymous). It is
// made per request and never stored with a plan: plans are shared by
// every user, decisions are not.
//
// The engine asks AuthorizeFields once, before any fetch, for every
// protected field the operation selects (pre-fetch mode); a subgraph fetch
// whose fields are all denied is skipped, and each denied field resolves
// to null with an UNAUTHORIZED_FIELD_OR_TYPE error at its path. The
// resolve.Authorizer methods answer the same rules in case the engine asks
// about a coordinate it did not collect before fetching.
type authorizer struct {
	rules  map[supergraph.Coordinate]supergraph.Rule
	claims *auth.Claims
}

func newAuthorizer(rules map[supergraph.Coordinate]supergraph.Rule, claims *auth.Claims) *authorizer {
	return &authorizer{rules: rules, claims: claims}
}

// decide returns "" when the request may read the field, else the reason.
func (a *authorizer) decide(typeName, fieldName string) (reason string, allowed bool) {
	rule, ok := a.rules[supergraph.Coordinate{TypeName: typeName, FieldName: fieldName}]
	if !ok {
		return "", true
	}
	hasScope := func(string) bool { return false }
	if a.claims != nil {
		hasScope = a.claims.HasScope
	}
	if rule.Allows(a.claims != nil, hasScope) {
		return "", true
	}
	if a.claims == nil {
		return "not authenticated", false
	}
	return "missing required scopes: " + scopesText(rule.Scopes), false
}

func scopesText(scopes [][][]string) string {
	var parts []string
	for _, alternatives := range scopes {
		var alts []string
		for _, all := range alternatives {
			alts = append(alts, strings.Join(all, " AND "))
		}
		if len(alts) > 1 {
			parts = append(parts, "("+strings.Join(alts, ") OR (")+")")
		} else {
			parts = append(parts, strings.Join(alts, ""))
		}
	}
	return strings.Join(parts, "; and ")
}

// AuthorizeFields implements resolve.BatchAuthorizer.
func (a *authorizer) AuthorizeFields(_ *resolve.Context, coordinates []resolve.GraphCoordinate) ([]resolve.AuthorizationDecision, error) {
	out := make([]resolve.AuthorizationDecision, len(coordinates))
	for i, c := range coordinates {
		reason, ok := a.decide(c.TypeName, c.FieldName)
		out[i] = resolve.AuthorizationDecision{Allowed: ok, Reason: reason}
	}
	return out, nil
}

func (a *authorizer) deny(c resolve.GraphCoordinate) *resolve.AuthorizationDeny {
	if reason, ok := a.decide(c.TypeName, c.FieldName); !ok {
		return &resolve.AuthorizationDeny{Reason: reason}
	}
	return nil
}

// AuthorizePreFetch implements resolve.Authorizer.
func (a *authorizer) AuthorizePreFetch(_ *resolve.Context, _ string, _ json.RawMessage, c resolve.GraphCoordinate) (*resolve.AuthorizationDeny, error) {
	return a.deny(c), nil
}

// AuthorizeObjectField implements resolve.Authorizer.
func (a *authorizer) AuthorizeObjectField(_ *resolve.Context, _ string, _ json.RawMessage, c resolve.GraphCoordinate) (*resolve.AuthorizationDeny, error) {
	return a.deny(c), nil
}

// HasResponseExtensionData implements resolve.Authorizer: nothing to add.
func (a *authorizer) HasResponseExtensionData(*resolve.Context) bool { return false }

// RenderResponseExtension implements resolve.Authorizer.
func (a *authorizer) RenderResponseExtension(*resolve.Context, io.Writer) error { return nil }

// dropErrorsUnderDenied removes from a rendered response the errors that a
// subgraph reported at or below a field the router denied. The engine
// still asks a subgraph for a denied field when the same fetch carries
// allowed fields (it skips a fetch only when all its fields are denied) and
// then nulls the field; the subgraph's own error for it (typically its
// UNAUTHENTICATED or FORBIDDEN) must not reach the client next to ours.
func dropErrorsUnderDenied(body []byte) ([]byte, error) {
	var resp rendered
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	type gqlError struct {
		Path       []any `json:"path"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	}
	parsed := make([]gqlError, len(resp.Errors))
	var denied [][]any
	for i, raw := range resp.Errors {
		if err := json.Unmarshal(raw, &parsed[i]); err != nil {
			return nil, err
		}
		if parsed[i].Extensions.Code == codeUnauthorized && len(parsed[i].Path) > 0 {
			denied = append(denied, parsed[i].Path)
		}
	}
	if len(denied) == 0 {
		return body, nil
	}
	kept := resp.Errors[:0]
	for i, raw := range resp.Errors {
		if parsed[i].Extensions.Code != codeUnauthorized && underAny(parsed[i].Path, denied) {
			continue
		}
		kept = append(kept, raw)
	}
	if len(kept) == len(parsed) {
		return body, nil
	}
	resp.Errors = kept
	return json.Marshal(resp)
}

// codeUnauthorized is the engine's code for a denied field.
const codeUnauthorized = "UNAUTHORIZED_FIELD_OR_TYPE"

// underAny reports whether path is at or below one of prefixes; "@" in a
// prefix (a list item the engine did not reach) matches any index.
func underAny(path []any, prefixes [][]any) bool {
	for _, p := range prefixes {
		if len(path) < len(p) {
			continue
		}
		match := true
		for i := range p {
			if p[i] == "@" {
				if _, isIndex := path[i].(float64); isIndex {
					continue
				}
			}
			if p[i] != path[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
