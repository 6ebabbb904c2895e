package check

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// metricSources are the directories whose Go code registers the metrics
// the dashboard may query: the router's and the subgraphs' shared
// plumbing (gqlserver, postgres).
var metricSources = []string{"router", "subgraphs/platform"}

// TestGrafanaDashboard: deploy/grafana/myshop.json is a dashboard whose
// every query names metrics that our code registers. A renamed metric
// fails here instead of leaving an empty panel.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(path("deploy", "grafana", "myshop.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string
		UID        string
		Panels     []dashPanel
		Templating struct {
			List []struct {
				Name       string
				Type       string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("myshop.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("dashboard has no title or uid")
	}
	var exprs []string
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q: target %s has no expr", p.Title, tg.RefID)
				}
				exprs = append(exprs, tg.Expr)
			}
		}
	}
	walk(dash.Panels)
	for _, v := range dash.Templating.List {
		if v.Type == "query" {
			exprs = append(exprs, v.Definition)
		}
	}
	registered := goStringLiterals(t)
	used := map[string]bool{}
	for _, e := range exprs {
		names := metricNames(e)
		if len(names) == 0 {
			t.Errorf("query %q names no metric", e)
		}
		for _, n := range names {
			used[n] = true
		}
	}
	for _, n := range sortedKeys(used) {
		if !registered[n] && !registered[histogramBase(n)] {
			t.Errorf("the dashboard queries %s, which no Go source under %v registers", n, metricSources)
		}
	}
	// The parts of the system the dashboard is for.
	for _, want := range []string{"router_requests_total", "router_subgraph_fetches_total", "subgraph_requests_total", "subgraph_db_pool_connections"} {
		if !used[want] {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
}

type dashPanel struct {
	Type    string
	Title   string
	Panels  []dashPanel
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string
	}
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	labelValues  = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = map[string]bool{"bool": true, "offset": true, "and": true, "or": true, "unless": true, "inf": true, "nan": true}
)

// metricNames are the metric names in a PromQL expression (or Grafana's
// label_values(metric, label)): identifiers once label matchers, ranges,
// groupings and strings are gone, that are not called as functions.
func metricNames(expr string) []string {
	expr = labelValues.ReplaceAllString(expr, "$1")
	expr = promString.ReplaceAllString(expr, `""`)
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		if loc[0] > 0 && (expr[loc[0]-1] == '$' || expr[loc[0]-1] == '.' || (expr[loc[0]-1] >= '0' && expr[loc[0]-1] <= '9')) {
			continue // a Grafana variable, or part of a number (1e-9)
		}
		if strings.HasPrefix(strings.TrimLeft(expr[loc[1]:], " "), "(") || promKeywords[strings.ToLower(name)] {
			continue // a function or aggregation
		}
		out = append(out, name)
	}
	return out
}

// histogramBase is a histogram's name without the suffix of its series.
func histogramBase(n string) string {
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if strings.HasSuffix(n, s) {
			return strings.TrimSuffix(n, s)
		}
	}
	return n
}

// goStringLiterals are the string literals of the non-test Go files under
// metricSources: a metric's name is one.
func goStringLiterals(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range metricSources {
		err := filepath.WalkDir(path(dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						out[s] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (outcome) (rate(router_requests_total{outcome!="ok"}[$__rate_interval]))`:                     "router_requests_total",
		`histogram_quantile(0.95, sum by (le, subgraph) (rate(x_seconds_bucket{subgraph=~"$subgraph"}[5m])))`: "x_seconds_bucket",
		`label_values(subgraph_requests_total, subgraph)`:                                                     "subgraph_requests_total",
		`sum(rate(a_total[1m])) / clamp_min(sum(rate(b_total[1m])), 1e-9)`:                                    "a_total b_total",
		`max(router_ratelimit_fallback) or vector(0)`:                                                         "router_ratelimit_fallback",
	} {
		if got := strings.Join(metricNames(expr), " "); got != want {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}
