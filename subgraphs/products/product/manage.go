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
