package config

import (
	"fmt"
	"io"
	"net/url"

	"go.yaml.in/yaml/v3"
)

const masked = "****"

// Print writes the effective configuration as router.yaml, secrets masked:
// the Redis password and every header value the router sets.
func (c Config) Print(w io.Writer) error {
	c.RedisURL = maskURL(c.RedisURL)
	c.Headers.Propagate = maskRules(c.Headers.Propagate)
	subs := make(map[string]Subgraph, len(c.Subgraphs))
	for name, s := range c.Subgraphs {
		s.Headers = maskRules(s.Headers)
		subs[name] = s
	}
	c.Subgraphs = subs
	out, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	_, err = w.Write(out)
	return err
}

func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return masked
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), masked)
	}
	return u.String()
}

func maskRules(rules []HeaderRule) []HeaderRule {
	out := make([]HeaderRule, len(rules))
	for i, r := range rules {
		if r.Value != "" {
			r.Value = masked
		}
		out[i] = r
	}
	return out
}
