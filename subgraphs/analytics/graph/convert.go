package graph

import (
	"context"
	"encoding/json"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/analytics/graph/model"
	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

type uaKey struct{}

// WithUserAgent keeps the request's User-Agent for bot filtering.
func WithUserAgent(ctx context.Context, ua string) context.Context {
	return context.WithValue(ctx, uaKey{}, ua)
}

func userAgent(ctx context.Context) string { s, _ := ctx.Value(uaKey{}).(string); return s }

type channelKey struct{}

// WithChannel keeps the request's X-Channel (the router forwards it): the
// storefront's behaviour events count in that channel.
func WithChannel(ctx context.Context, channel string) context.Context {
	return context.WithValue(ctx, channelKey{}, channel)
}

func requestChannel(ctx context.Context) string { s, _ := ctx.Value(channelKey{}).(string); return s }

// channelArg checks a channel argument; nil stays nil (every channel).
func channelArg(channel *string) (*string, error) {
	if channel != nil && (*channel == "" || len(*channel) > metrics.MaxSessionIDLen) {
		return nil, errs.New(errs.Invalid, "channel is a slug of 1 to %d characters, or null for every channel", metrics.MaxSessionIDLen)
	}
	return channel, nil
}

func parseRange(from, to string) (metrics.Range, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return metrics.Range{}, errs.New(errs.Invalid, "from and to are dates like 2026-11-25")
	}
	r := metrics.Range{From: f, To: t}
	if err := metrics.CheckRange(r); err != nil {
		return metrics.Range{}, errs.New(errs.Invalid, "%s", err)
	}
	return r, nil
}

func rangeAndBucket(from, to string, bucket *model.MetricBucket) (metrics.Range, string, error) {
	r, err := parseRange(from, to)
	if err != nil {
		return r, "", err
	}
	b := metrics.Day
	if bucket != nil {
		b = metrics.Bucket(*bucket)
	}
	trunc, err := b.Trunc()
	if err != nil {
		return r, "", errs.New(errs.Invalid, "%s", err)
	}
	if err := metrics.CheckBucket(r, b); err != nil {
		return r, "", errs.New(errs.Invalid, "%s", err)
	}
	return r, trunc, nil
}

func toDashboard(d metrics.Dashboard) (*model.Dashboard, error) {
	out := &model.Dashboard{ID: d.ID, Name: d.Name}
	if err := json.Unmarshal(d.Widgets, &out.Widgets); err != nil {
		return nil, err
	}
	return out, nil
}

func currencyArg(in *string) (money.Currency, error) {
	cur := money.Currency("USD")
	if in != nil {
		if err := cur.UnmarshalGQL(*in); err != nil {
			return "", errs.New(errs.Invalid, "%s", err)
		}
	}
	return cur, nil
}

func (r *Resolver) toReport(rep metrics.Report) *model.Report {
	out := &model.Report{ID: rep.ID, Kind: model.ReportKind(rep.Kind), From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Status: model.ReportStatus(rep.Status), Progress: rep.Progress, Error: rep.Error, CreatedAt: rep.CreatedAt.UTC().Format(time.RFC3339)}
	if rep.FinishedAt != nil {
		f := rep.FinishedAt.UTC().Format(time.RFC3339)
		out.FinishedAt = &f
	}
	if rep.Status == "DONE" {
		link := r.ReportLink(rep.ID)
		out.DownloadURL = &link
	}
	return out
}
