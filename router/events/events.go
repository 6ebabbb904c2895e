// Package events reads a schema's event-source declarations: a subscription
// field marked @redisSubscribe is fed by a Redis channel whose name is a
// template over the field's arguments and the subscriber's verified token.
// The composer checks a declaration against the subgraph's schema, the
// supergraph carries it, and the router's gateway renders it per
// subscriber (router/docs/event-source.md). It knows no domain: what a
// channel carries comes from the schema that declares it.
package events

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Directive is the declaration's name in SDL.
const Directive = "redisSubscribe"

// Definition is the directive as subgraphs and the supergraph declare it.
const Definition = `directive @redisSubscribe(channel: String!, entity: String, history: String, sequence: String, filter: String) on FIELD_DEFINITION
`

// Source is one field's declaration.
type Source struct {
	// Channel names the Redis pub/sub channel (before the router's prefix).
	Channel Template
	// Entity, when set, is read as the subscriber before any event flows
	// (no read, no events), and is where History is read from.
	Entity *Entity
	// History is a field of Entity listing its past events, oldest first,
	// in the subscription field's own type: the subscription starts with
	// the newest, and a Redis outage's gap is filled from it.
	History string
	// Sequence is an Int field of the event that grows with every event of
	// the entity: an event not above the last one delivered is dropped.
	Sequence string
	// Filter passes only events whose field is one of an argument's values.
	Filter *Filter
}

// Entity is `Type(keyField: template, ...)`.
type Entity struct {
	Type string
	Keys []Key
}

// Key is one key field of an Entity and the template of its value.
type Key struct {
	Field string
	Value Template
}

// Filter is `field in args.path`: an event passes when its field equals one
// of the argument's values; a null or empty argument passes everything.
type Filter struct {
	Field string
	Arg   []string
}

// Template is text with {{ args.a.b }} and {{ claims.sub }} holes.
type Template struct {
	parts []part
}

type part struct {
	text  string
	arg   []string // a path into the field's arguments
	claim string   // or a claim of the verified token
}

var (
	hole       = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	path       = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*)*$`)
	entityDecl = regexp.MustCompile(`^\s*([_A-Za-z][_0-9A-Za-z]*)\s*\((.*)\)\s*$`)
	filterDecl = regexp.MustCompile(`^\s*([_A-Za-z][_0-9A-Za-z]*)\s+in\s+args\.(\S+)\s*$`)
	fieldName  = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)
)

// Claims a template may name: only what the router has verified.
var claims = map[string]bool{"sub": true}

// ParseTemplate reads a template.
func ParseTemplate(s string) (Template, error) {
	var t Template
	last := 0
	for _, m := range hole.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			t.parts = append(t.parts, part{text: s[last:m[0]]})
		}
		ref := s[m[2]:m[3]]
		root, rest, _ := strings.Cut(ref, ".")
		switch {
		case !path.MatchString(ref) || rest == "":
			return Template{}, fmt.Errorf("{{ %s }} is neither args.<argument> nor claims.<claim>", ref)
		case root == "args":
			t.parts = append(t.parts, part{arg: strings.Split(rest, ".")})
		case root == "claims" && claims[rest]:
			t.parts = append(t.parts, part{claim: rest})
		case root == "claims":
			return Template{}, fmt.Errorf("{{ %s }}: only claims.sub can be named", ref)
		default:
			return Template{}, fmt.Errorf("{{ %s }} is neither args.<argument> nor claims.<claim>", ref)
		}
		last = m[1]
	}
	if rest := s[last:]; rest != "" {
		if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
			return Template{}, fmt.Errorf("%q has an unclosed {{ }}", s)
		}
		t.parts = append(t.parts, part{text: rest})
	}
	return t, nil
}

// Args are the argument paths the template names.
func (t Template) Args() [][]string {
	var out [][]string
	for _, p := range t.parts {
		if p.arg != nil {
			out = append(out, p.arg)
		}
	}
	return out
}

// UsesClaims says the template names the subscriber's token.
func (t Template) UsesClaims() bool {
	for _, p := range t.parts {
		if p.claim != "" {
			return true
		}
	}
	return false
}

// Render fills the template from the field's arguments (JSON) and the
// verified subject. A hole whose value is missing, null, empty or not a
// scalar is an error: a channel must never be named by half a template.
func (t Template) Render(args map[string]json.RawMessage, subject string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.claim != "":
			if subject == "" {
				return "", fmt.Errorf("claims.%s: the caller is not signed in", p.claim)
			}
			b.WriteString(subject)
		case p.arg != nil:
			v, err := Lookup(args, p.arg)
			if err != nil {
				return "", err
			}
			s, ok := scalar(v)
			if !ok || s == "" {
				return "", fmt.Errorf("args.%s has no value to name a channel with", strings.Join(p.arg, "."))
			}
			b.WriteString(s)
		default:
			b.WriteString(p.text)
		}
	}
	return b.String(), nil
}

// Lookup follows a path into the arguments; null or missing is nil.
func Lookup(args map[string]json.RawMessage, p []string) (json.RawMessage, error) {
	v := args[p[0]]
	for _, name := range p[1:] {
		if len(v) == 0 || string(v) == "null" {
			return nil, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, fmt.Errorf("args.%s: not an object", strings.Join(p, "."))
		}
		v = m[name]
	}
	if string(v) == "null" {
		return nil, nil
	}
	return v, nil
}

// scalar reads a JSON string, number or boolean as text.
func scalar(v json.RawMessage) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String(), true
	}
	if b, err := strconv.ParseBool(string(v)); err == nil {
		return strconv.FormatBool(b), true
	}
	return "", false
}

// Parse reads a declaration's arguments (as their string values); the
// composer checks the names they use against the schema.
func Parse(args map[string]string) (Source, error) {
	var src Source
	for name := range args {
		switch name {
		case "channel", "entity", "history", "sequence", "filter":
		default:
			return Source{}, fmt.Errorf("unknown argument %s", name)
		}
	}
	ch, ok := args["channel"]
	if !ok || ch == "" {
		return Source{}, fmt.Errorf("channel is required")
	}
	var err error
	if src.Channel, err = ParseTemplate(ch); err != nil {
		return Source{}, fmt.Errorf("channel: %w", err)
	}
	if e, ok := args["entity"]; ok {
		if src.Entity, err = parseEntity(e); err != nil {
			return Source{}, fmt.Errorf("entity: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"history", &src.History}, {"sequence", &src.Sequence}} {
		v, ok := args[f.name]
		if !ok {
			continue
		}
		if !fieldName.MatchString(v) {
			return Source{}, fmt.Errorf("%s: %q is not a field name", f.name, v)
		}
		if src.Entity == nil {
			return Source{}, fmt.Errorf("%s needs entity: it belongs to one entity's events", f.name)
		}
		*f.dst = v
	}
	if f, ok := args["filter"]; ok {
		m := filterDecl.FindStringSubmatch(f)
		if m == nil || !path.MatchString(m[2]) {
			return Source{}, fmt.Errorf("filter: %q is not `field in args.<argument>`", f)
		}
		src.Filter = &Filter{Field: m[1], Arg: strings.Split(m[2], ".")}
	}
	return src, nil
}

// parseEntity reads `Type(field: template, ...)`; templates hold no commas.
func parseEntity(s string) (*Entity, error) {
	m := entityDecl.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%q is not `Type(keyField: {{ args.x }})`", s)
	}
	e := &Entity{Type: m[1]}
	for _, kv := range strings.Split(m[2], ",") {
		k, v, ok := strings.Cut(kv, ":")
		k = strings.TrimSpace(k)
		if !ok || !fieldName.MatchString(k) {
			return nil, fmt.Errorf("%q: %q is not `keyField: template`", s, strings.TrimSpace(kv))
		}
		t, err := ParseTemplate(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		e.Keys = append(e.Keys, Key{Field: k, Value: t})
	}
	return e, nil
}

// Representation renders the entity's _entities representation.
func (e *Entity) Representation(args map[string]json.RawMessage, subject string) ([]byte, error) {
	rep := map[string]string{"__typename": e.Type}
	for _, k := range e.Keys {
		v, err := k.Value.Render(args, subject)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.Field, err)
		}
		rep[k.Field] = v
	}
	return json.Marshal(rep)
}

// KeyFields are the entity's key fields, as a FieldSet.
func (e *Entity) KeyFields() string {
	names := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		names[i] = k.Field
	}
	return strings.Join(names, " ")
}

// Passes reports whether an event's filter field value is allowed by the
// argument's values.
func (f *Filter) Passes(args map[string]json.RawMessage, value string) bool {
	raw, err := Lookup(args, f.Arg)
	if err != nil || len(raw) == 0 {
		return true
	}
	var allowed []json.RawMessage
	if json.Unmarshal(raw, &allowed) != nil {
		// A single value where a list is declared: GraphQL input coercion
		// allows it.
		allowed = []json.RawMessage{raw}
	}
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if s, ok := scalar(a); ok && s == value {
			return true
		}
	}
	return false
}
