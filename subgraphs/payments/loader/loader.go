// Package loader batches the payments subgraph's reads per request: the
// ledgers of N payments cost one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/batch"
)

// Store is what the loaders read from.
type Store interface {
	PaymentsByIDs(ctx context.Context, ids []string) ([]payment.Payment, error)
	TransactionsByPayments(ctx context.Context, paymentIDs []string) ([]payment.Transaction, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	PaymentByID *batch.Loader[string, payment.Payment]
	Ledger      *batch.Loader[string, []payment.Transaction]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		PaymentByID: batch.New(wait, batch.One(store.PaymentsByIDs, func(p payment.Payment) string { return p.ID }, "payment")),
		Ledger:      batch.New(wait, batch.Many(store.TransactionsByPayments, func(t payment.Transaction) string { return t.PaymentID })),
	}
}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(*http.Request) *Loaders { return New(store, wait) }, next)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
