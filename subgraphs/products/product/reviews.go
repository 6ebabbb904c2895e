package product

import (
	"context"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Viewer is who is asking, for the rows only some may see: staff see
// unpublished products and every review, a user their own reviews too.
type Viewer struct {
	Staff  bool
	UserID string // "" when anonymous
}

// ViewerOf is who the request's claims say is asking.
func ViewerOf(ctx context.Context) Viewer {
	c := auth.FromContext(ctx)
	if c == nil {
		return Viewer{}
	}
	return Viewer{Staff: c.HasScope(ManageProducts), UserID: c.UserID()}
}

// ReviewStore is what the reviews use cases read and write.
type ReviewStore interface {
	ReviewsByIDs(ctx context.Context, v Viewer, ids []string) ([]Review, error)
	CreateReview(ctx context.Context, authorID, productID string, rating int, title, body string) (Review, error)
	UpdateReview(ctx context.Context, authorID, id string, in ReviewInput) (Review, error)
	SetReviewStatus(ctx context.Context, id string, status ReviewStatus) (Review, error)
	MarkHelpful(ctx context.Context, v Viewer, id string) (Review, error)
}

// Reviews is the review use cases: customers write and rate reviews, staff
// moderate them.
type Reviews struct{ store ReviewStore }

// NewReviews returns the review service.
func NewReviews(store ReviewStore) *Reviews { return &Reviews{store: store} }

// reviewer is the signed-in user's id: a service token, which has none,
// may not write reviews.
func reviewer(ctx context.Context) (string, error) {
	c := auth.FromContext(ctx)
	if c == nil || c.UserID() == "" {
		return "", errs.New(errs.Unauthenticated, "sign in to review products")
	}
	return c.UserID(), nil
}

// Create writes the caller's review of productID: rating and body
// required, within the limits of Check.
func (r *Reviews) Create(ctx context.Context, productID string, rating int, title *string, body string) (Review, error) {
	userID, err := reviewer(ctx)
	if err != nil {
		return Review{}, err
	}
	in := ReviewInput{Rating: &rating, Title: title, Body: &body}
	if err := in.Check(); err != nil {
		return Review{}, err
	}
	t := ""
	if title != nil {
		t = *title
	}
	return r.store.CreateReview(ctx, userID, productID, rating, t, body)
}

// Update changes what in sets of one of the caller's reviews.
func (r *Reviews) Update(ctx context.Context, id string, in ReviewInput) (Review, error) {
	userID, err := reviewer(ctx)
	if err != nil {
		return Review{}, err
	}
	if err := in.Check(); err != nil {
		return Review{}, err
	}
	return r.store.UpdateReview(ctx, userID, id, in)
}

// SetStatus publishes or hides a review; staff only.
func (r *Reviews) SetStatus(ctx context.Context, id string, status ReviewStatus) (Review, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Review{}, err
	}
	return r.store.SetReviewStatus(ctx, id, status)
}

// MarkHelpful counts the caller's vote for a review, once per user.
func (r *Reviews) MarkHelpful(ctx context.Context, id string) (Review, error) {
	if _, err := reviewer(ctx); err != nil {
		return Review{}, err
	}
	return r.store.MarkHelpful(ctx, ViewerOf(ctx), id)
}

// ByIDs are the reviews of ids the caller may see, in no order.
func (r *Reviews) ByIDs(ctx context.Context, ids []string) ([]Review, error) {
	return r.store.ReviewsByIDs(ctx, ViewerOf(ctx), ids)
}
