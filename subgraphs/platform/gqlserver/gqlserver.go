// Package gqlserver is the gqlgen HTTP handler every subgraph serves: the
// same transports, caches, error presentation and panic recovery for all.
package gqlserver

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/myshop/supergraph/platform/errs"
)

// New returns the GraphQL handler for an executable schema.
func New(es graphql.ExecutableSchema, log *slog.Logger) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// The router sends the same few operations over and over: parse each once.
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// The router refuses operations over 15,000 tokens before planning; a
	// subgraph reached directly (inside the cluster) must not spend its CPU
	// parsing a bigger one either.
	srv.SetParserTokenLimit(ParserTokenLimit)
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	srv.AroundOperations(nameSpan)
	srv.AroundResponses(observe)
	return srv
}

// ParserTokenLimit is the most tokens a document may have, as the router's
// limits.max_tokens default.
const ParserTokenLimit = 15000

// presentError gives every error an extensions.code. Errors meant for the
// client (errs.Error, and those gqlgen makes about the request itself) keep
// their message; anything else is logged with its chain and shown only as
// "internal error", so no SQL or driver detail leaks.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var appErr *errs.Error
		if errors.As(err, &appErr) {
			gqlErr.Message = appErr.Message
			setCode(gqlErr, string(appErr.Code))
			return gqlErr
		}
		if _, ok := err.(*gqlerror.Error); ok {
			// gqlgen's own: input coercion, unknown entity type, and the like.
			if gqlErr.Extensions["code"] == nil {
				setCode(gqlErr, string(errs.Invalid))
			}
			return gqlErr
		}
		log.ErrorContext(ctx, "resolver failed", "path", gqlErr.Path.String(), "err", err)
		return &gqlerror.Error{
			Message:    "internal error",
			Path:       gqlErr.Path,
			Extensions: map[string]any{"code": string(errs.Internal)},
		}
	}
}

func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panicked", "panic", p, "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}
