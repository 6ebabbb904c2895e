// Package gateway executes GraphQL operations against the subgraphs of a
// supergraph with the graphql-go-tools engine: parse, normalize, validate,
// plan (cached), resolve.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/asttransform"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/datasource/graphql_datasource"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/datasource/introspection_datasource"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/router/supergraph"
)

// Options configure an Engine.
type Options struct {
	// SubgraphURLs overrides join__graph URLs, keyed by subgraph name.
	SubgraphURLs map[string]string
	// HTTPClient is used for subgraph requests; nil means a client with
	// sensible timeouts.
	HTTPClient *http.Client
	// Headers are rules for the headers of every subgraph request;
	// SubgraphHeaders add rules per subgraph name.
	Headers         []HeaderRule
	SubgraphHeaders map[string][]HeaderRule
	// PlanCacheSize bounds the number of cached plans; 0 means 1024.
	PlanCacheSize int
	// DisableIntrospection rejects operations selecting __schema or __type
	// before planning; __typename keeps working.
	DisableIntrospection bool
	// Limits bound operations before planning; zero or negative turns a
	// limit off.
	Limits Limits
	// Traffic shapes subgraph fetches.
	Traffic Traffic
	// Live is the Redis the event source listens to (eventsource.go).
	Live LiveOptions
}

// Engine runs operations for one supergraph. It is safe for concurrent use.
type Engine struct {
	routerSchema *ast.Document   // planning: keeps @inaccessible elements
	fieldNames   map[string]bool // every field name of routerSchema, for alias collisions
	clientSchema *ast.Document   // normalization, validation, introspection
	planConfig   plan.Configuration
	resolver     *resolve.Resolver
	plans        *planCache
	shapes       *lru[uint64, *shape] // prepared operations by query text and name
	kits         sync.Pool
	headers      headerRules
	rules        map[supergraph.Coordinate]supergraph.Rule // @authenticated/@requiresScopes
	cacheHints   supergraph.CacheHints                     // @cacheControl
	noIntrospect bool
	noDedup      bool
	limits       Limits
	observer     Observer
	events       *eventHub // nil without Redis
	endpoints    map[string]subgraphEndpoint
	dropped      atomic.Int64 // malformed event messages
	log          *slog.Logger
}

// New builds the engine. ctx bounds the lifetime of the resolver and of
// subgraph connections: cancel it to shut the engine down.
func New(ctx context.Context, sg *supergraph.Supergraph, opts Options, log *slog.Logger) (*Engine, error) {
	routerSchema, err := parseSchema(sg.RouterSDL)
	if err != nil {
		return nil, fmt.Errorf("router schema: %w", err)
	}
	clientSchema, err := parseSchema(sg.APISDL)
	if err != nil {
		return nil, fmt.Errorf("client schema: %w", err)
	}
	cfg := plan.Configuration{
		Fields:                         append(plan.FieldConfigurations{}, sg.Fields...),
		DisableResolveFieldPositions:   true,
		EnableOperationNamePropagation: true,
		// Every plan carries its cost tree (cost.go).
		ComputeCosts:              true,
		StaticCostDefaultListSize: opts.Limits.DefaultListSize,
	}
	addIsOneOf(routerSchema)
	addIsOneOf(clientSchema)
	intro, err := introspection_datasource.NewIntrospectionConfigFactory(clientSchema)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	introSource, err := introspectionDataSource(clientSchema)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	cfg.DataSources = append(cfg.DataSources, introSource)
	cfg.Fields = append(cfg.Fields, intro.BuildFieldConfigurations()...)

	e := &Engine{
		endpoints:    map[string]subgraphEndpoint{},
		routerSchema: routerSchema,
		fieldNames:   fieldNames(routerSchema),
		clientSchema: clientSchema,
		planConfig:   cfg,
		plans:        newPlanCache(opts.PlanCacheSize),
		shapes:       newLRU[uint64, *shape](opts.PlanCacheSize),
		headers:      headerRules{all: opts.Headers, perSubgraph: opts.SubgraphHeaders},
		rules:        sg.Authorization,
		cacheHints:   sg.CacheHints,
		noIntrospect: opts.DisableIntrospection,
		noDedup:      opts.Traffic.NoDeduplication,
		limits:       opts.Limits,
		observer:     opts.Traffic.Observer,
		log:          log,
	}
	if opts.Live.Redis != nil {
		e.events = newEventHub(ctx, opts.Live, log)
	}
	var sources []plan.DataSource
	for _, sub := range sg.Subgraphs {
		ds, err := e.dataSource(ctx, sub, opts)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s: %w", sub.Name, err)
		}
		sources = append(sources, ds)
	}
	e.planConfig.DataSources = append(sources, e.planConfig.DataSources...)
	// Fail at startup, not on the first request, when the config is unusable.
	if _, err := plan.NewPlanner(e.planConfig); err != nil {
		return nil, fmt.Errorf("planner configuration: %w", err)
	}
	e.resolver = resolve.New(ctx, resolve.ResolverOptions{
		MaxConcurrency:   1024,
		AsyncErrorWriter: asyncErrorWriter{log: log},
		// Pass-through shows clients the subgraph's own message and code;
		// paths inside _entities are rewritten to the client's paths.
		SubgraphErrorPropagationMode:       resolve.SubgraphErrorPropagationModePassThrough,
		PropagateSubgraphErrors:            true,
		RewriteSubgraphErrorPaths:          true,
		OmitSubgraphErrorLocations:         true,
		AttachServiceNameToErrorExtensions: true,
		DefaultErrorExtensionCode:          "DOWNSTREAM_SERVICE_ERROR",
		AllowedErrorExtensionFields:        []string{"code"},
		MaxRecyclableParserSize:            1 << 20,
		// The actual cost of a response needs its real list sizes.
		ResolvableOptions: resolve.ResolvableOptions{EnableCostControl: true},
	})
	return e, nil
}

func parseSchema(sdl string) (*ast.Document, error) {
	doc, report := astparser.ParseGraphqlDocumentString(sdl)
	if report.HasErrors() {
		return nil, fmt.Errorf("parse: %s", report.Error())
	}
	if err := asttransform.MergeDefinitionWithBaseSchema(&doc); err != nil {
		return nil, fmt.Errorf("merge base schema: %w", err)
	}
	return &doc, nil
}

// dataSource configures one subgraph, with its own HTTP client whose
// transport names the subgraph when it cannot be reached; an event graph's
// subscriptions are triggered by the event source instead.
func (e *Engine) dataSource(ctx context.Context, sub supergraph.Subgraph, opts Options) (plan.DataSource, error) {
	if len(sub.Events) > 0 {
		return e.eventDataSource(ctx, sub)
	}
	url := sub.URL
	if u, ok := opts.SubgraphURLs[sub.Name]; ok && u != "" {
		url = u
	}
	client, bal, err := subgraphClient(ctx, opts.HTTPClient, sub.Name, url, sub.SDL, opts.Traffic, e.log)
	if err != nil {
		return nil, err
	}
	e.endpoints[sub.Name] = subgraphEndpoint{url: url, client: client}
	// Subscriptions to subgraphs: graphql-transport-ws, pooled per
	// forwarded headers and init payload (so per user). Their client is
	// balanced like fetches but has no timeout (a stream lives long) and no
	// synthetic answers (a fake 200 is no WebSocket upgrade); the dial is
	// bounded by the transport's own dial timeout.
	streams := &http.Client{Transport: bal}
	subs := graphql_datasource.NewGraphQLSubscriptionClient(ctx,
		graphql_datasource.WithUpgradeClient(streams), graphql_datasource.WithStreamingClient(streams),
		graphql_datasource.WithPingInterval(15*time.Second), graphql_datasource.WithPingTimeout(30*time.Second),
		graphql_datasource.WithAckTimeout(10*time.Second), graphql_datasource.WithWriteTimeout(5*time.Second),
		graphql_datasource.WithDefaultErrorExtensionCode("DOWNSTREAM_SERVICE_ERROR"))
	factory, err := graphql_datasource.NewFactory(ctx, client, subs)
	if err != nil {
		return nil, fmt.Errorf("factory: %w", err)
	}
	schema, err := graphql_datasource.NewSchemaConfiguration(sub.SDL, &graphql_datasource.FederationConfiguration{Enabled: true, ServiceSDL: sub.SDL})
	if err != nil {
		return nil, fmt.Errorf("schema configuration: %w", err)
	}
	custom, err := graphql_datasource.NewConfiguration(graphql_datasource.ConfigurationInput{
		Fetch:               &graphql_datasource.FetchConfiguration{URL: url},
		Subscription:        &graphql_datasource.SubscriptionConfiguration{URL: url, WsSubProtocol: "graphql-transport-ws"},
		SchemaConfiguration: schema,
	})
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	meta := sub.Metadata
	return plan.NewDataSourceConfigurationWithName(sub.Name, sub.Name, factory, &meta, custom)
}

// eventDataSource configures an event graph: the planner treats it as a
// subgraph that only has subscriptions, and the trigger is eventClient.
// Its URL is never called; the engine only wants one.
func (e *Engine) eventDataSource(ctx context.Context, sub supergraph.Subgraph) (plan.DataSource, error) {
	client := &eventClient{graph: sub.Name, sources: sub.Events, hub: e.events, read: e.readEntity,
		ops: newLRU[string, *upstreamOp](256), dropped: &e.dropped, log: e.log}
	factory, err := graphql_datasource.NewFactory(ctx, &http.Client{Transport: noFetch{sub.Name}}, client)
	if err != nil {
		return nil, fmt.Errorf("factory: %w", err)
	}
	schema, err := graphql_datasource.NewSchemaConfiguration(sub.SDL, &graphql_datasource.FederationConfiguration{Enabled: true, ServiceSDL: sub.SDL})
	if err != nil {
		return nil, fmt.Errorf("schema configuration: %w", err)
	}
	url := "http://" + sub.Name + ".events.invalid/graphql"
	custom, err := graphql_datasource.NewConfiguration(graphql_datasource.ConfigurationInput{
		Fetch:               &graphql_datasource.FetchConfiguration{URL: url},
		Subscription:        &graphql_datasource.SubscriptionConfiguration{URL: url},
		SchemaConfiguration: schema,
	})
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	meta := sub.Metadata
	return plan.NewDataSourceConfigurationWithName(sub.Name, sub.Name, factory, &meta, custom)
}

// noFetch answers any fetch to an event graph, which resolves nothing
// (composition refuses resolvable keys and queries there).
type noFetch struct{ graph string }

func (n noFetch) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("event graph %s resolves no fetches", n.graph)
}
