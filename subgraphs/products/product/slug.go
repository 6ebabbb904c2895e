package product

import (
	"regexp"
	"strings"

	"github.com/myshop/supergraph/platform/errs"
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	notSlug     = regexp.MustCompile(`[^a-z0-9]+`)
)

// MaxSlug is the longest slug accepted.
const MaxSlug = 100

// Slugify derives a slug from a name: "Rugged Trail Backpack" →
// "rugged-trail-backpack".
func Slugify(name string) string {
	s := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > MaxSlug {
		s = strings.TrimRight(s[:MaxSlug], "-")
	}
	return s
}

// CheckSlug refuses anything but lowercase words joined by hyphens.
func CheckSlug(field []string, slug string) error {
	if len(slug) > MaxSlug || !slugPattern.MatchString(slug) {
		return errs.Problemf(field, InvalidSlug, "slug %q must be lowercase letters and digits joined by hyphens, at most %d characters", slug, MaxSlug)
	}
	return nil
}
