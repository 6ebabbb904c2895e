// Package loader batches the users subgraph's reads per request: however
// many users a query touches, one SQL statement loads them.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/batch"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// Store is what the loaders read from.
type Store interface {
	UsersByIDs(ctx context.Context, ids []string) ([]user.User, error)
	AddressesByUsers(ctx context.Context, userIDs []string) ([]user.Address, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	UserByID        *batch.Loader[string, user.User]
	AddressesByUser *batch.Loader[string, []user.Address]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		UserByID:        batch.New(wait, batch.One(store.UsersByIDs, func(u user.User) string { return u.ID }, "user")),
		AddressesByUser: batch.New(wait, batch.Many(store.AddressesByUsers, func(a user.Address) string { return a.UserID })),
	}
}

// Middleware gives every request its own loaders, so nothing cached
// outlives the request.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(*http.Request) *Loaders { return New(store, wait) }, next)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
