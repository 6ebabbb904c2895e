package user

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/myshop/supergraph/platform/errs"
)

// Address is an entry of a user's address book.
type Address struct {
	ID          string
	UserID      string
	FirstName   string
	LastName    string
	Company     string
	Street1     string
	Street2     string
	City        string
	Region      string
	PostalCode  string
	CountryCode string
	Phone       string
}

// country is what a country's addresses must have.
type country struct {
	regionRequired bool
	postal         *regexp.Regexp // nil: no postal codes
	regionLabel    string
}

// countries are the countries we ship to, with their address rules.
var countries = map[string]country{
	"US": {regionRequired: true, regionLabel: "state", postal: regexp.MustCompile(`^\d{5}(-\d{4})?$`)},
	"CA": {regionRequired: true, regionLabel: "province", postal: regexp.MustCompile(`^[A-Z]\d[A-Z] ?\d[A-Z]\d$`)},
	"GB": {postal: regexp.MustCompile(`^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$`)},
	"DE": {postal: regexp.MustCompile(`^\d{5}$`)},
	"FR": {postal: regexp.MustCompile(`^\d{5}$`)},
	"ES": {postal: regexp.MustCompile(`^\d{5}$`)},
	"IT": {regionRequired: true, regionLabel: "province", postal: regexp.MustCompile(`^\d{5}$`)},
	"NL": {postal: regexp.MustCompile(`^\d{4} ?[A-Z]{2}$`)},
	"CH": {postal: regexp.MustCompile(`^\d{4}$`)},
	"SE": {postal: regexp.MustCompile(`^\d{3} ?\d{2}$`)},
	"JP": {regionRequired: true, regionLabel: "prefecture", postal: regexp.MustCompile(`^\d{3}-?\d{4}$`)},
	"AU": {regionRequired: true, regionLabel: "state", postal: regexp.MustCompile(`^\d{4}$`)},
	"BR": {regionRequired: true, regionLabel: "state", postal: regexp.MustCompile(`^\d{5}-?\d{3}$`)},
	"IN": {regionRequired: true, regionLabel: "state", postal: regexp.MustCompile(`^\d{6}$`)},
	"IE": {}, // Eircodes are optional
	"HK": {}, // no postal codes
}

// Normalize trims every field and upper-cases the country and postal code.
func (a *Address) Normalize() {
	for _, f := range []*string{&a.FirstName, &a.LastName, &a.Company, &a.Street1, &a.Street2, &a.City, &a.Region, &a.PostalCode, &a.Phone} {
		*f = strings.TrimSpace(*f)
	}
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	a.PostalCode = strings.ToUpper(a.PostalCode)
}

// Check applies the address rules of a's country; errors are *errs.Problem.
func (a Address) Check() error {
	c, ok := countries[a.CountryCode]
	if !ok {
		return &errs.Problem{Field: errs.Field("countryCode"), Code: CodeInvalid, Message: fmt.Sprintf("we do not ship to %q", a.CountryCode)}
	}
	for _, r := range []struct{ field, value string }{
		{"firstName", a.FirstName}, {"lastName", a.LastName}, {"street1", a.Street1}, {"city", a.City},
	} {
		if r.value == "" {
			return &errs.Problem{Field: errs.Field(r.field), Code: CodeRequired, Message: r.field + " is required"}
		}
	}
	if c.regionRequired && a.Region == "" {
		return &errs.Problem{Field: errs.Field("region"), Code: CodeRequired, Message: fmt.Sprintf("a %s is required in %s", c.regionLabel, a.CountryCode)}
	}
	if c.postal != nil && !c.postal.MatchString(a.PostalCode) {
		return &errs.Problem{Field: errs.Field("postalCode"), Code: CodeInvalid, Message: fmt.Sprintf("%q is not a postal code of %s", a.PostalCode, a.CountryCode)}
	}
	return nil
}
