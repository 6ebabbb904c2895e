package check

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads deploy/compose.yaml as
// `docker compose --env-file .env.example -f deploy/compose.yaml` would.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	env, err := dotenv.Read(path(".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  path("deploy"),
		ConfigFiles: []types.ConfigFile{{Filename: path("deploy", "compose.yaml")}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("myshop", true) })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComposeLoads(t *testing.T) {
	p := loadCompose(t)
	want := append([]string{"postgres", "redis"}, binaries(t)...)
	got := p.ServiceNames()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
}

// Without an env file Compose must refuse to start rather than run with
// empty secrets.
func TestComposeNeedsSecrets(t *testing.T) {
	_, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  path("deploy"),
		ConfigFiles: []types.ConfigFile{{Filename: path("deploy", "compose.yaml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("myshop", true) })
	if err == nil || !strings.Contains(err.Error(), ".env.example") {
		t.Fatalf("loading without .env: %v, want a missing-secret error naming .env.example", err)
	}
}

func TestComposeHealthAndDependencies(t *testing.T) {
	p := loadCompose(t)
	subs := subgraphs(t)
	for name, s := range p.Services {
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Test[0] == "NONE" {
			t.Errorf("%s: no health check", name)
			continue
		}
		for _, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: depends on something with condition %q, want service_healthy", name, d.Condition)
			}
		}
	}
	for _, sub := range subs {
		s := p.Services[sub.Name]
		if want := []string{"CMD", "/app/healthcheck", fmt.Sprintf("http://127.0.0.1:%d/ready", sub.Port)}; !slices.Equal(s.HealthCheck.Test, want) {
			t.Errorf("%s: health check %q, want %q", sub.Name, s.HealthCheck.Test, want)
		}
		for _, dep := range []string{"postgres", "redis"} {
			if _, ok := s.DependsOn[dep]; !ok {
				t.Errorf("%s does not depend on %s", sub.Name, dep)
			}
		}
		if _, ok := p.Services["router"].DependsOn[sub.Name]; !ok {
			t.Errorf("router does not depend on %s", sub.Name)
		}
	}
	if want := []string{"CMD", "/app/healthcheck", "http://127.0.0.1:4000/health"}; !slices.Equal(p.Services["router"].HealthCheck.Test, want) {
		t.Errorf("router: health check %q, want %q", p.Services["router"].HealthCheck.Test, want)
	}
}

func TestComposeExposure(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		if name == "router" {
			if len(s.Ports) != 1 || s.Ports[0].Target != routerPort {
				t.Errorf("router publishes %+v, want container port %d only", s.Ports, routerPort)
			}
		} else if len(s.Ports) > 0 {
			t.Errorf("%s publishes %+v: only the router may", name, s.Ports)
		}
		if len(s.Expose) > 0 {
			t.Errorf("%s: expose %v is unneeded on a private network", name, s.Expose)
		}
		// Off the internal network only where needed: the router (its
		// published port), payments and notifications (their providers).
		for net := range s.Networks {
			n, ok := p.Networks[net]
			if !ok {
				t.Errorf("%s: unknown network %s", name, net)
				continue
			}
			if !n.Internal && !slices.Contains([]string{"router", "payments", "notifications"}, name) {
				t.Errorf("%s is on network %s, which is not internal", name, net)
			}
		}
		if _, ok := s.Networks["backend"]; !ok {
			t.Errorf("%s is not on the backend network", name)
		}
	}
	if !p.Networks["backend"].Internal {
		t.Error("network backend is not internal")
	}
	for _, v := range []string{"postgres-data", "redis-data"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Errorf("no named volume %s", v)
		}
	}
	for name, s := range map[string]string{"postgres": "/var/lib/postgresql/data", "redis": "/data"} {
		if vs := p.Services[name].Volumes; len(vs) != 1 || vs[0].Type != types.VolumeTypeVolume || vs[0].Target != s {
			t.Errorf("%s: volumes %+v, want a named volume at %s", name, vs, s)
		}
	}
}

func TestComposeAppContainers(t *testing.T) {
	p := loadCompose(t)
	for _, bin := range binaries(t) {
		s := p.Services[bin]
		if want := []string{"/app/" + bin}; !slices.Equal(s.Command, want) {
			t.Errorf("%s: command %q, want %q", bin, s.Command, want)
		}
		if s.Image != p.Services["router"].Image || s.Build == nil || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: not built from the one image (image %q, build %+v)", bin, s.Image, s.Build)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: want read_only, cap_drop ALL and no-new-privileges", bin)
		}
		if s.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532 (distroless nonroot)", bin, s.User)
		}
	}
}

// TestComposeEnv: every variable a binary reads is set for its service
// (or may stay unset, see defaulted), no service gets a variable its
// binary does not read (a typo), and the wiring points at Compose's
// service names.
func TestComposeEnv(t *testing.T) {
	p := loadCompose(t)
	for _, bin := range binaries(t) {
		env := p.Services[bin].Environment
		reads := scanEnv(t, bin)
		for _, v := range sortedKeys(reads) {
			if _, ok := env[v]; !ok && !mayBeUnset(bin, v) {
				t.Errorf("%s reads %s; deploy/compose.yaml does not set it", bin, v)
			}
		}
		for _, v := range sortedKeys(env) {
			if !reads[v] {
				t.Errorf("%s: compose sets %s, which the binary does not read", bin, v)
			}
		}
	}
	get := func(svc, k string) string {
		v := p.Services[svc].Environment[k]
		if v == nil {
			t.Errorf("%s: %s unset", svc, k)
			return ""
		}
		return *v
	}
	jwks := "http://users:4001/.well-known/jwks.json"
	if got := get("router", "ROUTER_JWKS_URL"); got != jwks {
		t.Errorf("router: ROUTER_JWKS_URL %q, want %q", got, jwks)
	}
	if got := get("router", "ROUTER_LISTEN_ADDR"); got != "0.0.0.0:4000" {
		t.Errorf("router: ROUTER_LISTEN_ADDR %q", got)
	}
	for _, sub := range subgraphs(t) {
		N := strings.ToUpper(sub.Name)
		if got, want := get("router", "ROUTER_SUBGRAPH_"+N+"_URL"), fmt.Sprintf("http://%s:%d/graphql", sub.Name, sub.Port); got != want {
			t.Errorf("router: ROUTER_SUBGRAPH_%s_URL %q, want %q", N, got, want)
		}
		if got, want := get(sub.Name, N+"_LISTEN_ADDR"), fmt.Sprintf("0.0.0.0:%d", sub.Port); got != want {
			t.Errorf("%s: %s_LISTEN_ADDR %q, want %q", sub.Name, N, got, want)
		}
		if got := get(sub.Name, "USERS_JWKS_URL"); got != jwks {
			t.Errorf("%s: USERS_JWKS_URL %q, want %q", sub.Name, got, jwks)
		}
		if u, err := url.Parse(get(sub.Name, "DATABASE_URL")); err != nil || u.Hostname() != "postgres" || u.User.Username() == "" {
			t.Errorf("%s: DATABASE_URL does not point at the postgres service", sub.Name)
		} else if pw, _ := u.User.Password(); pw != *p.Services["postgres"].Environment["POSTGRES_PASSWORD"] {
			t.Errorf("%s: DATABASE_URL's password is not postgres' POSTGRES_PASSWORD", sub.Name)
		}
		if u, err := url.Parse(get(sub.Name, "REDIS_URL")); err != nil || u.Hostname() != "redis" {
			t.Errorf("%s: REDIS_URL does not point at the redis service", sub.Name)
		}
	}
	for k, want := range map[string]string{
		"ORDERS_PRODUCTS_URL":  "http://products:4002/graphql",
		"ORDERS_INVENTORY_URL": "http://inventory:4005/graphql",
		"ORDERS_PAYMENTS_URL":  "http://payments:4004/graphql",
		"ORDERS_TOKEN_URL":     "http://users:4001/oauth/token",
	} {
		if got := get("orders", k); got != want {
			t.Errorf("orders: %s %q, want %q", k, got, want)
		}
	}
	secret := get("orders", "ORDERS_CLIENT_SECRET")
	if secret == "" || get("users", "USERS_SERVICE_CLIENTS") != get("orders", "ORDERS_CLIENT_ID")+"="+secret {
		t.Error("users' USERS_SERVICE_CLIENTS does not hold orders' ORDERS_CLIENT_ID=ORDERS_CLIENT_SECRET")
	}
	// Inside a container 127.0.0.1 is that container: only public URLs
	// (links in messages and exports, as seen from a browser) may use it.
	for name, s := range p.Services {
		for k, v := range s.Environment {
			if v != nil && (strings.Contains(*v, "127.0.0.1") || strings.Contains(*v, "localhost")) &&
				!slices.Contains([]string{"SHOP_URL", "ANALYTICS_PUBLIC_URL", "PRODUCTS_MEDIA_URL", "PAYMENTS_PUBLIC_URL"}, k) {
				t.Errorf("%s: %s=%s points at the container itself", name, k, *v)
			}
		}
	}
}

// TestEnvExample: .env.example sets every variable compose.yaml
// interpolates, and nothing else.
func TestEnvExample(t *testing.T) {
	raw, err := os.ReadFile(path("deploy", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(raw), -1) {
		used[m[1]] = true
	}
	env, err := dotenv.Read(path(".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range sortedKeys(used) {
		if _, ok := env[k]; !ok {
			t.Errorf("compose.yaml uses ${%s}; .env.example does not set it", k)
		}
	}
	for _, k := range sortedKeys(env) {
		if !used[k] {
			t.Errorf(".env.example sets %s, which compose.yaml does not use", k)
		}
	}
}
