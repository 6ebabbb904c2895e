package order

import (
	"strings"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/country"
)

// Address is where an order ships. An order keeps its own copy.
type Address struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Company     string `json:"company,omitempty"`
	Street1     string `json:"street1"`
	Street2     string `json:"street2,omitempty"`
	City        string `json:"city"`
	Region      string `json:"region,omitempty"`
	PostalCode  string `json:"postalCode"`
	CountryCode string `json:"countryCode"`
	Phone       string `json:"phone,omitempty"`
}

// Normalize trims every field and upper-cases the country.
func (a Address) Normalize() Address {
	for _, f := range []*string{&a.FirstName, &a.LastName, &a.Company, &a.Street1, &a.Street2, &a.City, &a.Region, &a.PostalCode, &a.CountryCode, &a.Phone} {
		*f = strings.TrimSpace(*f)
	}
	a.CountryCode = strings.ToUpper(a.CountryCode)
	return a
}

// Validate returns a Problem naming the first field that is missing or
// wrong: names, street, city, postal code and a real ISO 3166-1 country
// are required, and a region where the country has states or provinces.
func (a Address) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"firstName", a.FirstName}, {"lastName", a.LastName}, {"street1", a.Street1},
		{"city", a.City}, {"postalCode", a.PostalCode}, {"countryCode", a.CountryCode},
	} {
		if f.value == "" {
			return errs.Problemf(errs.Field("address."+f.name), CodeInvalidAddress, "%s is required", f.name)
		}
	}
	for _, f := range []struct{ name, value string }{
		{"firstName", a.FirstName}, {"lastName", a.LastName}, {"company", a.Company}, {"street1", a.Street1},
		{"street2", a.Street2}, {"city", a.City}, {"region", a.Region}, {"postalCode", a.PostalCode}, {"phone", a.Phone},
	} {
		if len(f.value) > 200 {
			return errs.Problemf(errs.Field("address."+f.name), CodeInvalidAddress, "%s is longer than 200 characters", f.name)
		}
	}
	if !country.Valid(a.CountryCode) {
		return errs.Problemf(errs.Field("address.countryCode"), CodeInvalidAddress, "%q is not an ISO 3166-1 alpha-2 country code", a.CountryCode)
	}
	if strings.Contains(" US CA AU JP BR MX IN ", " "+a.CountryCode+" ") && a.Region == "" {
		return errs.Problemf(errs.Field("address.region"), CodeInvalidAddress, "region (state, province or prefecture) is required in %s", a.CountryCode)
	}
	return nil
}
