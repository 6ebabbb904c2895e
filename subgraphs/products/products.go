// Package products is the products subgraph: the catalog (products,
// variants, prices per channel, categories, brands, attributes,
// collections), search with filters and facets, reviews with ratings, and
// product images (package media).
// Def is all a starter needs to run it.
package products

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products/graph"
	"github.com/myshop/supergraph/subgraphs/products/graph/generated"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Def describes the products subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "products",
	Port:       4002,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Handler:    Handler,
	Background: SweepUploads,
}

// Handler is the products GraphQL endpoint; it verifies the tokens the
// router forwards with the users subgraph's keys.
func Handler(d subgraph.Deps) http.Handler { return NewHandler(d, d.Verifier) }

// MaxMultipartBody is the largest multipart request body read: one image
// at the limit plus room for the operations and map parts.
const MaxMultipartBody = media.MaxImageBytes + 1<<20

// NewHandler is Handler with the token verifier given. The claims are in
// the context before the loaders are built, because what a loader may
// return depends on who asks.
//
// Images are kept by the backend PRODUCTS_MEDIA_BACKEND chooses (see
// package media) and served at GET /media/<key>; with the local backend,
// presigned uploads arrive at PUT /media/upload/<key>. A media setting
// that is wrong is logged and makes media operations fail; the catalog
// keeps working.
func NewHandler(d subgraph.Deps, v *auth.Verifier) http.Handler {
	store := postgres.New(d.Pool)
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, files := openMedia(d, log)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Catalog: product.NewCatalog(store), Taxonomy: product.NewTaxonomy(store), Reviews: product.NewReviews(store),
		Images: product.NewImages(store, files, log), MediaURL: cfg.BaseURL}})
	srv := gqlserver.New(es, d.Log)
	// uploadProductImage by the GraphQL multipart request spec. The body is
	// capped a little over the image limit, so a file just over 10 MB gets
	// the typed IMAGE_TOO_LARGE and a much bigger body is refused unread.
	// A form post is what a cross-site page can send, but it carries no
	// Authorization header, and every mutation here needs a bearer token.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: MaxMultipartBody, MaxMemory: MaxMultipartBody})
	h := auth.Middleware(v, loader.Middleware(store, d.LoaderWait, srv))
	mux := http.NewServeMux()
	mux.Handle("/graphql", h)
	media.Routes(mux, files, log)
	return mux
}

// openMedia opens the image storage the settings choose. Image URLs default
// to this subgraph's own address (a wildcard listen address such as
// 0.0.0.0:4002 becomes 127.0.0.1:4002); set PRODUCTS_MEDIA_URL wherever
// browsers reach the subgraph by another name.
func openMedia(d subgraph.Deps, log *slog.Logger) (media.Config, media.Storage) {
	addr := d.Setting("PRODUCTS_LISTEN_ADDR", "127.0.0.1:4002")
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	cfg := media.ConfigFrom(d.Setting, addr)
	files, err := media.Open(cfg, log)
	if err != nil {
		log.Error("products: media storage unavailable", "err", err)
		files = media.Broken(err)
	}
	return cfg, files
}

// SweepUploads deletes, every 10 minutes, the uploads whose URL expired
// over an hour ago without being confirmed: their rows and any bytes
// that were PUT.
func SweepUploads(ctx context.Context, d subgraph.Deps) {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, files := openMedia(d, log)
	store := postgres.New(d.Pool)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		// The first sweep waits a period too: a starting process (or a test
		// counting statements) sees no query from here.
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := SweepUploadsOnce(ctx, store, files, time.Now().Add(-time.Hour)); err != nil {
			log.Error("products: sweep expired uploads", "err", err)
		} else if n > 0 {
			log.Info("products: swept expired uploads", "count", n)
		}
	}
}

// SweepUploadsOnce deletes the uploads that expired before cutoff and
// returns how many there were.
func SweepUploadsOnce(ctx context.Context, store *postgres.Store, files media.Storage, cutoff time.Time) (int, error) {
	ups, err := store.ExpiredImageUploads(ctx, cutoff, 500)
	if err != nil {
		return 0, err
	}
	for _, u := range ups {
		if err := files.Delete(ctx, u.Key); err != nil {
			return 0, err
		}
		if err := store.DeleteImageUpload(ctx, u.ID); err != nil {
			return 0, err
		}
	}
	return len(ups), nil
}
