package check

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// documentedEnv is the contract: every variable each kind of binary reads,
// from the README's "Ports and environment" table. "<NAME>" is the
// subgraph's name in capitals. TestEnvContract checks it against the Go
// sources (a new variable must be added here, to the README, and to
// Compose and Kubernetes, or this package fails).
var documentedEnv = map[string][]string{
	"router": {"ROUTER_JWKS_URL", "ROUTER_LISTEN_ADDR", "ROUTER_SUPERGRAPH", "ROUTER_SUPERGRAPH_POLL",
		"ROUTER_SUBGRAPH_<NAME>_URL", "INTROSPECTION_DISABLED", "ROUTER_PLAYGROUND_DISABLED", "ROUTER_CONFIG", "ROUTER_REDIS_URL"},
	"subgraph": {"<NAME>_LISTEN_ADDR", "<NAME>_DATABASE_URL", "DATABASE_URL", "REDIS_URL", "USERS_JWKS_URL",
		"SEED_DEMO_DATA", "LOADER_WAIT", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER_ARG"},
	"users":    {"USERS_SERVICE_CLIENTS"},
	"orders":   {"ORDERS_PRODUCTS_URL", "ORDERS_INVENTORY_URL", "ORDERS_PAYMENTS_URL", "ORDERS_TOKEN_URL", "ORDERS_CLIENT_ID", "ORDERS_CLIENT_SECRET"},
	"payments": {"PAYMENTS_PROVIDER", "PAYMENTS_STRIPE_URL", "PAYMENTS_STRIPE_KEY", "PAYMENTS_WEBHOOK_SECRET", "PAYMENTS_STRIPE_RETURN_URL", "PAYMENTS_PUBLIC_URL"},
	"notifications": {"NOTIFICATIONS_SMTP_ADDR", "NOTIFICATIONS_FROM", "NOTIFICATIONS_STAFF_EMAIL", "NOTIFICATIONS_UNSUBSCRIBE_SECRET",
		"NOTIFICATIONS_VAPID_SUBJECT", "NOTIFICATIONS_VAPID_PUBLIC_KEY", "NOTIFICATIONS_VAPID_PRIVATE_KEY", "SHOP_URL", "NOTIFICATIONS_CALLBACK_SECRET",
		"NOTIFICATIONS_TWILIO_ACCOUNT_SID", "NOTIFICATIONS_TWILIO_AUTH_TOKEN", "NOTIFICATIONS_TWILIO_FROM", "NOTIFICATIONS_TWILIO_API_URL",
		"NOTIFICATIONS_PUBLIC_URL", "NOTIFICATIONS_PROVIDER_TIMEOUT", "NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE"},
	"analytics": {"ANALYTICS_EXPORT_SECRET", "ANALYTICS_PUBLIC_URL"},
	"inventory": {},
	"products": {"PRODUCTS_MEDIA_BACKEND", "PRODUCTS_MEDIA_DIR", "PRODUCTS_MEDIA_SECRET", "PRODUCTS_MEDIA_URL", "PRODUCTS_S3_ENDPOINT",
		"PRODUCTS_S3_BUCKET", "PRODUCTS_S3_REGION", "PRODUCTS_S3_ACCESS_KEY", "PRODUCTS_S3_SECRET_KEY"},
}

// notInREADME are variables the code reads that the README's table does
// not list yet. The test fails once the README lists one (delete it here
// then), so this only shrinks.
var notInREADME = map[string]bool{}

// defaulted are variables a deployment may leave unset, and why.
var defaulted = map[string]string{
	"<NAME>_DATABASE_URL": "each subgraph uses database myshop_<name> on DATABASE_URL's server",
	"ROUTER_CONFIG":       "no router.yaml: the built-in defaults (router/router.example.yaml) and the environment",
}

// expected is documentedEnv expanded for one binary.
func expected(t *testing.T, bin string) map[string]bool {
	out := map[string]bool{}
	add := func(list []string, name string) {
		for _, v := range list {
			if strings.Contains(v, "<NAME>") && bin == "router" {
				for _, s := range subgraphs(t) {
					out[strings.ReplaceAll(v, "<NAME>", strings.ToUpper(s.Name))] = true
				}
				continue
			}
			out[strings.ReplaceAll(v, "<NAME>", strings.ToUpper(name))] = true
		}
	}
	if bin == "router" {
		add(documentedEnv["router"], "")
		return out
	}
	list, ok := documentedEnv[bin]
	if !ok {
		t.Fatalf("binary %s is not in documentedEnv", bin)
	}
	add(documentedEnv["subgraph"], bin)
	add(list, bin)
	return out
}

// mayBeUnset says whether a deployment may leave v unset for bin.
func mayBeUnset(bin, v string) bool {
	for k := range defaulted {
		if strings.ReplaceAll(k, "<NAME>", strings.ToUpper(bin)) == v {
			return true
		}
	}
	return false
}

func TestEnvContract(t *testing.T) {
	readme, err := os.ReadFile(path("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// A name is documented by itself or by its template:
	// USERS_DATABASE_URL by `USERS_DATABASE_URL` or `<NAME>_DATABASE_URL`.
	for _, list := range documentedEnv {
		for _, tmpl := range list {
			names := []string{tmpl}
			if strings.Contains(tmpl, "<NAME>") {
				names = nil
				for _, s := range subgraphs(t) {
					names = append(names, strings.ReplaceAll(tmpl, "<NAME>", strings.ToUpper(s.Name)))
				}
			}
			for _, v := range names {
				documented := strings.Contains(string(readme), "`"+v) || strings.Contains(string(readme), "`"+tmpl)
				switch {
				case notInREADME[v] && documented:
					t.Errorf("README.md now documents %s: delete it from notInREADME", v)
				case notInREADME[v]:
					t.Logf("README.md does not document %s yet (notInREADME)", v)
				case !documented:
					t.Errorf("README.md does not document %s", v)
				}
			}
		}
	}
	for _, bin := range binaries(t) {
		got := scanEnv(t, bin)
		want := expected(t, bin)
		for v := range got {
			if !want[v] {
				t.Errorf("%s reads %s, which documentedEnv (env_test.go) does not list: document it in README.md and set it in deploy/compose.yaml, .env.example and deploy/k8s", bin, v)
			}
		}
		for v := range want {
			if !got[v] {
				t.Errorf("documentedEnv says %s reads %s, but its sources do not: remove it here, from the README and the deployment", bin, v)
			}
		}
	}
}

var (
	envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	// envReader names the functions (and closures) the sources read the
	// environment with: os.Getenv, os.LookupEnv, getenv, env(k, def),
	// envOr(getenv, k, def), d.Setting(k, def), get(k), or(k, def).
	envReader = regexp.MustCompile(`^(?i:\w*env\w*|\w*setting\w*|get|or)$`)
)

// modules maps the workspace modules a binary is built from to their
// directories.
var modules = map[string]string{
	"github.com/myshop/supergraph/subgraphs": "subgraphs",
	"github.com/myshop/supergraph/router":    "router",
}

// scanEnv returns the environment variables bin reads: its main package
// and every repository package it imports (tests excluded), searched for
// env reader calls with a literal name. A name built at run time
// (prefix + "LISTEN_ADDR") must be one of the known templates.
func scanEnv(t *testing.T, bin string) map[string]bool {
	t.Helper()
	scanMu.Lock()
	defer scanMu.Unlock()
	if got, ok := scanned[bin]; ok {
		return got
	}
	got := scanEnvUncached(t, bin)
	if !t.Failed() {
		scanned[bin] = got
	}
	return got
}

var (
	scanMu  sync.Mutex
	scanned = map[string]map[string]bool{}
)

func scanEnvUncached(t *testing.T, bin string) map[string]bool {
	mainDir := "subgraphs/cmd/" + bin
	if bin == "router" {
		mainDir = "router/cmd/router"
	}
	templates := map[string]func() []string{
		"{}LISTEN_ADDR":  func() []string { return []string{strings.ToUpper(bin) + "_LISTEN_ADDR"} },
		"{}DATABASE_URL": func() []string { return []string{strings.ToUpper(bin) + "_DATABASE_URL"} },
		"ROUTER_SUBGRAPH_{}_URL": func() []string {
			var out []string
			for _, s := range subgraphs(t) {
				out = append(out, "ROUTER_SUBGRAPH_"+strings.ToUpper(s.Name)+"_URL")
			}
			return out
		},
	}
	found := map[string]bool{}
	seen := map[string]bool{}
	queue := []string{mainDir}
	fset := token.NewFileSet()
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		entries, err := os.ReadDir(path(dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path(dir, n), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for mod, mdir := range modules {
					if p == mod || strings.HasPrefix(p, mod+"/") {
						queue = append(queue, filepath.ToSlash(filepath.Join(mdir, strings.TrimPrefix(p, mod))))
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !envReader.MatchString(calleeName(call.Fun)) {
					return true
				}
				for _, arg := range call.Args {
					if s, ok := stringLit(arg); ok && envName.MatchString(s) {
						found[s] = true
					} else if tmpl, ok := template(arg); ok {
						expand, known := templates[tmpl]
						if !known {
							t.Errorf("%s: %s reads a variable named at run time, %q: teach scanEnv (env_test.go) its names",
								bin, fset.Position(arg.Pos()), tmpl)
							continue
						}
						for _, v := range expand() {
							found[v] = true
						}
					}
				}
				return true
			})
		}
	}
	if len(found) == 0 {
		t.Fatalf("%s: found no environment variables at all; is the scan broken?", bin)
	}
	return found
}

func calleeName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// template renders a concatenation with string literals, "{}" standing
// for each part that is not one: prefix + "LISTEN_ADDR" is "{}LISTEN_ADDR".
func template(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BinaryExpr)
	if !ok || b.Op != token.ADD {
		return "", false
	}
	var parts []string
	var hasLit bool
	var walk func(ast.Expr)
	walk = func(e ast.Expr) {
		if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			walk(b.X)
			walk(b.Y)
			return
		}
		if s, ok := stringLit(e); ok {
			parts = append(parts, s)
			hasLit = true
			return
		}
		parts = append(parts, "{}")
	}
	walk(b)
	s := strings.Join(parts, "")
	// Only names that look like variables: "http://" + addr is not one.
	if !hasLit || !envName.MatchString(strings.ReplaceAll(s, "{}", "X")) {
		return "", false
	}
	return s, true
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
