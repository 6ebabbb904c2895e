package graph

import (
	"context"

	"github.com/myshop/supergraph/subgraphs/orders/loader"
	"github.com/myshop/supergraph/subgraphs/platform/selection"
)

// prefetchOrderRows fills the loaders with the lines, events and
// fulfilments of orderIDs that the selection below the current field (of
// type on, "" for any: see selection.ArgsOn) asks for at path ("edges",
// "node" for a connection; nothing for _entities). The resolver of a level
// knows all its orders; left to each order's field resolvers, the keys
// would reach the loaders over time and a loaded machine would split the
// level into several statements.
func prefetchOrderRows(ctx context.Context, on string, orderIDs []string, path ...string) {
	if len(orderIDs) == 0 {
		return
	}
	l := loader.For(ctx)
	selected := func(field string) bool {
		_, ok := selection.ArgsOn(ctx, on, append(append([]string(nil), path...), field)...)
		return ok
	}
	if selected("lines") {
		l.Lines.Fill(ctx, orderIDs)
	}
	if selected("events") {
		l.Events.Fill(ctx, orderIDs)
	}
	if selected("fulfillments") {
		l.Fulfillments.Fill(ctx, orderIDs)
	}
}
