package order

import (
	"strings"

	"github.com/myshop/supergraph/platform/errs"
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
	if len(a.CountryCode) != 2 || !strings.Contains(countries, " "+a.CountryCode+" ") {
		return errs.Problemf(errs.Field("address.countryCode"), CodeInvalidAddress, "%q is not an ISO 3166-1 alpha-2 country code", a.CountryCode)
	}
	if strings.Contains(" US CA AU JP BR MX IN ", " "+a.CountryCode+" ") && a.Region == "" {
		return errs.Problemf(errs.Field("address.region"), CodeInvalidAddress, "region (state, province or prefecture) is required in %s", a.CountryCode)
	}
	return nil
}

// countries are the ISO 3166-1 alpha-2 codes, space-separated and padded.
const countries = " AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "
