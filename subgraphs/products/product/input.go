package product

import (
	"strconv"
	"time"

	"github.com/myshop/supergraph/platform/errs"
)

// NewProduct is what staff give to create a product. Slug and Status are
// filled in by Normalize when empty.
type NewProduct struct {
	Name, Slug, Description string
	Status                  Status
	PublishedAt             *time.Time
	CategoryID              string
	BrandID                 string
	ProductTypeID           string
	BasePrice               int64 // minor units of the default channel's currency
	Attributes              []AttributeInput
}

// AttributeInput sets a product's value of the attribute Slug.
type AttributeInput struct {
	Slug, Value string
}

// ProductUpdate changes the fields that are not nil.
type ProductUpdate struct {
	Name, Slug, Description *string
	Status                  *Status
	PublishedAt             *time.Time
	CategoryID, BrandID     *string
	BasePrice               *int64
}

// NewVariant is what staff give to create a variant.
type NewVariant struct {
	ProductID   string
	SKU, Name   string
	Options     []Option
	WeightGrams int
	Prices      map[string]int64 // channel → minor units
}

// Normalize fills defaults and checks the rules that need no database.
func (n *NewProduct) Normalize(now time.Time) error {
	if n.Name == "" {
		return errs.Problemf([]string{"input", "name"}, Required, "name is required")
	}
	if n.Slug == "" {
		n.Slug = Slugify(n.Name)
	}
	if err := CheckSlug([]string{"input", "slug"}, n.Slug); err != nil {
		return err
	}
	if n.Status == "" {
		n.Status = Draft
	}
	if n.Status == Published && n.PublishedAt == nil {
		n.PublishedAt = &now
	}
	return nil
}

// Check checks the rules of an update that need no database.
func (u ProductUpdate) Check() error {
	if u.Name != nil && *u.Name == "" {
		return errs.Problemf([]string{"input", "name"}, Required, "name must not be empty")
	}
	if u.Slug != nil {
		return CheckSlug([]string{"input", "slug"}, *u.Slug)
	}
	return nil
}

// Check checks a new variant's own fields.
func (v NewVariant) Check() error {
	if v.SKU == "" || len(v.SKU) > 64 {
		return errs.Problemf([]string{"input", "sku"}, Invalid, "sku must be 1 to 64 characters")
	}
	if v.Name == "" {
		return errs.Problemf([]string{"input", "name"}, Required, "name is required")
	}
	if v.WeightGrams < 0 {
		return errs.Problemf([]string{"input", "weightGrams"}, Invalid, "weight must not be negative")
	}
	return nil
}

// CheckValue refuses a value that is not of the attribute's kind.
func (a Attribute) CheckValue(field []string, v string) error {
	ok := true
	switch a.Kind {
	case Number:
		_, err := strconv.ParseFloat(v, 64)
		ok = err == nil
	case Boolean:
		ok = v == "true" || v == "false"
	case Choice:
		ok = false
		for _, c := range a.Choices {
			ok = ok || c == v
		}
	case Text:
		ok = v != "" && len(v) <= 500
	}
	if !ok {
		return errs.Problemf(field, InvalidAttribute, "%q is not a valid %s value of %s", v, a.Kind, a.Slug)
	}
	return nil
}

// VariantUpdate changes the fields of a variant that are not nil.
type VariantUpdate struct {
	SKU, Name   *string
	Options     *[]Option
	WeightGrams *int
}

// Check checks the rules of a variant update that need no database.
func (u VariantUpdate) Check() error {
	if u.SKU != nil && (*u.SKU == "" || len(*u.SKU) > 64) {
		return errs.Problemf([]string{"input", "sku"}, Invalid, "sku must be 1 to 64 characters")
	}
	if u.Name != nil && *u.Name == "" {
		return errs.Problemf([]string{"input", "name"}, Required, "name must not be empty")
	}
	if u.WeightGrams != nil && *u.WeightGrams < 0 {
		return errs.Problemf([]string{"input", "weightGrams"}, Invalid, "weight must not be negative")
	}
	return nil
}
