package gateway

import (
	"fmt"
	"strconv"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/postprocess"
	"golang.org/x/sync/singleflight"
)

// cachedPlan is a postprocessed plan, shared read-only by concurrent requests.
type cachedPlan struct {
	// failed, when set, is the answer for an operation the planner could
	// not plan: kept like a plan, so it is logged and counted once and
	// every later request is answered at once.
	failed *RequestError
	plan   plan.Plan
	// renamed maps the private aliases planned in place of colliding client
	// aliases back to the client's (see aliases.go); nil when none.
	renamed map[string]string
}

// planCache holds plans keyed by the normalized operation hash; concurrent
// misses for one operation plan once.
type planCache struct {
	*lru[uint64, *cachedPlan]
	group singleflight.Group
}

func newPlanCache(size int) *planCache {
	return &planCache{lru: newLRU[uint64, *cachedPlan](size)}
}

// plan returns the cached plan for hash or builds it from the kit's
// normalized document. Concurrent misses for one operation plan once.
func (e *Engine) plan(hash uint64, k *kit, operationName string) (*cachedPlan, error) {
	p, ok := e.plans.get(hash)
	if !ok {
		v, _, _ := e.plans.group.Do(strconv.FormatUint(hash, 16), func() (any, error) {
			if p, ok := e.plans.get(hash); ok {
				return p, nil
			}
			p, err := e.buildPlan(k, operationName)
			if err != nil {
				p = e.planningFailed(hash, k, err)
			}
			e.plans.put(hash, p)
			return p, nil
		})
		p = v.(*cachedPlan)
	}
	if p.failed != nil {
		return nil, p.failed
	}
	return p, nil
}

// planningFailed logs and counts a planning failure once per operation and
// answers it with a code and the operation's hash, which the log line
// carries too, so a report from a client finds its cause.
func (e *Engine) planningFailed(hash uint64, k *kit, err error) *cachedPlan {
	id := strconv.FormatUint(hash, 16)
	e.log.Error("query planning failed", "operation_hash", id, "err", err, "operation", k.printed.String())
	if e.observer != nil {
		e.observer.PlanningFailed()
	}
	return &cachedPlan{failed: &RequestError{Code: CodeQueryPlanningFailed,
		Message: fmt.Sprintf("the router could not plan this operation (operation hash %s); the failure is logged", id)}}
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
	// A fresh planner per plan, as Cosmo does: a reused plan.Planner keeps
	// state from the operation it planned before and then fails to plan some
	// others ("selection set on path query is empty"), e.g. { me { name } }
	// after { me { name email orders { id } } hello }. Plans are cached, so
	// this costs once per operation.
	planner, err := plan.NewPlanner(e.planConfig)
	if err != nil {
		return nil, fmt.Errorf("create planner: %w", err)
	}
	// Plan a private copy of the operation, never the kit's pooled
	// document: the plan keeps slices of its document's bytes (field names,
	// aliases) for as long as it is cached, and the kit's buffer is
	// overwritten by the next request. Seen as responses with field names
	// like " } } " under concurrent load.
	doc := ast.NewSmallDocument()
	doc.Input.ResetInputBytes(append([]byte(nil), k.printed.Bytes()...))
	doc.Input.Variables = append([]byte(nil), k.doc.Input.Variables...)
	k.report.Reset()
	astparser.NewParser().Parse(doc, &k.report)
	if k.report.HasErrors() {
		return nil, fmt.Errorf("reparse normalized operation: %s", k.report.Error())
	}
	renamed := renameCollidingAliases(doc, e.fieldNames)
	pl := planner.Plan(doc, e.routerSchema, operationName, &k.report)
	if k.report.HasErrors() {
		return nil, fmt.Errorf("plan operation: %s", k.report.Error())
	}
	restoreAliases(pl, renamed)
	postprocess.NewProcessor(postprocess.CollectDataSourceInfo()).Process(pl)
	return &cachedPlan{plan: pl, renamed: renamed}, nil
}
