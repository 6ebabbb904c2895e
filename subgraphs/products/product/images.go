package product

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/products/media"
)

// UploadTTL is how long an upload URL works.
const UploadTTL = 15 * time.Minute

// ImageStore is what the image use cases record.
type ImageStore interface {
	ProductsByIDs(ctx context.Context, staff bool, ids []string) ([]Product, error)
	CreateImageUpload(ctx context.Context, u ImageUpload) error
	ImageUpload(ctx context.Context, id string) (ImageUpload, error)
	DeleteImageUpload(ctx context.Context, id string) error
	AddImage(ctx context.Context, uploadID string, img Image) (Image, error)
	UpdateImage(ctx context.Context, id string, u ImageUpdate) (Image, error)
	DeleteImage(ctx context.Context, id string) (Image, error)
}

// Images is the product image use cases, staff only: uploads straight to
// storage or through the API, judged by their content, with thumbnails.
type Images struct {
	store ImageStore
	files media.Storage
	log   *slog.Logger
}

// NewImages returns the image service keeping files in files.
func NewImages(store ImageStore, files media.Storage, log *slog.Logger) *Images {
	return &Images{store: store, files: files, log: log}
}

// Update changes an image's alt text or position.
func (s *Images) Update(ctx context.Context, id string, u ImageUpdate) (Image, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Image{}, err
	}
	if u.Alt != nil && len(*u.Alt) > MaxAltLength {
		return Image{}, errs.Problemf([]string{"alt"}, Invalid, "alt may be at most %d characters", MaxAltLength)
	}
	return s.store.UpdateImage(ctx, id, u)
}

// Delete removes an image and its files.
func (s *Images) Delete(ctx context.Context, id string) (Image, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Image{}, err
	}
	img, err := s.store.DeleteImage(ctx, id)
	if err == nil {
		s.deleteObjects(ctx, img.Keys()...)
	}
	return img, err
}

// CreateUpload checks what the client says it will upload, records the
// upload and presigns its PUT. The bytes are judged again at confirmation:
// what is declared here only decides what the URL accepts.
func (s *Images) CreateUpload(ctx context.Context, productID, filename, contentType string, size int) (ImageUpload, media.Presigned, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return ImageUpload{}, media.Presigned{}, err
	}
	ext, ok := media.ImageTypes[contentType]
	switch {
	case !ok:
		return ImageUpload{}, media.Presigned{}, errs.Problemf([]string{"contentType"}, InvalidImage, "%q is not image/jpeg, image/png, image/gif or image/webp", contentType)
	case size <= 0:
		return ImageUpload{}, media.Presigned{}, errs.Problemf([]string{"size"}, Invalid, "size must be the file's size in bytes")
	case size > media.MaxImageBytes:
		return ImageUpload{}, media.Presigned{}, errs.Problemf([]string{"size"}, ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	case strings.TrimSpace(filename) == "" || len(filename) > 255:
		return ImageUpload{}, media.Presigned{}, errs.Problemf([]string{"filename"}, Invalid, "filename must be 1 to 255 characters")
	}
	ps, err := s.store.ProductsByIDs(ctx, true, []string{productID})
	if err != nil {
		return ImageUpload{}, media.Presigned{}, err
	}
	if len(ps) == 0 {
		return ImageUpload{}, media.Presigned{}, errs.Problemf([]string{"productId"}, NotFound, "no product %s", productID)
	}
	u := ImageUpload{ID: ids.New("upl"), ProductID: productID, Filename: filename, ContentType: contentType, Size: int64(size)}
	u.Key = "uploads/" + u.ID + ext
	signed, err := s.files.PresignPut(ctx, u.Key, contentType, u.Size, UploadTTL)
	if err != nil {
		return ImageUpload{}, media.Presigned{}, err
	}
	u.ExpiresAt = signed.ExpiresAt
	if err := s.store.CreateImageUpload(ctx, u); err != nil {
		return ImageUpload{}, media.Presigned{}, err
	}
	return u, signed, nil
}

// ConfirmUpload reads the uploaded object, judges it by its content, makes
// the thumbnails and stores everything under images/<product>/; the
// upload's object is deleted whatever the outcome, except when it is not
// there yet.
func (s *Images) ConfirmUpload(ctx context.Context, uploadID, alt string) (Image, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Image{}, err
	}
	if len(alt) > MaxAltLength {
		return Image{}, errs.Problemf([]string{"alt"}, Invalid, "alt may be at most %d characters", MaxAltLength)
	}
	u, err := s.store.ImageUpload(ctx, uploadID)
	if err != nil {
		return Image{}, err
	}
	body, info, err := s.files.Get(ctx, u.Key)
	if errors.Is(err, media.ErrNotFound) {
		return Image{}, errs.Problemf([]string{"uploadId"}, UploadIncomplete, "nothing was uploaded for %s yet", uploadID)
	}
	if err != nil {
		return Image{}, err
	}
	var data []byte
	if info.Size <= media.MaxImageBytes {
		data, err = io.ReadAll(io.LimitReader(body, media.MaxImageBytes+1))
	}
	body.Close()
	if err != nil {
		return Image{}, fmt.Errorf("read upload %s: %w", uploadID, err)
	}
	discard := func() {
		s.deleteObjects(ctx, u.Key)
		if err := s.store.DeleteImageUpload(ctx, uploadID); err != nil {
			s.log.Error("delete refused upload", "upload", uploadID, "err", err)
		}
	}
	if info.Size > media.MaxImageBytes || len(data) > media.MaxImageBytes {
		discard()
		return Image{}, errs.Problemf([]string{"uploadId"}, ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	}
	p, err := processImage(data, []string{"uploadId"})
	if err != nil {
		var refused *errs.Problem
		if errors.As(err, &refused) {
			discard()
		}
		return Image{}, err
	}
	saved, err := s.saveImage(ctx, u.ProductID, uploadID, data, p, alt)
	if err != nil {
		return Image{}, err
	}
	s.deleteObjects(ctx, u.Key)
	return saved, nil
}

// Upload is ConfirmUpload for an image that came in the request
// (the GraphQL multipart spec): the same size cap and content checks, with
// the file part's declared name and type ignored.
func (s *Images) Upload(ctx context.Context, productID string, file io.Reader, size int64, alt string) (Image, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Image{}, err
	}
	if len(alt) > MaxAltLength {
		return Image{}, errs.Problemf([]string{"alt"}, Invalid, "alt may be at most %d characters", MaxAltLength)
	}
	tooLarge := errs.Problemf([]string{"file"}, ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	if size > media.MaxImageBytes {
		return Image{}, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(file, media.MaxImageBytes+1))
	if err != nil {
		return Image{}, fmt.Errorf("read multipart file: %w", err)
	}
	if len(data) > media.MaxImageBytes {
		return Image{}, tooLarge
	}
	ps, err := s.store.ProductsByIDs(ctx, true, []string{productID})
	if err != nil {
		return Image{}, err
	}
	if len(ps) == 0 {
		return Image{}, errs.Problemf([]string{"productId"}, NotFound, "no product %s", productID)
	}
	p, err := processImage(data, []string{"file"})
	if err != nil {
		return Image{}, err
	}
	return s.saveImage(ctx, productID, "", data, p, alt)
}

// processImage judges bytes by their content: they must decode as JPEG,
// PNG, GIF or WebP within the pixel limit; then the thumbnails are made.
// field names the input for the problems.
func processImage(data []byte, field []string) (media.Processed, error) {
	p, err := media.Process(data)
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return p, errs.Problemf(field, ImageTooLarge, "%v", err)
	case errors.Is(err, media.ErrInvalidImage):
		return p, errs.Problemf(field, InvalidImage, "%v", err)
	case err != nil:
		return p, fmt.Errorf("process image: %w", err)
	}
	return p, nil
}

// saveImage stores the original and its thumbnails under
// images/<product>/ and records the image, taking upload uploadID ("" for
// a multipart one); stored files are removed again if recording fails.
func (s *Images) saveImage(ctx context.Context, productID, uploadID string, data []byte, p media.Processed, alt string) (Image, error) {
	img := Image{ID: ids.New("img"), ProductID: productID, ContentType: p.ContentType, Width: p.Width, Height: p.Height,
		ByteSize: int64(len(data)), Alt: alt}
	dir := "images/" + strings.ToLower(productID) + "/"
	img.Key = dir + img.ID + media.ImageTypes[p.ContentType]
	if err := s.files.Put(ctx, img.Key, p.ContentType, bytes.NewReader(data), int64(len(data))); err != nil {
		return Image{}, err
	}
	for _, t := range p.Thumbnails {
		th := Thumbnail{Size: t.Size, Width: t.Width, Height: t.Height, ContentType: t.ContentType,
			Key: fmt.Sprintf("%s%s_%d%s", dir, img.ID, t.Size, media.ImageTypes[t.ContentType])}
		img.Thumbnails = append(img.Thumbnails, th)
		if err := s.files.Put(ctx, th.Key, t.ContentType, bytes.NewReader(t.Data), int64(len(t.Data))); err != nil {
			s.deleteObjects(ctx, img.Keys()...)
			return Image{}, err
		}
	}
	saved, err := s.store.AddImage(ctx, uploadID, img)
	if err != nil {
		s.deleteObjects(ctx, img.Keys()...)
		return Image{}, err
	}
	return saved, nil
}

// deleteObjects removes stored files; a failure leaves an orphan file,
// which is logged, not the caller's problem.
func (s *Images) deleteObjects(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if err := s.files.Delete(ctx, k); err != nil {
			s.log.Error("delete media object", "key", k, "err", err)
		}
	}
}
