// Package loader batches the orders subgraph's reads per request: the
// lines (or events) of N orders cost one SQL statement.
package loader

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/batch"
)

// Store is what the loaders read from.
type Store interface {
	OrdersByIDs(ctx context.Context, ids []string) ([]order.Order, error)
	LinesByOrders(ctx context.Context, orderIDs []string) ([]order.Line, error)
	EventsByOrders(ctx context.Context, orderIDs []string) ([]order.Event, error)
	FulfillmentsByOrders(ctx context.Context, orderIDs []string) ([]order.Fulfillment, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	OrderByID *batch.Loader[string, order.Order]
	Lines     *Children[order.Line]
	Events    *Children[order.Event]
	// Fulfillments are each order's fulfilments, oldest first.
	Fulfillments *Children[order.Fulfillment]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		OrderByID:    batch.New(wait, batch.One(store.OrdersByIDs, func(o order.Order) string { return o.ID }, "order")),
		Lines:        newChildren(store.LinesByOrders, func(l order.Line) string { return l.OrderID }, wait),
		Events:       newChildren(store.EventsByOrders, func(e order.Event) string { return e.OrderID }, wait),
		Fulfillments: newChildren(store.FulfillmentsByOrders, func(f order.Fulfillment) string { return f.OrderID }, wait),
	}
}

// Page tells the loaders that a list resolver returned the orders ids:
// the first of them to ask for its lines (events, fulfilments) reads them
// for the whole page, in one statement. A dataloader alone would batch
// them only if every order's resolver asked within its wait, which a busy
// machine does not promise; a page knows its orders up front.
func (l *Loaders) Page(ids []string) {
	l.Lines.page(ids)
	l.Events.page(ids)
	l.Fulfillments.page(ids)
}

// Children loads the rows (lines, events, fulfilments) of orders: those of
// a Page together, and those of orders reached one by one (an entity, an
// order by id) through a dataloader.
type Children[T any] struct {
	loader *batch.Loader[string, []T]
	read   func(context.Context, []string) ([]T, error)
	parent func(T) string

	mu    sync.Mutex
	pages map[string]*pageRows[T] // by order id
}

func newChildren[T any](read func(context.Context, []string) ([]T, error), parent func(T) string, wait time.Duration) *Children[T] {
	return &Children[T]{
		loader: batch.New(wait, batch.Many(read, parent)),
		read:   read, parent: parent, pages: map[string]*pageRows[T]{},
	}
}

// pageRows are the rows of one page's orders, read once, when first asked.
type pageRows[T any] struct {
	ids  []string
	once sync.Once
	rows map[string][]T
	err  error
}

func (c *Children[T]) page(ids []string) {
	if len(ids) == 0 {
		return
	}
	p := &pageRows[T]{ids: ids}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.pages[id] = p
	}
}

// Load returns a thunk for the rows of order id.
func (c *Children[T]) Load(ctx context.Context, id string) dataloader.Thunk[[]T] {
	c.mu.Lock()
	p := c.pages[id]
	c.mu.Unlock()
	if p == nil {
		return c.loader.Load(ctx, id)
	}
	return func() ([]T, error) {
		p.once.Do(func() {
			rows, err := c.read(ctx, p.ids)
			p.rows, p.err = make(map[string][]T, len(p.ids)), err
			for _, r := range rows {
				p.rows[c.parent(r)] = append(p.rows[c.parent(r)], r)
			}
		})
		return p.rows[id], p.err
	}
}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(*http.Request) *Loaders { return New(store, wait) }, next)
}

// With returns ctx carrying l: a subscription gives each event fresh
// loaders, or it would serve the first event's order for ever.
func With(ctx context.Context, l *Loaders) context.Context { return batch.With(ctx, l) }

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
