// Package config is the router's configuration: router.yaml, every field
// with a default, overridden by a few environment variables, validated at
// start. `router --print-config` prints the effective result with secrets
// masked.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is router.yaml. Zero values are filled by Defaults; a negative
// limit turns that limit off.
type Config struct {
	// ListenAddr is where the router serves HTTP.
	ListenAddr string `yaml:"listen_addr"`
	// Dev turns on what only a developer's machine wants: introspection and
	// the playground (each can still be set on its own).
	Dev           bool  `yaml:"dev"`
	Introspection *bool `yaml:"introspection"`
	Playground    *bool `yaml:"playground"`
	// Supergraph is the composed SDL file, re-read when it changes.
	Supergraph struct {
		Path         string   `yaml:"path"`
		PollInterval Duration `yaml:"poll_interval"` // "off" never reloads
	} `yaml:"supergraph"`
	// JWKSURL is the key set access tokens are verified with.
	JWKSURL string `yaml:"jwks_url"`
	// RedisURL is shared state between router replicas (rate limits,
	// persisted queries). Empty: each replica keeps its own in memory.
	RedisURL string `yaml:"redis_url"`
	// RedisPrefix starts every key the router writes there.
	RedisPrefix string `yaml:"redis_prefix"`
	// MediaURL is where the products subgraph serves /media (images, and
	// presigned uploads with the local backend), e.g. http://products:4002;
	// set, the router proxies /media/ to it, so a deployment that
	// publishes only the router still serves images. Empty: no proxy.
	MediaURL string `yaml:"media_url"`
	// IncludeSubgraphErrors passes subgraph error messages that carry no
	// code (or INTERNAL_SERVER_ERROR) to clients; off, they read "internal
	// error", since they may hold SQL, file paths or stack traces.
	IncludeSubgraphErrors bool `yaml:"include_subgraph_errors"`
	// Subgraphs overrides the supergraph's URLs and sets per-subgraph rules,
	// keyed by subgraph name.
	Subgraphs     map[string]Subgraph `yaml:"subgraphs"`
	Limits        Limits              `yaml:"limits"`
	CSRF          CSRF                `yaml:"csrf"`
	CORS          CORS                `yaml:"cors"`
	Persisted     Persisted           `yaml:"persisted_operations"`
	RateLimit     RateLimit           `yaml:"rate_limit"`
	Traffic       Traffic             `yaml:"traffic"`
	Headers       Headers             `yaml:"headers"`
	Subscriptions Subscriptions       `yaml:"subscriptions"`
	Telemetry     Telemetry           `yaml:"telemetry"`
}

// Subgraph is one subgraph's deployment: where its instances are and how
// requests to it are shaped.
type Subgraph struct {
	// URLs are its instances; requests are balanced over the healthy ones.
	URLs []string `yaml:"urls"`
	// DNS is "host:port" of a headless service whose A/AAAA records are the
	// instances (re-resolved every traffic.dns_refresh); the path comes from
	// the first of URLs or the supergraph's URL.
	DNS string `yaml:"dns"`
	// Timeout overrides traffic.subgraph_timeout.
	Timeout Duration `yaml:"timeout"`
	// Headers are added to headers.propagate for this subgraph.
	Headers []HeaderRule `yaml:"headers"`
}

// Limits reject requests before any subgraph call.
type Limits struct {
	MaxBodyBytes   int64 `yaml:"max_body_bytes"`   // after decompression
	MaxHeaderBytes int   `yaml:"max_header_bytes"` // all request headers
	MaxHeaders     int   `yaml:"max_headers"`
	ParserTokens   int   `yaml:"parser_max_tokens"` // approximated by fields+depth in the tokenizer
	ParserDepth    int   `yaml:"parser_max_depth"`
	ParserFields   int   `yaml:"parser_max_fields"` // field names while tokenizing
	MaxDepth       int   `yaml:"max_depth"`
	MaxHeight      int   `yaml:"max_height"` // distinct fields after merging
	MaxAliases     int   `yaml:"max_aliases"`
	MaxRootFields  int   `yaml:"max_root_fields"`
	MaxDirectives  int   `yaml:"max_directives"`
	// MaxCost is the static cost estimate limit (the IBM cost
	// specification: object fields weigh 1 unless @cost says otherwise,
	// times the list sizes above them from @listSize, else
	// DefaultListSize); introspection costs nothing. The default refuses
	// only what would fetch about a million objects.
	MaxCost         int  `yaml:"max_cost"`
	DefaultListSize int  `yaml:"default_list_size"`
	Batching        bool `yaml:"batching"`
	MaxBatch        int  `yaml:"max_batch"`
	// Mode "enforce" rejects; "measure" only logs and counts what would
	// have been rejected (to pick the numbers on real traffic).
	Mode string `yaml:"mode"`
}

// CSRF follows Apollo Router: a request a browser could send cross-site
// without a CORS preflight (no Content-Type, or a simple one, and none of
// RequiredHeaders) is refused.
type CSRF struct {
	Disabled        bool     `yaml:"unsafe_disabled"`
	RequiredHeaders []string `yaml:"required_headers"`
}

// CORS allows browsers on the listed origins to call the router.
type CORS struct {
	AllowOrigins     []string `yaml:"allow_origins"` // "*" for any (never with credentials)
	AllowCredentials bool     `yaml:"allow_credentials"`
	AllowHeaders     []string `yaml:"allow_headers"`
	MaxAge           Duration `yaml:"max_age"`
}

// Persisted operations: a manifest of known documents and automatic
// persisted queries (APQ).
type Persisted struct {
	// Mode: off (any document), log (unknown documents are logged and
	// counted), enforce (only documents in the manifest run).
	Mode string `yaml:"mode"`
	// Manifest is a JSON file: {"operations": {"<sha256>": "<document>"}}.
	Manifest string `yaml:"manifest"`
	// APQ lets clients register documents by sha256 (never in enforce mode).
	APQ bool `yaml:"apq"`
	// APQCacheSize bounds the in-memory APQ store (Redis, when set, is shared).
	APQCacheSize int `yaml:"apq_cache_size"`
}

// RateLimit is GCRA in Redis (shared by replicas), per user id or else per
// client IP, weighted by root fields.
type RateLimit struct {
	Enabled bool     `yaml:"enabled"`
	Rate    int      `yaml:"rate"`   // root fields per period
	Burst   int      `yaml:"burst"`  // allowed at once
	Period  Duration `yaml:"period"` // default 1s
	// Fields are stricter limits on single root fields ("Mutation.login"),
	// keyed per client as well.
	Fields map[string]FieldLimit `yaml:"fields"`
	// TrustForwardedFor takes the client IP from X-Forwarded-For's last
	// hop added by a trusted proxy; off, the TCP peer is the client.
	TrustForwardedFor bool `yaml:"trust_forwarded_for"`
}

// FieldLimit is a rate for one root field.
type FieldLimit struct {
	Rate   int      `yaml:"rate"`
	Burst  int      `yaml:"burst"`
	Period Duration `yaml:"period"`
}

// Traffic shapes requests to subgraphs.
type Traffic struct {
	RequestTimeout  Duration `yaml:"request_timeout"`
	SubgraphTimeout Duration `yaml:"subgraph_timeout"`
	// Deduplicate shares one execution between identical in-flight
	// requests of the same caller (inbound) and one subgraph fetch between
	// identical fetches of one operation; off is for benchmarking the
	// engine, or for subgraphs whose answers must not be shared.
	Deduplicate *bool `yaml:"deduplicate"`
	// MaxInFlight caps concurrent GraphQL requests; beyond it requests get
	// 503 with Retry-After instead of queueing.
	MaxInFlight int `yaml:"max_in_flight"`
	Retry       struct {
		MaxAttempts int      `yaml:"max_attempts"` // retries after the first try
		Backoff     Duration `yaml:"backoff"`      // base, jittered, doubling
		Budget      float64  `yaml:"budget"`       // retries as a fraction of requests
		MinPerSec   int      `yaml:"min_per_second"`
	} `yaml:"retry"`
	Breaker struct {
		Disabled         bool     `yaml:"disabled"`
		ErrorThreshold   float64  `yaml:"error_threshold"`   // failing fraction that opens
		RequestThreshold int      `yaml:"request_threshold"` // minimum requests in the window
		Window           Duration `yaml:"window"`
		SleepWindow      Duration `yaml:"sleep_window"`
	} `yaml:"circuit_breaker"`
	// LoadBalancing: round_robin or least_in_flight.
	LoadBalancing string   `yaml:"load_balancing"`
	DNSRefresh    Duration `yaml:"dns_refresh"`
	HealthCheck   struct {
		Interval Duration `yaml:"interval"` // 0 disables active checks
		Path     string   `yaml:"path"`
	} `yaml:"health_check"`
	// MaxResponseBytes caps a subgraph response body
	// (SUBREQUEST_RESPONSE_TOO_LARGE).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// EjectAfter consecutive failures takes an instance out for EjectFor.
	EjectAfter int      `yaml:"eject_after"`
	EjectFor   Duration `yaml:"eject_for"`
}

// Headers are propagation rules for subgraph requests and rules for the
// response.
type Headers struct {
	// Propagate applies to every subgraph, in order.
	Propagate []HeaderRule `yaml:"propagate"`
	// Response headers set on every GraphQL response.
	Response map[string]string `yaml:"response"`
	// Vary names the client headers that change what an answer holds, so a
	// cache keeps one copy per value (Vary on a cacheable answer). An answer
	// to a request with Authorization is private whatever the schema says.
	Vary []string `yaml:"vary"`
}

// HeaderRule is one of: propagate a client header (Named, optionally
// Rename), or Set a fixed value.
type HeaderRule struct {
	Named  string `yaml:"named,omitempty"`
	Rename string `yaml:"rename,omitempty"`
	Set    string `yaml:"set,omitempty"`
	Value  string `yaml:"value,omitempty"` // masked by Print
}

// Subscriptions bound WebSocket and SSE streams.
type Subscriptions struct {
	InitTimeout      Duration `yaml:"init_timeout"`
	WriteTimeout     Duration `yaml:"write_timeout"`
	MaxPerConnection int      `yaml:"max_per_connection"`
	MaxPerUser       int      `yaml:"max_per_user"`  // per user id, else per client IP
	MaxTotal         int      `yaml:"max_total"`     // per router process
	PingInterval     Duration `yaml:"ping_interval"` // negative: never
	// ChannelPrefix starts the Redis channels of the event source
	// (@redisSubscribe, router/docs/event-source.md): the publishing
	// subgraphs' REDIS_PREFIX.
	ChannelPrefix string `yaml:"channel_prefix"`
}

// Telemetry: Prometheus metrics and OpenTelemetry traces.
type Telemetry struct {
	MetricsPath string `yaml:"metrics_path"` // "" or "-" turns /metrics off
	Tracing     struct {
		// Exporter: none, stdout, otlp (OTLP/HTTP to Endpoint).
		Exporter    string  `yaml:"exporter"`
		Endpoint    string  `yaml:"endpoint"`
		SampleRatio float64 `yaml:"sample_ratio"`
	} `yaml:"tracing"`
}

// Defaults is the configuration with no file and no environment.
func Defaults() Config {
	var c Config
	c.fill()
	return c
}

// fill sets every zero field to its default.
func (c *Config) fill() {
	def(&c.ListenAddr, "127.0.0.1:4000")
	def(&c.Supergraph.Path, "schema/supergraph.graphql")
	def(&c.Supergraph.PollInterval, Duration(time.Second))
	def(&c.JWKSURL, "http://127.0.0.1:4001/.well-known/jwks.json")
	if c.Introspection == nil {
		c.Introspection = ptr(c.Dev)
	}
	if c.Playground == nil {
		c.Playground = ptr(c.Dev)
	}
	l := &c.Limits
	def(&l.MaxBodyBytes, 2_000_000)
	def(&l.MaxHeaderBytes, 32<<10)
	def(&l.MaxHeaders, 100)
	def(&l.ParserTokens, 15000)
	def(&l.ParserDepth, 100)
	def(&l.ParserFields, 5000)
	def(&l.MaxDepth, 15)
	def(&l.MaxHeight, 300)
	def(&l.MaxAliases, 30)
	def(&l.MaxRootFields, 20)
	def(&l.MaxDirectives, 50)
	def(&l.MaxCost, 1_000_000)
	def(&l.DefaultListSize, 10)
	def(&l.MaxBatch, 10)
	def(&l.Mode, "enforce")
	if len(c.CSRF.RequiredHeaders) == 0 {
		c.CSRF.RequiredHeaders = []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight"}
	}
	if len(c.CORS.AllowHeaders) == 0 {
		c.CORS.AllowHeaders = []string{"Content-Type", "Authorization", "X-Channel", "X-Cart-Token", "X-Order-Token", "Accept-Language",
			"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "X-Request-Id", "Traceparent"}
	}
	def(&c.CORS.MaxAge, Duration(10*time.Minute))
	def(&c.Persisted.Mode, "off")
	def(&c.Persisted.APQCacheSize, 10000)
	r := &c.RateLimit
	def(&r.Rate, 50)
	def(&r.Burst, 100)
	def(&r.Period, Duration(time.Second))
	if r.Fields == nil {
		r.Fields = map[string]FieldLimit{
			"Mutation.login":                {Rate: 5, Burst: 5, Period: Duration(time.Minute)},
			"Mutation.requestPasswordReset": {Rate: 3, Burst: 3, Period: Duration(time.Minute)},
			"Mutation.placeOrder":           {Rate: 10, Burst: 10, Period: Duration(time.Minute)},
		}
	}
	for k, f := range r.Fields {
		def(&f.Burst, f.Rate)
		def(&f.Period, Duration(time.Second))
		r.Fields[k] = f
	}
	t := &c.Traffic
	def(&t.RequestTimeout, Duration(10*time.Second))
	def(&t.SubgraphTimeout, Duration(3*time.Second))
	def(&t.MaxInFlight, 256)
	if t.Deduplicate == nil {
		t.Deduplicate = ptr(true)
	}
	def(&t.Retry.MaxAttempts, 2)
	def(&t.Retry.Backoff, Duration(20*time.Millisecond))
	def(&t.Retry.Budget, 0.1)
	def(&t.Retry.MinPerSec, 10)
	def(&t.Breaker.ErrorThreshold, 0.5)
	def(&t.Breaker.RequestThreshold, 20)
	def(&t.Breaker.Window, Duration(10*time.Second))
	def(&t.Breaker.SleepWindow, Duration(5*time.Second))
	def(&t.LoadBalancing, "round_robin")
	def(&t.DNSRefresh, Duration(10*time.Second))
	def(&t.HealthCheck.Path, "/health")
	def(&t.EjectAfter, 3)
	def(&t.MaxResponseBytes, 10<<20)
	def(&t.EjectFor, Duration(10*time.Second))
	if c.Headers.Vary == nil {
		c.Headers.Vary = []string{"X-Channel", "X-Cart-Token", "Accept-Language"}
	}
	if c.Headers.Propagate == nil {
		for _, h := range []string{"Authorization", "X-Channel", "X-Cart-Token", "X-Order-Token", "Accept-Language", "User-Agent", "X-Request-Id", "Traceparent", "Tracestate"} {
			c.Headers.Propagate = append(c.Headers.Propagate, HeaderRule{Named: h})
		}
	}
	s := &c.Subscriptions
	def(&s.InitTimeout, Duration(10*time.Second))
	def(&s.WriteTimeout, Duration(5*time.Second))
	def(&s.MaxPerConnection, 100)
	def(&s.MaxPerUser, 50)
	def(&s.MaxTotal, 20000)
	def(&s.PingInterval, Duration(25*time.Second))
	def(&s.ChannelPrefix, "myshop:")
	def(&c.RedisPrefix, "myshop:router:")
	def(&c.Telemetry.MetricsPath, "/metrics")
	def(&c.Telemetry.Tracing.Exporter, "none")
	def(&c.Telemetry.Tracing.SampleRatio, 1)
}

func def[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func ptr[T any](v T) *T { return &v }

// Load reads path (none when empty), applies the environment, fills
// defaults and validates.
func Load(path string, getenv func(string) string) (Config, error) {
	var c Config
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true) // a misspelt key is an error, not a silent default
		// An empty file means all defaults.
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	c.fill()
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// applyEnv overrides the file with the environment variables deployments
// set (the README's table lists them).
func (c *Config) applyEnv(getenv func(string) string) error {
	strEnv := func(v string, p *string) {
		if v != "" {
			*p = v
		}
	}
	strEnv(getenv("ROUTER_LISTEN_ADDR"), &c.ListenAddr)
	strEnv(getenv("ROUTER_SUPERGRAPH"), &c.Supergraph.Path)
	strEnv(getenv("ROUTER_JWKS_URL"), &c.JWKSURL)
	strEnv(getenv("ROUTER_REDIS_URL"), &c.RedisURL)
	if v := getenv("ROUTER_SUPERGRAPH_POLL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("ROUTER_SUPERGRAPH_POLL: %w", err)
		}
		c.Supergraph.PollInterval = Duration(d)
		if d == 0 {
			c.Supergraph.PollInterval = -1
		}
	}
	// Each says "disabled": true turns the feature off, false on.
	notEnv := func(name, v string, p **bool) error {
		if v == "" {
			return nil
		}
		off, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s: want true or false, got %q", name, v)
		}
		*p = ptr(!off)
		return nil
	}
	return errors.Join(
		notEnv("INTROSPECTION_DISABLED", getenv("INTROSPECTION_DISABLED"), &c.Introspection),
		notEnv("ROUTER_PLAYGROUND_DISABLED", getenv("ROUTER_PLAYGROUND_DISABLED"), &c.Playground))
}

// SubgraphURLsFromEnv reads ROUTER_SUBGRAPH_<NAME>_URL (a comma-separated
// list of instances) into the subgraph's URLs.
func (c *Config) SubgraphURLsFromEnv(names []string, getenv func(string) string) {
	for _, name := range names {
		v := getenv("ROUTER_SUBGRAPH_" + EnvName(name) + "_URL")
		if v == "" {
			continue
		}
		if c.Subgraphs == nil {
			c.Subgraphs = map[string]Subgraph{}
		}
		s := c.Subgraphs[name]
		s.URLs = nil
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				s.URLs = append(s.URLs, u)
			}
		}
		c.Subgraphs[name] = s
	}
}

// EnvName is a subgraph name as it appears in variable names.
func EnvName(name string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains([]string{"enforce", "measure"}, c.Limits.Mode) {
		bad("limits.mode: want enforce or measure, got %q", c.Limits.Mode)
	}
	if !slices.Contains([]string{"off", "log", "enforce"}, c.Persisted.Mode) {
		bad("persisted_operations.mode: want off, log or enforce, got %q", c.Persisted.Mode)
	}
	if c.Persisted.Mode != "off" && c.Persisted.Manifest == "" {
		bad("persisted_operations.mode %s needs persisted_operations.manifest", c.Persisted.Mode)
	}
	if c.Persisted.Mode == "enforce" && c.Persisted.APQ {
		bad("persisted_operations.apq cannot be on in enforce mode: it would let clients register any document")
	}
	if !slices.Contains([]string{"round_robin", "least_in_flight"}, c.Traffic.LoadBalancing) {
		bad("traffic.load_balancing: want round_robin or least_in_flight, got %q", c.Traffic.LoadBalancing)
	}
	if !slices.Contains([]string{"none", "stdout", "otlp"}, c.Telemetry.Tracing.Exporter) {
		bad("telemetry.tracing.exporter: want none, stdout or otlp, got %q", c.Telemetry.Tracing.Exporter)
	}
	if c.Telemetry.Tracing.Exporter == "otlp" && c.Telemetry.Tracing.Endpoint == "" {
		bad("telemetry.tracing.exporter otlp needs telemetry.tracing.endpoint")
	}
	if r := c.Telemetry.Tracing.SampleRatio; r < 0 || r > 1 {
		bad("telemetry.tracing.sample_ratio: want 0..1, got %v", r)
	}
	if sub, req := c.Traffic.SubgraphTimeout, c.Traffic.RequestTimeout; sub > 0 && req > 0 && sub >= req {
		bad("traffic.subgraph_timeout (%s) must be shorter than traffic.request_timeout (%s), or the client times out before the subgraph error arrives", sub, req)
	}
	if b := c.Traffic.Retry.Budget; b < 0 || b > 1 {
		bad("traffic.retry.budget: want 0..1, got %v", b)
	}
	if t := c.Traffic.Breaker.ErrorThreshold; t <= 0 || t > 1 {
		bad("traffic.circuit_breaker.error_threshold: want (0, 1], got %v", t)
	}
	if slices.Contains(c.CORS.AllowOrigins, "*") && c.CORS.AllowCredentials {
		bad("cors: allow_origins \"*\" cannot be combined with allow_credentials")
	}
	for _, o := range c.CORS.AllowOrigins {
		if o == "*" {
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("cors.allow_origins: %q is not an origin (scheme://host[:port])", o)
		}
	}
	if c.RateLimit.Enabled && (c.RateLimit.Rate <= 0 || c.RateLimit.Burst <= 0) {
		bad("rate_limit: rate and burst must be positive")
	}
	for name, f := range c.RateLimit.Fields {
		if typ, field, ok := strings.Cut(name, "."); !ok || typ == "" || field == "" {
			bad("rate_limit.fields: %q is not Type.field", name)
		}
		if f.Rate <= 0 {
			bad("rate_limit.fields.%s.rate must be positive", name)
		}
	}
	for name, s := range c.Subgraphs {
		for _, u := range s.URLs {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				bad("subgraphs.%s.urls: %q is not an http(s) URL", name, u)
			}
		}
		if s.DNS != "" {
			if _, _, err := splitHostPort(s.DNS); err != nil {
				bad("subgraphs.%s.dns: %v", name, err)
			}
		}
		for _, h := range s.Headers {
			if err := h.validate(); err != nil {
				bad("subgraphs.%s.headers: %v", name, err)
			}
		}
	}
	for _, h := range c.Headers.Propagate {
		if err := h.validate(); err != nil {
			bad("headers.propagate: %v", err)
		}
	}
	if c.MediaURL != "" {
		if u, err := url.Parse(c.MediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("media_url: %q is not an http(s) URL", c.MediaURL)
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			bad("redis_url: want redis://host:port/db")
		}
	}
	return errors.Join(errs...)
}

func (h HeaderRule) validate() error {
	switch {
	case h.Named != "" && h.Set != "":
		return fmt.Errorf("a rule has either named (propagate) or set, not both (%q, %q)", h.Named, h.Set)
	case h.Named == "" && h.Set == "":
		return errors.New("a rule needs named or set")
	case h.Named != "" && h.Value != "":
		return fmt.Errorf("value belongs to set, not named %q", h.Named)
	}
	return nil
}

func splitHostPort(hp string) (string, int, error) {
	i := strings.LastIndexByte(hp, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("%q: want host:port", hp)
	}
	port, err := strconv.Atoi(hp[i+1:])
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: bad port", hp)
	}
	return strings.Trim(hp[:i], "[]"), port, nil
}
