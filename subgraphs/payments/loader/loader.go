// Package loader batches the payments subgraph's reads per request: the
// ledgers of N payments cost one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// Store is what the loaders read from.
type Store interface {
	PaymentsByIDs(ctx context.Context, ids []string) ([]payment.Payment, error)
	TransactionsByPayments(ctx context.Context, paymentIDs []string) ([]payment.Transaction, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	PaymentByID *dataloader.Loader[string, payment.Payment]
	Ledger      *dataloader.Loader[string, []payment.Transaction]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		PaymentByID: dataloader.NewBatchedLoader(paymentsByIDs(store), dataloader.WithWait[string, payment.Payment](wait)),
		Ledger:      dataloader.NewBatchedLoader(ledgers(store), dataloader.WithWait[string, []payment.Transaction](wait)),
	}
}

type ctxKey struct{}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, New(store, wait))))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }

func paymentsByIDs(store Store) dataloader.BatchFunc[string, payment.Payment] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[payment.Payment] {
		ps, err := store.PaymentsByIDs(ctx, ids)
		byID := make(map[string]payment.Payment, len(ps))
		for _, p := range ps {
			byID[p.ID] = p
		}
		out := make([]*dataloader.Result[payment.Payment], len(ids))
		for i, id := range ids {
			p, ok := byID[id]
			switch {
			case err != nil:
				out[i] = &dataloader.Result[payment.Payment]{Error: err}
			case !ok:
				out[i] = &dataloader.Result[payment.Payment]{Error: errs.New(errs.NotFound, "payment %s not found", id)}
			default:
				out[i] = &dataloader.Result[payment.Payment]{Data: p}
			}
		}
		return out
	}
}

func ledgers(store Store) dataloader.BatchFunc[string, []payment.Transaction] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[[]payment.Transaction] {
		txs, err := store.TransactionsByPayments(ctx, ids)
		byPayment := map[string][]payment.Transaction{}
		for _, t := range txs {
			byPayment[t.PaymentID] = append(byPayment[t.PaymentID], t)
		}
		out := make([]*dataloader.Result[[]payment.Transaction], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]payment.Transaction]{Data: byPayment[id], Error: err}
		}
		return out
	}
}
