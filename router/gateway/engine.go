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
	// Live serves order status subscriptions from Redis at the router.
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
	live         *liveHub // nil: every subscription passes through
	liveMu       sync.Mutex
	liveRuns     map[ConnectionID]map[int64]context.CancelFunc
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
	for _, sub := range sg.Subgraphs {
		ds, err := dataSource(ctx, sub, opts, log)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s: %w", sub.Name, err)
		}
		cfg.DataSources = append(cfg.DataSources, ds)
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
	// Fail at startup, not on the first request, when the config is unusable.
	if _, err := plan.NewPlanner(cfg); err != nil {
		return nil, fmt.Errorf("planner configuration: %w", err)
	}
	if opts.Live.Redis != nil {
		e.live = newLiveHub(ctx, opts.Live, log)
		e.liveRuns = map[ConnectionID]map[int64]context.CancelFunc{}
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
// transport names the subgraph when it cannot be reached.
func dataSource(ctx context.Context, sub supergraph.Subgraph, opts Options, log *slog.Logger) (plan.DataSource, error) {
	url := sub.URL
	if u, ok := opts.SubgraphURLs[sub.Name]; ok && u != "" {
		url = u
	}
	client, bal, err := subgraphClient(ctx, opts.HTTPClient, sub.Name, url, sub.SDL, opts.Traffic, log)
	if err != nil {
		return nil, err
	}
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
