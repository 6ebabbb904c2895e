package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// PgxTracer makes a client span for each SQL statement and batch run under
// a recording span (a traced request). The statement text is recorded, its
// arguments never: they hold emails, addresses and tokens. Statements run
// outside a request (the outbox relay polling every 250ms, schedulers) get
// no span, which keeps traces about requests and costs nothing there.
type PgxTracer struct {
	// Database is the db.namespace of the spans. Given here because
	// conn.Config() deep-copies the connection's config on every call.
	Database string
}

var (
	_ pgx.QueryTracer = PgxTracer{}
	_ pgx.BatchTracer = PgxTracer{}
)

// TraceQueryStart starts the statement's span.
func (t PgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	ctx, _ = tracer().Start(ctx, operation(data.SQL), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(t.attrs(data.SQL)...))
	return ctx
}

// TraceQueryEnd ends it with its outcome.
func (PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	end(span, data.CommandTag.RowsAffected(), data.Err)
}

// TraceBatchStart starts one span for a batch; its statements become
// events on it.
func (t PgxTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	n := 0
	if data.Batch != nil {
		n = data.Batch.Len()
	}
	ctx, _ = tracer().Start(ctx, "BATCH", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(t.attrs(""), attribute.Int("db.operation.batch.size", n))...))
	return ctx
}

// TraceBatchQuery records one statement of the batch.
func (PgxTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{attribute.String("db.query.text", data.SQL)}
	if data.Err != nil {
		attrs = append(attrs, attribute.String("error", data.Err.Error()))
	}
	span.AddEvent("query", trace.WithAttributes(attrs...))
}

// TraceBatchEnd ends the batch's span.
func (PgxTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	end(span, -1, data.Err)
}

func (t PgxTracer) attrs(sql string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, attribute.String("db.system.name", "postgresql"))
	if t.Database != "" {
		attrs = append(attrs, attribute.String("db.namespace", t.Database))
	}
	if sql != "" {
		attrs = append(attrs, attribute.String("db.query.text", sql))
	}
	return attrs
}

func end(span trace.Span, rows int64, err error) {
	if rows >= 0 {
		span.SetAttributes(attribute.Int64("db.response.returned_rows", rows))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}

// operation is the statement's first keyword (SELECT, INSERT, WITH), the
// span's name: low-cardinality, unlike the statement text.
func operation(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasPrefix(s, "--") {
		// A leading comment line (sqlc-style names) is not the keyword.
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return "SQL"
		}
		s = strings.TrimSpace(s[i+1:])
	}
	if i := strings.IndexAny(s, " \t\n("); i > 0 {
		s = s[:i]
	}
	if s == "" {
		return "SQL"
	}
	return strings.ToUpper(s)
}

// tracer is looked up on every use, not cached at init: the global
// provider's delegation is set once only, and tests install their own.
func tracer() trace.Tracer {
	return otel.GetTracerProvider().Tracer("github.com/myshop/supergraph/subgraphs/platform/postgres")
}
