package server

import (
	"testing"
	"time"
)

func TestGenerationCancelsAfterDrain(t *testing.T) {
	cancelled := make(chan struct{})
	g := newGeneration(nil, func() { close(cancelled) })
	if !g.enter() {
		t.Fatal("enter on a live generation failed")
	}
	g.retire()
	if g.enter() {
		t.Fatal("entered a retired generation")
	}
	select {
	case <-cancelled:
		t.Fatal("cancelled while a request was running")
	case <-time.After(20 * time.Millisecond):
	}
	g.leave()
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Fatal("not cancelled after the last request left")
	}
}
