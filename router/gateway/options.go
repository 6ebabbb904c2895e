package gateway

import (
	"time"

	"github.com/myshop/supergraph/router/config"
)

// OptionsFrom turns the router's settings (config.Config, defaults filled:
// the only place defaults are written) into the engine's limits, traffic
// and header rules. What the settings cannot hold (an HTTP client, metrics,
// Redis) the caller adds.
func OptionsFrom(set config.Config) Options {
	l, t := set.Limits, set.Traffic
	opts := Options{
		DisableIntrospection: set.Introspection != nil && !*set.Introspection,
		Limits: Limits{
			ParserTokens: l.ParserTokens, ParserDepth: l.ParserDepth, ParserFields: l.ParserFields, MaxDepth: l.MaxDepth, MaxHeight: l.MaxHeight,
			MaxAliases: l.MaxAliases, MaxRootFields: l.MaxRootFields, MaxDirectives: l.MaxDirectives,
			MaxCost: l.MaxCost, DefaultListSize: l.DefaultListSize, Measure: l.Mode == "measure",
		},
		Traffic: Traffic{
			SubgraphTimeout: t.SubgraphTimeout.D(),
			Retry:           RetryPolicy{MaxAttempts: t.Retry.MaxAttempts, Backoff: t.Retry.Backoff.D(), Budget: t.Retry.Budget, MinPerSec: t.Retry.MinPerSec},
			Breaker: BreakerPolicy{Disabled: t.Breaker.Disabled, ErrorThreshold: t.Breaker.ErrorThreshold,
				RequestThreshold: t.Breaker.RequestThreshold, Window: t.Breaker.Window.D(), SleepWindow: t.Breaker.SleepWindow.D()},
			Balance: BalancePolicy{LeastInFlight: t.LoadBalancing == "least_in_flight", DNSRefresh: t.DNSRefresh.D(),
				HealthInterval: max(t.HealthCheck.Interval.D(), 0), HealthPath: t.HealthCheck.Path, EjectAfter: t.EjectAfter, EjectFor: t.EjectFor.D()},
			MaxResponseBytes: max(t.MaxResponseBytes, 0),
			NoDeduplication:  t.Deduplicate != nil && !*t.Deduplicate,
			ExposeErrors:     set.IncludeSubgraphErrors,
			Timeouts:         map[string]time.Duration{},
			Instances:        map[string][]string{},
			DNS:              map[string]string{},
		},
		SubgraphHeaders: map[string][]HeaderRule{},
	}
	for _, r := range set.Headers.Propagate {
		opts.Headers = append(opts.Headers, HeaderRule(r))
	}
	for name, sub := range set.Subgraphs {
		if sub.Timeout != 0 {
			opts.Traffic.Timeouts[name] = sub.Timeout.D()
		}
		if len(sub.URLs) > 0 {
			opts.Traffic.Instances[name] = sub.URLs
		}
		if sub.DNS != "" {
			opts.Traffic.DNS[name] = sub.DNS
		}
		for _, r := range sub.Headers {
			opts.SubgraphHeaders[name] = append(opts.SubgraphHeaders[name], HeaderRule(r))
		}
	}
	return opts
}
