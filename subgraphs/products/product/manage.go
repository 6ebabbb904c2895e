package product

import (
	"fmt"
	"slices"

	"github.com/myshop/supergraph/platform/errs"
)

// MaxChoices caps a CHOICE attribute's list: it is shown as a filter.
const MaxChoices = 100

// CheckAttribute refuses an attribute whose kind and choices disagree:
// CHOICE needs distinct, non-empty choices, the other kinds none.
func CheckAttribute(field []string, kind AttributeKind, choices []string) error {
	switch kind {
	case Text, Number, Boolean, Choice:
	default:
		return errs.Problemf(append(field, "kind"), Invalid, "unknown attribute kind %q", kind)
	}
	if kind != Choice {
		if len(choices) > 0 {
			return errs.Problemf(append(field, "choices"), Invalid, "only a CHOICE attribute has choices")
		}
		return nil
	}
	if len(choices) == 0 {
		return errs.Problemf(append(field, "choices"), Required, "a CHOICE attribute needs choices")
	}
	if len(choices) > MaxChoices {
		return errs.Problemf(append(field, "choices"), Invalid, "at most %d choices", MaxChoices)
	}
	for i, c := range choices {
		if c == "" || len(c) > 100 {
			return errs.Problemf(append(field, "choices", fmt.Sprint(i)), Invalid, "a choice is 1 to 100 bytes")
		}
		if slices.Contains(choices[:i], c) {
			return errs.Problemf(append(field, "choices", fmt.Sprint(i)), Invalid, "choice %q is listed twice", c)
		}
	}
	return nil
}

// Dedupe returns ids without repeats, in first-seen order: a list given
// twice the same id means it once.
func Dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// MaxIDList caps the ids one staff mutation takes: a bigger list is a
// mistake or an attack, and each id costs a row write.
const MaxIDList = 500

// CheckIDList refuses a list of more than MaxIDList ids.
func CheckIDList(field string, ids []string) error {
	if len(ids) > MaxIDList {
		return errs.Problemf([]string{field}, Invalid, "at most %d ids at once", MaxIDList)
	}
	return nil
}

// RequiredName refuses an empty name.
func RequiredName(name string) error {
	if name == "" {
		return errs.Problemf([]string{"input", "name"}, Required, "name is required")
	}
	return nil
}

// NameAndSlug checks a name and returns the slug given or derived from it.
func NameAndSlug(name string, slug *string) (string, error) {
	if err := RequiredName(name); err != nil {
		return "", err
	}
	s := ""
	if slug != nil {
		s = *slug
	}
	if s == "" {
		s = Slugify(name)
	}
	return s, CheckSlug([]string{"input", "slug"}, s)
}

// OptionalNameAndSlug checks an update's name and slug when they are set.
func OptionalNameAndSlug(name, slug *string) error {
	if name != nil {
		if err := RequiredName(*name); err != nil {
			return err
		}
	}
	if slug != nil {
		return CheckSlug([]string{"input", "slug"}, *slug)
	}
	return nil
}

// ChannelAmount parses an amount in the channel's currency; nil stays nil.
// field names the input for the problems.
func ChannelAmount(field []string, channel string, amount *string) (*int64, error) {
	currency, ok := Channels[channel]
	if !ok {
		return nil, errs.Problemf(field, UnknownChannel, "unknown channel %q", channel)
	}
	if amount == nil {
		return nil, nil
	}
	minor, err := ParseAmount(*amount, currency)
	if err != nil {
		return nil, errs.Problemf(field, InvalidPrice, "%v", err)
	}
	return &minor, nil
}
