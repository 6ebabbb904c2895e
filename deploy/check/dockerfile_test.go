package check

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// TestDockerContext applies .dockerignore as the Docker CLI does and
// checks the build context holds what the build needs and no tests,
// binaries or local state.
func TestDockerContext(t *testing.T) {
	f, err := os.Open(path(".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// Big trees nobody needs: skip walking them (they are excluded below).
			if rel == ".git" || strings.HasSuffix(rel, "node_modules") {
				if ok, _ := pm.MatchesOrParentMatches(rel); !ok {
					t.Errorf("context includes %s", rel)
				}
				return filepath.SkipDir
			}
			return nil
		}
		if ok, _ := pm.MatchesOrParentMatches(rel); !ok {
			in[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.work", "go.work.sum", "schema/supergraph.graphql", "router/go.mod", "subgraphs/go.mod",
		"router/cmd/router/main.go", "deploy/check/go.mod", "deploy/check/go.sum", "deploy/check/cmd/healthcheck/main.go",
		"router/playground/dist/manifest.json", "tools/cmd/demogen/main.go"} {
		if !in[want] {
			t.Errorf("context lacks %s", want)
		}
	}
	// Every workspace module's go.mod: the build runs in the workspace.
	work, err := os.ReadFile(path("go.work"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*\./(\S+)\s*$`).FindAllStringSubmatch(string(work), -1) {
		if !in[m[1]+"/go.mod"] {
			t.Errorf("context lacks %s/go.mod (go.work uses it)", m[1])
		}
	}
	migrations := 0
	for p := range in {
		switch {
		case strings.HasSuffix(p, "_test.go"), strings.HasPrefix(p, "bin/"), strings.HasPrefix(p, ".data/"),
			strings.HasPrefix(p, "deploy/k8s/"), p == "deploy/compose.yaml", strings.HasPrefix(p, ".env"):
			t.Errorf("context includes %s", p)
		case strings.Contains(p, "/migrations/") && strings.HasSuffix(p, ".sql"):
			migrations++
		}
	}
	if migrations == 0 {
		t.Error("context has no migrations (they are embedded)")
	}
}

// TestDockerfile checks the Dockerfile's shape: static binaries of every
// program, a distroless non-root final stage, the supergraph beside the
// router.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(path("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	var froms []string
	for _, m := range regexp.MustCompile(`(?m)^FROM\s+(?:--platform=\S+\s+)?(\S+)`).FindAllStringSubmatch(df, -1) {
		froms = append(froms, m[1])
	}
	if len(froms) < 2 || froms[len(froms)-1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("stages %v: want a build stage and gcr.io/distroless/static-debian12:nonroot last", froms)
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{
		"CGO_ENABLED=0",
		"go build -trimpath -ldflags='-s -w' -o /out/ ./router/cmd/router ./subgraphs/cmd/... ./tools/cmd/demogen",
		"./cmd/healthcheck",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, want := range []string{"USER 65532:65532", "COPY --from=build /out/ /app/",
		"COPY schema/supergraph.graphql /app/schema/supergraph.graphql", "WORKDIR /app", `CMD ["/app/router"]`} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}
	if strings.Contains(df, "GOWORK=off go build -trimpath -ldflags='-s -w' -o /out/ ./router") {
		t.Error("the router and subgraphs must build in the workspace, as make build does")
	}
}
