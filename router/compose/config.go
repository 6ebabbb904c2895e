package compose

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ConfigEntry is one subgraph in subgraphs.json.
type ConfigEntry struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Schema is a directory whose *.graphqls files, concatenated in name
	// order, are the subgraph's SDL. A relative path is resolved against the
	// parent of the config file's directory (the repository root for
	// schema/subgraphs.json), so the command works from any directory.
	Schema string `json:"schema"`
}

// LoadConfig reads a subgraphs.json file (a JSON list of ConfigEntry) and the
// SDL files it names.
func LoadConfig(path string) ([]Subgraph, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read subgraph config: %w", err)
	}
	var entries []ConfigEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("parse subgraph config %s: %w", path, err)
	}
	root := filepath.Dir(filepath.Dir(path))
	var out []Subgraph
	for _, e := range entries {
		dir := e.Schema
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		sdl, err := ReadSDLDir(dir)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s: %w", e.Name, err)
		}
		out = append(out, Subgraph{Name: e.Name, URL: e.URL, SDL: sdl})
	}
	return out, nil
}

// ReadSDLDir concatenates the *.graphqls files of dir in name order.
func ReadSDLDir(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.graphqls"))
	if err != nil {
		return "", fmt.Errorf("list schema files: %w", err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no *.graphqls files in %s", dir)
	}
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("read schema: %w", err)
		}
		b.Write(raw)
		b.WriteString("\n")
	}
	return b.String(), nil
}
