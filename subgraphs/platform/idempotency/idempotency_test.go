package idempotency_test

import (
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
)

func TestHash(t *testing.T) {
	// The hash of a stored request: if this changes, every stored key stops
	// replaying and starts refusing its own repeats.
	const stored = "2a7a75c84f2fef8bff500e3d9fdcd615613a14c9bff073b045d934f9fa8981de" // sha256("reserve\x00ord_1\x002\x00")
	if got := idempotency.Hash("reserve", "ord_1", 2); got != stored {
		t.Fatalf("Hash = %s, want %s", got, stored)
	}
	if idempotency.Hash("ab", "c") == idempotency.Hash("a", "bc") {
		t.Error("parts run into each other")
	}
	if idempotency.Hash("a", 1) != idempotency.Hash("a", 1) {
		t.Error("not deterministic")
	}
}

func TestCheckKey(t *testing.T) {
	for key, ok := range map[string]bool{"k1": true, strings.Repeat("k", 255): true, "": false, "  ": false, strings.Repeat("k", 256): false} {
		err := idempotency.CheckKey(key)
		if ok != (err == nil) || (!ok && errs.CodeOf(err) != errs.Invalid) {
			t.Errorf("CheckKey(%d chars %q…): %v", len(key), key[:min(len(key), 4)], err)
		}
	}
}
