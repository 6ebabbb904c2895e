package gateway

import (
	"container/list"
	"sync"
)

// lru is a small mutex-guarded least-recently-used map. The engine's caches
// hold at most a few thousand entries, so one lock is not a bottleneck.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	size  int
	order *list.List // front = most recently used; values are *lruItem
	items map[K]*list.Element
}

type lruItem[K comparable, V any] struct {
	key   K
	value V
}

func newLRU[K comparable, V any](size int) *lru[K, V] {
	if size <= 0 {
		size = 1024
	}
	return &lru[K, V]{size: size, order: list.New(), items: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem[K, V]).value, true
}

func (c *lru[K, V]) put(key K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		el.Value.(*lruItem[K, V]).value = v
		return
	}
	c.items[key] = c.order.PushFront(&lruItem[K, V]{key: key, value: v})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruItem[K, V]).key)
	}
}

func (c *lru[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
