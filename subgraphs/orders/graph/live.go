package graph

import (
	"context"

	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/live"
)

// currentStatus is the first event of an order subscription: the order's
// state now, with the change that led to it.
func (r *Resolver) currentStatus(ctx context.Context, orderID string) (*model.OrderStatusEvent, error) {
	o, last, err := r.Lifecycle.Status(ctx, orderID)
	if err != nil {
		return nil, err
	}
	ev := &model.OrderStatusEvent{OrderID: o.ID, Status: model.OrderStatus(o.Status), Version: o.Version, OccurredAt: timestamp(o.CreatedAt)}
	if last != nil {
		ev.OccurredAt = timestamp(last.At)
		if last.From != "" {
			prev := model.OrderStatus(last.From)
			ev.PreviousStatus = &prev
		}
	}
	return ev, nil
}

// streamChanges sends first (when set), then every change from w that is
// newer than what was sent for its order, until ctx ends; then it closes
// out and w. A change that is not newer is one the first event already
// showed, or a duplicate.
func streamChanges(ctx context.Context, w *live.Watch, out chan<- *model.OrderStatusEvent, first *model.OrderStatusEvent, keep func(to string) bool) {
	defer close(out)
	defer w.Close()
	sent := map[string]int{}
	if first != nil {
		select {
		case out <- first:
			sent[first.OrderID] = first.Version
		case <-ctx.Done():
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-w.C:
			if !ok {
				return
			}
			if v, seen := sent[c.OrderID]; seen && c.Version <= v {
				continue
			}
			if keep != nil && !keep(c.To) {
				continue
			}
			ev := &model.OrderStatusEvent{OrderID: c.OrderID, Status: model.OrderStatus(c.To), Version: c.Version, OccurredAt: c.At}
			if c.From != "" {
				prev := model.OrderStatus(c.From)
				ev.PreviousStatus = &prev
			}
			select {
			case out <- ev:
				sent[c.OrderID] = c.Version
			case <-ctx.Done():
				return
			}
		}
	}
}

// statusFilter keeps changes to one of where's statuses; nil keeps all.
func statusFilter(where *model.OrderEventsWhere) func(to string) bool {
	if where == nil || len(where.Statuses) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, st := range where.Statuses {
		want[string(st)] = true
	}
	return func(to string) bool { return want[to] }
}
