package product

import (
	"time"

	"github.com/myshop/supergraph/platform/errs"
)

// ReviewStatus is a review's moderation state.
type ReviewStatus string

// The review statuses.
const (
	Visible ReviewStatus = "VISIBLE"
	Hidden  ReviewStatus = "HIDDEN"
)

// Review is a shopper's rating and words about a product.
type Review struct {
	ID           string
	ProductID    string
	AuthorID     string
	Rating       int
	Title        string
	Body         string
	Status       ReviewStatus
	HelpfulCount int
	CreatedAt    time.Time
}

// ReviewPage is one page of reviews, oldest first.
type ReviewPage struct {
	Reviews []Review
	HasNext bool
}

// Rating is the aggregate of a product's visible reviews.
type Rating struct {
	ProductID    string
	Count        int
	Average      float64
	Distribution [5]int // Distribution[i] is how many rated i+1
}

// ReviewInput is what a user writes; nil fields are left as they are when
// updating.
type ReviewInput struct {
	Rating *int
	Title  *string
	Body   *string
}

// Limits on what a review may hold.
const (
	MaxReviewTitle = 200
	MaxReviewBody  = 5000
)

// Check refuses a rating outside 1..5 and over-long text.
func (in ReviewInput) Check() error {
	if in.Rating != nil && (*in.Rating < 1 || *in.Rating > 5) {
		return errs.Problemf([]string{"input", "rating"}, InvalidRating, "rating must be from 1 to 5, got %d", *in.Rating)
	}
	if in.Title != nil && len(*in.Title) > MaxReviewTitle {
		return errs.Problemf([]string{"input", "title"}, Invalid, "title is longer than %d bytes", MaxReviewTitle)
	}
	if in.Body != nil && len(*in.Body) > MaxReviewBody {
		return errs.Problemf([]string{"input", "body"}, Invalid, "body is longer than %d bytes", MaxReviewBody)
	}
	return nil
}
