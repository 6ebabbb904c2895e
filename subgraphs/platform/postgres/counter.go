package postgres

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementCounter is a pgx tracer that counts the statements a pool runs.
// Tests use it to prove that a query costs the same number of statements
// whatever its page sizes: no N+1.
type StatementCounter struct{ n atomic.Int64 }

// TraceQueryStart counts one statement.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceQueryEnd does nothing; the start is what counts.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Count is the number of statements so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Reset sets the count back to zero.
func (c *StatementCounter) Reset() { c.n.Store(0) }

type requestStatementsKey struct{}

// CountStatements returns ctx with a counter of the statements (and
// batches, one round trip each) that pools opened by Open run under it.
// gqlserver reports it per request: a count that grows with page size is
// an N+1 in production, where StatementCounter's tests cannot look.
func CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, requestStatementsKey{}, n), n
}

// requestStatements counts into the counter CountStatements put in the
// statement's context, if any.
type requestStatements struct{}

func (requestStatements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if n, ok := ctx.Value(requestStatementsKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return ctx
}

func (requestStatements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (requestStatements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	if n, ok := ctx.Value(requestStatementsKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return ctx
}

func (requestStatements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (requestStatements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
