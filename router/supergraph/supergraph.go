// Package supergraph reads a Federation v2 supergraph SDL (join v0.2/v0.3)
// and derives what the graphql-go-tools planner needs: the router and API
// schemas, and per subgraph its SDL and planner metadata.
package supergraph

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
)

// Supergraph is a parsed supergraph, ready to configure the engine.
type Supergraph struct {
	// RouterSDL is the schema the planner uses: join/link machinery removed,
	// @inaccessible elements kept because keys and requires may need them.
	RouterSDL string
	// APISDL is the schema clients see (normalization, validation,
	// introspection): RouterSDL without @inaccessible elements.
	APISDL string
	// Subgraphs are in join__Graph order.
	Subgraphs []Subgraph
	// Fields lists every field with arguments (without an entry the engine
	// silently drops the field's arguments from subgraph requests) and every
	// protected field (HasAuthorizationRule, with its rule in Authorization).
	Fields []plan.FieldConfiguration
	// Authorization holds the rule of every field protected by
	// @authenticated or @requiresScopes (on the field, its type or the type
	// it returns). The router checks them per request before fetching.
	Authorization map[Coordinate]Rule
	// CacheHints are the @cacheControl hints, kept out of both schemas.
	CacheHints CacheHints
}

// Subgraph is one join__Graph: where to send requests and how to plan them.
type Subgraph struct {
	Name string
	URL  string
	// SDL is the subgraph's schema as reconstructed from the supergraph, with
	// @key, @external, @requires and @provides; generated subgraph operations
	// are validated against it.
	SDL      string
	Metadata plan.DataSourceMetadata
	// Events are the subscription fields an event graph (a subgraph with
	// no URL) declares, by field name; the router serves them from Redis.
	Events map[string]EventSource
}

var specURL = regexp.MustCompile(`^https://specs\.apollo\.dev/([A-Za-z_]+)/v(\d+\.\d+)$`)

// Parse reads a supergraph SDL. It rejects supergraphs that need features
// the engine does not implement, rather than serving them wrongly.
func Parse(sdl string) (*Supergraph, error) {
	doc, err := parser.ParseSchema(&ast.Source{Name: "supergraph", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("parse supergraph: %w", err)
	}
	if len(doc.Extensions) > 0 || len(doc.SchemaExtension) > 0 {
		return nil, errors.New("supergraph: type or schema extensions are not expected in a composed supergraph")
	}
	if len(doc.Schema) != 1 {
		return nil, errors.New("supergraph: want exactly one schema definition with @link directives")
	}
	if err := checkLinks(doc.Schema[0].Directives); err != nil {
		return nil, err
	}
	if err := checkProgressiveOverride(doc); err != nil {
		return nil, err
	}
	g := &graph{doc: doc, roots: map[string]bool{}}
	for _, op := range doc.Schema[0].OperationTypes {
		g.roots[op.Type] = true
	}
	if err := g.readGraphs(); err != nil {
		return nil, err
	}
	rules, err := g.authorizationRules()
	if err != nil {
		return nil, err
	}
	out := &Supergraph{
		RouterSDL:     printDoc(g.routerDoc()),
		APISDL:        printDoc(apiDoc(g.routerDoc())),
		Fields:        g.fieldConfigurations(rules),
		Authorization: rules,
		CacheHints:    g.cacheHints(),
	}
	for _, gr := range g.graphs {
		sub, err := g.subgraph(gr)
		if err != nil {
			return nil, err
		}
		if sub.Events, err = g.eventSources(gr); err != nil {
			return nil, err
		}
		out.Subgraphs = append(out.Subgraphs, sub)
	}
	return out, nil
}

// checkLinks accepts join v0.2+ and the specs whose meaning we implement;
// any other feature marked for EXECUTION or SECURITY must not be ignored.
func checkLinks(dirs ast.DirectiveList) error {
	join := ""
	for _, d := range dirs {
		switch d.Name {
		case "core":
			return errors.New("supergraph: @core schemas (Federation 1, join v0.1) are not supported; recompose with Federation 2")
		case "link":
		default:
			continue
		}
		url := argValue(d, "url")
		m := specURL.FindStringSubmatch(url)
		name, version := "", ""
		if m != nil {
			name, version = m[1], m[2]
		}
		if as := argValue(d, "as"); as != "" && as != name {
			return fmt.Errorf("supergraph: @link(url: %q, as: %q): renamed specs are not supported", url, as)
		}
		switch name {
		case "join":
			if version == "0.1" {
				return errors.New("supergraph: join v0.1 (Federation 1) is not supported; recompose with Federation 2")
			}
			join = version
		case "link", "inaccessible", "tag":
		case costSpec:
			if version != "0.1" {
				return fmt.Errorf("supergraph: @link(url: %q): only v0.1 of %s is supported", url, name)
			}
		case authenticatedSpec, requiresScopesSpec:
			if version != "0.1" {
				return fmt.Errorf("supergraph: @link(url: %q): only v0.1 of %s is supported", url, name)
			}
			if err := checkImports(d, name); err != nil {
				return err
			}
		case policySpec:
			return fmt.Errorf("supergraph: @link(url: %q): @policy is not supported by this router (only @authenticated and @requiresScopes are enforced); it would serve the protected elements unchecked", url)
		default:
			if purpose := argValue(d, "for"); purpose == "EXECUTION" || purpose == "SECURITY" {
				return fmt.Errorf("supergraph: @link(url: %q, for: %s) names a feature this router does not implement", url, purpose)
			}
		}
	}
	if join == "" {
		return errors.New("supergraph: no @link to https://specs.apollo.dev/join/v0.x; is this a supergraph?")
	}
	return nil
}

// checkImports refuses an authorization spec imported under another name:
// the router would not recognise the renamed directive and would serve the
// elements it protects unchecked.
func checkImports(d *ast.Directive, spec string) error {
	a := d.Arguments.ForName("import")
	if a == nil || a.Value == nil {
		return nil
	}
	for _, c := range a.Value.Children {
		if c.Value.Kind != ast.StringValue || (c.Value.Raw != "@"+spec && !strings.HasPrefix(c.Value.Raw, spec+"__")) {
			return fmt.Errorf("supergraph: @link(url: %q, import: %s): renamed imports of %s are not supported", argValue(d, "url"), a.Value, spec)
		}
	}
	return nil
}

// joinGraph is one value of enum join__Graph.
type joinGraph struct{ enum, name, url string }

type graph struct {
	doc    *ast.SchemaDocument
	graphs []joinGraph
	roots  map[string]bool
}

func (g *graph) readGraphs() error {
	def := g.doc.Definitions.ForName("join__Graph")
	if def == nil {
		return errors.New("supergraph: enum join__Graph is missing")
	}
	for _, v := range def.EnumValues {
		d := v.Directives.ForName("join__graph")
		if d == nil {
			return fmt.Errorf("supergraph: join__Graph.%s has no @join__graph", v.Name)
		}
		g.graphs = append(g.graphs, joinGraph{enum: v.Name, name: argValue(d, "name"), url: argValue(d, "url")})
	}
	if len(g.graphs) == 0 {
		return errors.New("supergraph: join__Graph has no subgraphs")
	}
	return nil
}

// machinery reports definitions that only describe composition.
func machinery(name string) bool {
	return strings.HasPrefix(name, "join__") || strings.HasPrefix(name, "link__") ||
		name == "link" || name == "core" || strings.HasPrefix(name, "core__") || securityMachinery(name) || costMachinery(name) || cacheControlMachinery(name) || eventsMachinery(name)
}

// fieldConfigurations lists every object and interface field that has
// arguments or an authorization rule.
func (g *graph) fieldConfigurations(rules map[Coordinate]Rule) []plan.FieldConfiguration {
	var out []plan.FieldConfiguration
	for _, def := range g.doc.Definitions {
		if machinery(def.Name) || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			_, protected := rules[Coordinate{def.Name, f.Name}]
			if len(f.Arguments) == 0 && !protected {
				continue
			}
			fc := plan.FieldConfiguration{TypeName: def.Name, FieldName: f.Name, HasAuthorizationRule: protected}
			for _, a := range f.Arguments {
				fc.Arguments = append(fc.Arguments, plan.ArgumentConfiguration{Name: a.Name, SourceType: plan.FieldArgumentSource})
			}
			out = append(out, fc)
		}
	}
	slices.SortFunc(out, func(a, b plan.FieldConfiguration) int {
		return strings.Compare(a.TypeName+"."+a.FieldName, b.TypeName+"."+b.FieldName)
	})
	return out
}

func argValue(d *ast.Directive, name string) string {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return ""
	}
	return a.Value.Raw
}

func argBool(d *ast.Directive, name string) bool {
	return argValue(d, name) == "true"
}

// checkProgressiveOverride refuses @join__field(overrideLabel:) (join v0.4,
// Federation 2.7 progressive @override): Apollo's router sends a share of
// the requests ("percent(N)") or those with a label enabled to the new
// owner. The engine plans one static placement per field, so serving the
// field from either subgraph alone would silently misroute the traffic the
// label is meant to split; the supergraph must be recomposed without the
// label (a plain @override) to finish, or without @override to undo, the
// migration.
func checkProgressiveOverride(doc *ast.SchemaDocument) error {
	for _, def := range doc.Definitions {
		for _, f := range def.Fields {
			for _, d := range f.Directives {
				if d.Name != "join__field" {
					continue
				}
				if label := argValue(d, "overrideLabel"); label != "" {
					return fmt.Errorf("supergraph: field %s.%s uses progressive @override (overrideLabel: %q): this router cannot split traffic between subgraphs; recompose with a plain @override (no label) or without @override",
						def.Name, f.Name, label)
				}
			}
		}
	}
	return nil
}
