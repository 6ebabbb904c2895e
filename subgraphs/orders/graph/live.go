package graph

import (
	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// statusEvents are an order's changes as the live subscription's events
// (subgraphs/orders/live.EventOf gives the same for a published change).
func statusEvents(orderID string, es []order.Event) []*model.OrderStatusEvent {
	out := make([]*model.OrderStatusEvent, len(es))
	for i, e := range es {
		out[i] = &model.OrderStatusEvent{OrderID: orderID, Status: model.OrderStatus(e.To), Version: e.Version, OccurredAt: timestamp(e.At)}
		if e.From != "" {
			prev := model.OrderStatus(e.From)
			out[i].PreviousStatus = &prev
		}
	}
	return out
}
