// Command generate runs gqlgen for every subgraph with the shared root
// gqlgen.yml (see the comment at its top). Run it from the repository root:
// `make generate` does.
package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(only []string) error {
	tmpl, err := os.ReadFile("gqlgen.yml")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	names := only
	if len(names) == 0 {
		dirs, err := filepath.Glob("schema/*")
		if err != nil {
			return err
		}
		for _, d := range dirs {
			// A subgraph's folder holds its SDL; others (events/) are docs.
			if sdl, _ := filepath.Glob(filepath.Join(d, "*.graphqls")); len(sdl) > 0 {
				names = append(names, filepath.Base(d))
			}
		}
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join("subgraphs", name)); err != nil {
			return fmt.Errorf("schema/%s has no subgraphs/%s: %w", name, name, err)
		}
		slog.Info("gqlgen", "subgraph", name)
		cfg, err := config.ReadConfig(bytes.NewReader(bytes.ReplaceAll(tmpl, []byte("SUBGRAPH"), []byte(name))))
		if err != nil {
			return fmt.Errorf("%s: config: %w", name, err)
		}
		if err := api.Generate(cfg); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
