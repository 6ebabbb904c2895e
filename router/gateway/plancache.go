package gateway

import (
	"container/list"
	"fmt"
	"strconv"
	"sync"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/postprocess"
	"golang.org/x/sync/singleflight"
)

// cachedPlan is a postprocessed plan, shared read-only by concurrent requests.
type cachedPlan struct {
	plan plan.Plan
}

// planCache is a small LRU of plans keyed by the normalized operation hash.
type planCache struct {
	mu    sync.Mutex
	size  int
	order *list.List // front = most recently used; values are uint64 keys
	items map[uint64]*list.Element
	plans map[uint64]*cachedPlan
	group singleflight.Group
}

func newPlanCache(size int) *planCache {
	if size <= 0 {
		size = 1024
	}
	return &planCache{size: size, order: list.New(), items: map[uint64]*list.Element{}, plans: map[uint64]*cachedPlan{}}
}

func (c *planCache) get(key uint64) (*cachedPlan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return c.plans[key], true
}

func (c *planCache) put(key uint64, p *cachedPlan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		c.plans[key] = p
		return
	}
	c.items[key] = c.order.PushFront(key)
	c.plans[key] = p
	for c.order.Len() > c.size {
		last := c.order.Back()
		k := last.Value.(uint64)
		c.order.Remove(last)
		delete(c.items, k)
		delete(c.plans, k)
	}
}

// plan returns the cached plan for hash or builds it from the kit's
// normalized document. Concurrent misses for one operation plan once.
func (e *Engine) plan(hash uint64, k *kit, operationName string) (*cachedPlan, error) {
	if p, ok := e.plans.get(hash); ok {
		return p, nil
	}
	v, err, _ := e.plans.group.Do(strconv.FormatUint(hash, 16), func() (any, error) {
		if p, ok := e.plans.get(hash); ok {
			return p, nil
		}
		p, err := e.buildPlan(k, operationName)
		if err != nil {
			return nil, err
		}
		e.plans.put(hash, p)
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*cachedPlan), nil
}

// buildPlan plans and postprocesses. The planner panics on some
// configurations it cannot handle; that must fail one request, not the router.
func (e *Engine) buildPlan(k *kit, operationName string) (p *cachedPlan, err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("planner panic", "panic", r, "operation", k.printed.String())
			p, err = nil, fmt.Errorf("plan operation: panic: %v", r)
		}
	}()
	planner, _ := e.planners.Get().(*plan.Planner)
	if planner == nil {
		if planner, err = plan.NewPlanner(e.planConfig); err != nil {
			return nil, fmt.Errorf("create planner: %w", err)
		}
	}
	k.report.Reset()
	pl := planner.Plan(k.doc, e.routerSchema, operationName, &k.report)
	if k.report.HasErrors() {
		// A planner that failed may hold state from the failed walk; drop it.
		return nil, fmt.Errorf("plan operation: %s", k.report.Error())
	}
	e.planners.Put(planner)
	postprocess.NewProcessor(postprocess.CollectDataSourceInfo()).Process(pl)
	return &cachedPlan{plan: pl}, nil
}
