package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/router/supergraph"
)

// drainTimeout bounds how long a replaced generation waits for its
// in-flight requests before its context is cancelled anyway.
const drainTimeout = 30 * time.Second

// generation is one engine and the requests running on it. A request
// acquires the current generation and releases it when done; a reload
// retires the old generation, which cancels its context once the last
// request has left.
type generation struct {
	engine  *gateway.Engine
	ctx     context.Context // done once retired and drained; nil in tests
	cancel  func()
	mu      sync.Mutex
	active  int
	retired bool
	drained chan struct{} // closed when retired and idle
}

func newGeneration(e *gateway.Engine, cancel func()) *generation {
	return &generation{engine: e, cancel: cancel, drained: make(chan struct{})}
}

// enter registers a request; false means the generation was retired
// between loading it and entering, and the caller must load again.
func (g *generation) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.active++
	return true
}

func (g *generation) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.retired && g.active == 0 {
		close(g.drained)
	}
}

// retire stops new requests from entering and, once the running ones are
// done (or after drainTimeout), cancels the generation's context.
func (g *generation) retire() {
	g.mu.Lock()
	g.retired = true
	if g.active == 0 {
		close(g.drained)
	}
	g.mu.Unlock()
	go func() {
		select {
		case <-g.drained:
		case <-time.After(drainTimeout):
		}
		g.cancel()
	}()
}

// acquire returns the current generation, entered; the caller must leave it.
func (s *Server) acquire() *generation {
	for {
		g := s.gen.Load()
		if g.enter() {
			return g
		}
	}
}

// Reload swaps in a new supergraph. Requests already running finish on the
// old engine; new ones use the new engine. An SDL that does not load is
// refused with an error and the current supergraph keeps serving. Logging
// is the caller's: it knows where the SDL came from.
func (s *Server) Reload(sdl string) error {
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		return fmt.Errorf("load supergraph: %w", err)
	}
	g, err := s.newGeneration(sg)
	if err != nil {
		return err
	}
	s.gen.Swap(g).retire()
	return nil
}
