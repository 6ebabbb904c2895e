package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// The example documents every field with its default: loading it must
// give exactly the defaults.
func TestExampleIsTheDefaults(t *testing.T) {
	got, err := Load("../router.example.yaml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	// Compared as printed: an empty list in the file and a nil one in the
	// defaults mean the same.
	var g, w bytes.Buffer
	if err := got.Print(&g); err != nil {
		t.Fatal(err)
	}
	if err := Defaults().Print(&w); err != nil {
		t.Fatal(err)
	}
	if g.String() != w.String() {
		t.Errorf("router.example.yaml differs from the defaults:\n%s\nwant\n%s", g.String(), w.String())
	}
}

func TestEmptyFileAndEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ROUTER_LISTEN_ADDR": "0.0.0.0:9", "INTROSPECTION_DISABLED": "false", "ROUTER_SUPERGRAPH_POLL": "0",
		"ROUTER_REDIS_URL": "redis://:pw@r:6379/0"}
	c, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != "0.0.0.0:9" || !*c.Introspection || *c.Playground || c.Supergraph.PollInterval >= 0 {
		t.Errorf("env not applied: %+v", c)
	}
	var out bytes.Buffer
	if err := c.Print(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "pw@") || !strings.Contains(out.String(), "redis://:%2A%2A%2A%2A@r:6379/0") {
		t.Errorf("redis password not masked:\n%s", out.String())
	}
}

// Every mistake is reported, each naming its field.
func TestValidationErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "router.yaml")
	yaml := `
limits: {mode: sometimes}
persisted_operations: {mode: enforce, apq: true}
traffic: {request_timeout: 1s, subgraph_timeout: 2s, load_balancing: random}
cors: {allow_origins: ["*", "shop.example"], allow_credentials: true}
subgraphs: {products: {urls: ["ftp://x"], headers: [{named: A, set: B}]}}
headers: {propagate: [{value: x}]}
telemetry: {tracing: {exporter: otlp}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, noEnv)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"limits.mode", "persisted_operations.mode enforce needs", "apq cannot be on in enforce",
		"subgraph_timeout (2s) must be shorter", "traffic.load_balancing", `"*" cannot be combined`, `"shop.example" is not an origin`,
		"subgraphs.products.urls", "subgraphs.products.headers", "headers.propagate", "telemetry.tracing.exporter otlp needs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestUnknownKeyAndBadDuration(t *testing.T) {
	for _, yaml := range []string{"limits: {max_dept: 3}\n", "traffic: {request_timeout: soon}\n"} {
		path := filepath.Join(t.TempDir(), "router.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path, noEnv); err == nil {
			t.Errorf("%q: no error", yaml)
		}
	}
}

// The router.yaml files shipped for Compose and Kubernetes load and
// validate (an unknown key or bad value there would stop the router).
func TestShippedConfigs(t *testing.T) {
	for _, path := range []string{"../../deploy/router.yaml", "../../deploy/k8s/base/router-config.yaml"} {
		if _, err := Load(path, noEnv); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}
