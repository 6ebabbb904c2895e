// Package loader batches the users subgraph's reads per request: however
// many users a query touches, one SQL statement loads them.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// Store is what the loaders read from.
type Store interface {
	UsersByIDs(ctx context.Context, ids []string) ([]user.User, error)
	AddressesByUsers(ctx context.Context, userIDs []string) ([]user.Address, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	UserByID        *dataloader.Loader[string, user.User]
	AddressesByUser *dataloader.Loader[string, []user.Address]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		UserByID: dataloader.NewBatchedLoader(usersByIDs(store), dataloader.WithWait[string, user.User](wait)),
		AddressesByUser: dataloader.NewBatchedLoader(addressesByUsers(store),
			dataloader.WithWait[string, []user.Address](wait)),
	}
}

type ctxKey struct{}

// Middleware gives every request its own loaders, so nothing cached
// outlives the request.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, New(store, wait))))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }

func usersByIDs(store Store) dataloader.BatchFunc[string, user.User] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[user.User] {
		users, err := store.UsersByIDs(ctx, ids)
		out := make([]*dataloader.Result[user.User], len(ids))
		if err != nil {
			for i := range out {
				out[i] = &dataloader.Result[user.User]{Error: err}
			}
			return out
		}
		byID := make(map[string]user.User, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		for i, id := range ids {
			if u, ok := byID[id]; ok {
				out[i] = &dataloader.Result[user.User]{Data: u}
			} else {
				out[i] = &dataloader.Result[user.User]{Error: errs.New(errs.NotFound, "user %s not found", id)}
			}
		}
		return out
	}
}

func addressesByUsers(store Store) dataloader.BatchFunc[string, []user.Address] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[[]user.Address] {
		as, err := store.AddressesByUsers(ctx, ids)
		byUser := map[string][]user.Address{}
		for _, a := range as {
			byUser[a.UserID] = append(byUser[a.UserID], a)
		}
		out := make([]*dataloader.Result[[]user.Address], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]user.Address]{Data: byUser[id], Error: err}
		}
		return out
	}
}
