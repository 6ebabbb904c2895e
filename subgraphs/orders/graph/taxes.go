package graph

import (
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

// toTaxClass is c with those of rates that are its.
func toTaxClass(c order.TaxClass, rates []order.TaxRate) *model.TaxClass {
	out := &model.TaxClass{ID: c.ID, Name: c.Name, IsDefault: c.ID == order.DefaultTaxClass, Rates: []*model.TaxRate{}}
	for _, r := range rates {
		if r.ClassID == c.ID {
			out.Rates = append(out.Rates, toTaxRate(r))
		}
	}
	return out
}

func toTaxRate(r order.TaxRate) *model.TaxRate {
	return &model.TaxRate{TaxClassID: r.ClassID, CountryCode: r.Country, Region: r.Region, Rate: r.Rate.Percent()}
}

func taxClassPayload(c *model.TaxClass, err error) (*model.TaxClassPayload, error) {
	out := &model.TaxClassPayload{}
	if err == nil {
		out.TaxClass = c
	}
	out.Errors, err = taxErrors(err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// taxErrors turns a rule failure into payload errors; other errors stay
// errors.
func taxErrors(err error) ([]*model.TaxError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.TaxErrorCode) *model.TaxError {
		return &model.TaxError{Field: p.Field, Message: p.Message, Code: code}
	})
}
