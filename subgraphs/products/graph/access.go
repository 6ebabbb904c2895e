package graph

import (
	"context"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// problems turns a rule failure into payload errors; any other error is
// returned for the top-level errors.
func problems(err error) ([]*model.ProductError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.ProductErrorCode) *model.ProductError {
		return &model.ProductError{Field: p.Field, Message: p.Message, Code: code}
	})
}

// channelArg is a channel argument, the default channel when null.
func channelArg(channel *string) (string, error) {
	ch := deref(channel)
	if ch == "" {
		return product.DefaultChannel, nil
	}
	if _, ok := product.Channels[ch]; !ok {
		return "", errs.New(errs.Invalid, "unknown channel %q", ch)
	}
	return ch, nil
}

// categoryByID loads a category; "" is no category.
func categoryByID(ctx context.Context, id string) (*model.Category, error) {
	if id == "" {
		return nil, nil
	}
	c, err := loader.For(ctx).CategoryByID.Load(ctx, id)()
	if err != nil {
		return nil, err
	}
	return toCategory(c), nil
}
