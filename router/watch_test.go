package router

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supergraph.graphql")
	if err := os.WriteFile(path, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go watchFile(ctx, path, 5*time.Millisecond, []byte("v1"), func(b []byte) error {
		got <- string(b)
		if string(b) == "bad" {
			return errors.New("refused")
		}
		return nil
	}, slog.New(slog.DiscardHandler))

	// Replaced whole, as deployments do (a ConfigMap's symlink swap, an
	// editor's rename): a file rewritten in place can be read half written.
	write := func(content string, mtime time.Time) {
		tmp := path + ".new"
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("reloaded %q, want %q", g, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("no reload of %q", want)
		}
	}
	base := time.Now().Add(-time.Hour)
	write("v2", base)
	expect("v2")
	write("v2", base.Add(time.Second)) // touched, same content: no reload
	write("bad", base.Add(2*time.Second))
	expect("bad")
	write("v3", base.Add(3*time.Second))
	expect("v3")
	select {
	case g := <-got:
		t.Fatalf("unexpected reload %q", g)
	case <-time.After(50 * time.Millisecond):
	}
}
