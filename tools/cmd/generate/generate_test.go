package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates every subgraph in a copy of the
// repository and fails if any checked-in generated file differs: change a
// schema, run `make generate`, commit both.
func TestGeneratedCodeIsFresh(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for _, p := range []string{"go.work", "gqlgen.yml", "schema", "subgraphs", "platform",
		"router/go.mod", "router/go.sum", "tools/go.mod", "tools/go.sum", "e2e/go.mod", "e2e/go.sum", "bench/go.mod", "bench/go.sum", "web/go.mod"} {
		copyPath(t, filepath.Join(root, p), filepath.Join(tmp, p))
	}
	t.Chdir(tmp)
	if err := run(nil); err != nil {
		t.Fatal(err)
	}
	compared := 0
	err = filepath.WalkDir(filepath.Join(root, "subgraphs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !generatedByGQLGen(path) {
			return err
		}
		compared++
		rel, _ := filepath.Rel(root, path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join(tmp, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make generate` and commit the result", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if compared < 8 { // two subgraphs × (generated.go, federation.go, models_gen.go, resolvers)
		t.Fatalf("compared only %d generated files", compared)
	}
}

func generatedByGQLGen(path string) bool {
	return strings.Contains(path, string(filepath.Separator)+"generated"+string(filepath.Separator)) ||
		strings.HasSuffix(path, "models_gen.go") || strings.HasSuffix(path, ".resolvers.go")
}

func copyPath(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}
