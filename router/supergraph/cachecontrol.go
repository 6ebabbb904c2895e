package supergraph

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// CacheHint is an element's @cacheControl: how long an answer holding it
// may be kept and by whom. A zero hint says nothing.
type CacheHint struct {
	// MaxAge in seconds; nil when the hint gives none.
	MaxAge *int
	// Private: only the caller's own cache may keep it.
	Private bool
	// InheritMaxAge: the field takes its parent's age, not the default.
	InheritMaxAge bool
}

// CacheHints are the supergraph's @cacheControl hints, by type and by
// field; the router reads the Cache-Control of a response from them.
type CacheHints struct {
	Types  map[string]CacheHint
	Fields map[Coordinate]CacheHint
}

const cacheControlSpec = "cacheControl"

func cacheControlMachinery(name string) bool {
	return name == cacheControlSpec || name == "CacheControlScope"
}

func (g *graph) cacheHints() CacheHints {
	h := CacheHints{Types: map[string]CacheHint{}, Fields: map[Coordinate]CacheHint{}}
	for _, def := range g.doc.Definitions {
		if d := def.Directives.ForName(cacheControlSpec); d != nil {
			h.Types[def.Name] = cacheHintOf(d)
		}
		for _, f := range def.Fields {
			if d := f.Directives.ForName(cacheControlSpec); d != nil {
				h.Fields[Coordinate{def.Name, f.Name}] = cacheHintOf(d)
			}
		}
	}
	return h
}

func cacheHintOf(d *ast.Directive) CacheHint {
	var h CacheHint
	if a := d.Arguments.ForName("maxAge"); a != nil && a.Value != nil {
		if n, err := strconv.Atoi(a.Value.Raw); err == nil && n >= 0 {
			h.MaxAge = &n
		}
	}
	if a := d.Arguments.ForName("scope"); a != nil && a.Value != nil {
		h.Private = a.Value.Raw == "PRIVATE"
	}
	if a := d.Arguments.ForName("inheritMaxAge"); a != nil && a.Value != nil {
		h.InheritMaxAge = a.Value.Raw == "true"
	}
	return h
}
