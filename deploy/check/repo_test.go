package check

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// root is the repository, from this package's directory.
const root = "../.."

func path(p ...string) string { return filepath.Join(append([]string{root}, p...)...) }

// subgraphInfo is a subgraph as schema/subgraphs.json lists it.
type subgraphInfo struct {
	Name string
	Port int
}

// subgraphs reads schema/subgraphs.json: every subgraph the supergraph
// composes that runs as a service, with its default port.
func subgraphs(t *testing.T) []subgraphInfo {
	t.Helper()
	b, err := os.ReadFile(path("schema", "subgraphs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Name, URL string }
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	var out []subgraphInfo
	for _, s := range list {
		if s.URL == "" {
			// An event graph (orders_events) has no process: the router
			// serves its subscriptions from Redis, so it has no binary,
			// container or port.
			continue
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			t.Fatalf("subgraph %s: url %s has no port", s.Name, s.URL)
		}
		out = append(out, subgraphInfo{s.Name, port})
	}
	slices.SortFunc(out, func(a, b subgraphInfo) int { return a.Port - b.Port })
	// Every subgraph has a binary and every binary is a subgraph.
	entries, err := os.ReadDir(path("subgraphs", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds, names []string
	for _, e := range entries {
		if e.IsDir() {
			cmds = append(cmds, e.Name())
		}
	}
	for _, s := range out {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if !slices.Equal(cmds, names) {
		t.Fatalf("subgraphs/cmd has %v, schema/subgraphs.json has %v", cmds, names)
	}
	return out
}

// binaries are the image's programs: the router and one per subgraph.
func binaries(t *testing.T) []string {
	out := []string{"router"}
	for _, s := range subgraphs(t) {
		out = append(out, s.Name)
	}
	return out
}

const routerPort = 4000
