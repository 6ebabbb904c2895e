package gateway

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/sjson"
	"github.com/wundergraph/astjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"
)

// Demand control is the engine's implementation of the IBM GraphQL Cost
// Directive specification (plan.CostCalculator): the planner builds a cost
// tree from the operation and the subgraphs' @cost and @listSize, which the
// supergraph carries (supergraph/cost.go). It is estimated with each
// request's variables before anything is fetched, and computed again from
// the real list sizes once the response is resolved.

// Cost is an operation's demand: the estimate checked against the limit and,
// once executed, the actual cost from the response's real list sizes.
type Cost struct {
	Estimated int
	Actual    int // -1 until executed
	Limit     int // 0 when no limit applies
	Measure   bool
}

// costCeiling bounds an estimate: beyond it (or when the engine's float
// arithmetic overflows into a negative int) the operation is refused, never
// wrapped around to a small number.
const costCeiling = 1 << 53

// estimate computes the static cost of p with the request's (normalized)
// variables and checks it against the limit.
func (e *Engine) estimate(p *cachedPlan, variables []byte, remap map[string]string) (Cost, error) {
	c := Cost{Actual: -1, Limit: max(e.limits.MaxCost, 0), Measure: e.limits.Measure}
	calc := p.plan.GetCostCalculator()
	if calc == nil {
		return c, nil
	}
	vars, err := astjson.ParseBytes(variables)
	if err != nil {
		return c, fmt.Errorf("parse normalized variables: %w", err)
	}
	view := resolve.NewVariablesView(vars, remap)
	c.Estimated = calc.EstimateCost(view)
	overflow := c.Estimated < 0 || c.Estimated > costCeiling
	if overflow {
		c.Estimated = costCeiling
	}
	if e.limits.MaxCost <= 0 || c.Estimated <= e.limits.MaxCost {
		return c, nil
	}
	what := fmt.Sprintf("%d", c.Estimated)
	if overflow {
		what = fmt.Sprintf("more than %d", costCeiling)
	}
	msg := fmt.Sprintf("the operation's estimated cost is %s; at most %d is allowed", what, e.limits.MaxCost)
	if d := dominant(calc.DebugPrint(view, nil)); d != "" {
		msg += "; " + d
	}
	if err := e.limits.exceeded(CodeTooExpensive, msg); err != nil {
		return c, err
	}
	return c, nil
}

// actual is the cost of what the resolver really fetched.
func actual(p *cachedPlan, rc *resolve.Context) int {
	calc := p.plan.GetCostCalculator()
	if calc == nil {
		return 0
	}
	return max(calc.ActualCost(rc.VariablesView(), rc.TypeNameStats), 0)
}

// withCost adds extensions.cost to a response body.
func withCost(body []byte, c Cost) ([]byte, error) {
	mode := "enforce"
	if c.Measure {
		mode = "measure"
	}
	v := fmt.Sprintf(`{"estimated":%d,"actual":%d,"limit":%d,"mode":%q}`, c.Estimated, c.Actual, c.Limit, mode)
	return sjson.SetRawBytes(body, "extensions.cost", []byte(v))
}

// dominant names the field that makes an estimate large: the list reached
// the most times (the product of the list sizes above it and its own),
// named by the field whose arguments size it (Product.reviews for
// reviews(first: 100) { edges }), else by itself. The engine keeps its cost tree private,
// so this reads the tree from its debug print ("· Type.field …, path=a.b",
// then "  mult = N" and "  args: {…}" per node, indented four spaces a
// level); it runs only for refused operations.
func dominant(tree string) string {
	type node struct {
		coord, path string
		leaf        bool // a scalar or enum: what it costs is its parent's
		args        bool // has arguments (a slicing argument sizes it)
		list        bool
		times       float64
	}
	var stack, best []node // the current line's ancestors and itself; best's
	sc := bufio.NewScanner(strings.NewReader(tree))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch {
		case strings.HasPrefix(trimmed, "· "):
			depth := min(indent/4, len(stack))
			n := node{coord: strings.Fields(strings.TrimPrefix(trimmed, "· "))[0], leaf: strings.Contains(trimmed, "simple]"),
				list: strings.Contains(trimmed, "[list")}
			if i := strings.Index(trimmed, "path="); i >= 0 {
				n.path, _, _ = strings.Cut(trimmed[i+len("path="):], ",")
			}
			stack = append(stack[:depth], n)
		case len(stack) == 0:
		case strings.HasPrefix(trimmed, "args: {"):
			stack[len(stack)-1].args = true
		case strings.HasPrefix(trimmed, "mult = "):
			v, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "mult = "), ",")
			m, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			cur := &stack[len(stack)-1]
			cur.times = m
			if len(stack) > 1 {
				cur.times *= stack[len(stack)-2].times
			}
			if !cur.leaf && (len(best) == 0 || cur.times > best[len(best)-1].times) {
				best = append(best[:0], stack...)
			}
		}
	}
	if len(best) == 0 || best[len(best)-1].times <= 1 {
		return ""
	}
	at := best[len(best)-1]
	sizer := at
	// A connection's edges are sized by the connection field's arguments.
	if parent := len(best) - 2; !at.args && parent >= 0 && best[parent].args && !best[parent].list {
		sizer = best[parent]
	}
	return fmt.Sprintf("most of it comes from %s at %s, estimated to be fetched %.0f times", sizer.coord, at.path, at.times)
}
