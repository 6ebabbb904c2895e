package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// UploadTTL is how long an upload URL works.
const UploadTTL = 15 * time.Minute

func (r *Resolver) toImage(i product.Image) *model.ProductImage {
	out := &model.ProductImage{ID: i.ID, URL: r.MediaURL + "/" + i.Key, Alt: i.Alt, ContentType: i.ContentType,
		Width: i.Width, Height: i.Height, ByteSize: int(i.ByteSize), Position: i.Position, Thumbnails: []*model.ImageThumbnail{}}
	for _, t := range i.Thumbnails {
		out.Thumbnails = append(out.Thumbnails, &model.ImageThumbnail{Size: t.Size, URL: r.MediaURL + "/" + t.Key,
			Width: t.Width, Height: t.Height, ContentType: t.ContentType})
	}
	return out
}

// createUpload checks what the client says it will upload, records the
// upload and presigns its PUT. The bytes are judged again at confirmation:
// what is declared here only decides what the URL accepts.
func (r *Resolver) createUpload(ctx context.Context, productID, filename, contentType string, size int) (*model.ProductImageUpload, error) {
	ext, ok := media.ImageTypes[contentType]
	switch {
	case !ok:
		return nil, errs.Problemf([]string{"contentType"}, product.InvalidImage, "%q is not image/jpeg, image/png, image/gif or image/webp", contentType)
	case size <= 0:
		return nil, errs.Problemf([]string{"size"}, product.Invalid, "size must be the file's size in bytes")
	case size > media.MaxImageBytes:
		return nil, errs.Problemf([]string{"size"}, product.ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	case strings.TrimSpace(filename) == "" || len(filename) > 255:
		return nil, errs.Problemf([]string{"filename"}, product.Invalid, "filename must be 1 to 255 characters")
	}
	ps, err := r.Store.ProductsByIDs(ctx, true, []string{productID})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errs.Problemf([]string{"productId"}, product.NotFound, "no product %s", productID)
	}
	u := product.ImageUpload{ID: ids.New("upl"), ProductID: productID, Filename: filename, ContentType: contentType, Size: int64(size)}
	u.Key = "uploads/" + u.ID + ext
	signed, err := r.Media.PresignPut(ctx, u.Key, contentType, u.Size, UploadTTL)
	if err != nil {
		return nil, err
	}
	u.ExpiresAt = signed.ExpiresAt
	if err := r.Store.CreateImageUpload(ctx, u); err != nil {
		return nil, err
	}
	out := &model.ProductImageUpload{UploadID: u.ID, UploadURL: signed.URL, ExpiresAt: u.ExpiresAt, Headers: []*model.UploadHeader{}}
	names := make([]string, 0, len(signed.Headers))
	for name := range signed.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range signed.Headers[name] {
			out.Headers = append(out.Headers, &model.UploadHeader{Name: name, Value: v})
		}
	}
	return out, nil
}

// confirmUpload reads the uploaded object, judges it by its content, makes
// the thumbnails and stores everything under images/<product>/; the
// upload's object is deleted whatever the outcome, except when it is not
// there yet.
func (r *Resolver) confirmUpload(ctx context.Context, uploadID, alt string) (product.Image, error) {
	if len(alt) > product.MaxAltLength {
		return product.Image{}, errs.Problemf([]string{"alt"}, product.Invalid, "alt may be at most %d characters", product.MaxAltLength)
	}
	u, err := r.Store.ImageUpload(ctx, uploadID)
	if err != nil {
		return product.Image{}, err
	}
	body, info, err := r.Media.Get(ctx, u.Key)
	if errors.Is(err, media.ErrNotFound) {
		return product.Image{}, errs.Problemf([]string{"uploadId"}, product.UploadIncomplete, "nothing was uploaded for %s yet", uploadID)
	}
	if err != nil {
		return product.Image{}, err
	}
	var data []byte
	if info.Size <= media.MaxImageBytes {
		data, err = io.ReadAll(io.LimitReader(body, media.MaxImageBytes+1))
	}
	body.Close()
	if err != nil {
		return product.Image{}, fmt.Errorf("read upload %s: %w", uploadID, err)
	}
	discard := func() {
		r.deleteObjects(ctx, u.Key)
		if err := r.Store.DeleteImageUpload(ctx, uploadID); err != nil {
			r.Log.Error("delete refused upload", "upload", uploadID, "err", err)
		}
	}
	if info.Size > media.MaxImageBytes || len(data) > media.MaxImageBytes {
		discard()
		return product.Image{}, errs.Problemf([]string{"uploadId"}, product.ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	}
	p, err := processImage(data, []string{"uploadId"})
	if err != nil {
		var refused *errs.Problem
		if errors.As(err, &refused) {
			discard()
		}
		return product.Image{}, err
	}
	saved, err := r.saveImage(ctx, u.ProductID, uploadID, data, p, alt)
	if err != nil {
		return product.Image{}, err
	}
	r.deleteObjects(ctx, u.Key)
	return saved, nil
}

// uploadMultipart is confirmUpload for an image that came in the request
// (the GraphQL multipart spec): the same size cap and content checks, with
// the file part's declared name and type ignored.
func (r *Resolver) uploadMultipart(ctx context.Context, productID string, file graphql.Upload, alt string) (product.Image, error) {
	if len(alt) > product.MaxAltLength {
		return product.Image{}, errs.Problemf([]string{"alt"}, product.Invalid, "alt may be at most %d characters", product.MaxAltLength)
	}
	tooLarge := errs.Problemf([]string{"file"}, product.ImageTooLarge, "an image may be at most %d MB", media.MaxImageBytes>>20)
	if file.Size > media.MaxImageBytes {
		return product.Image{}, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(file.File, media.MaxImageBytes+1))
	if err != nil {
		return product.Image{}, fmt.Errorf("read multipart file: %w", err)
	}
	if len(data) > media.MaxImageBytes {
		return product.Image{}, tooLarge
	}
	ps, err := r.Store.ProductsByIDs(ctx, true, []string{productID})
	if err != nil {
		return product.Image{}, err
	}
	if len(ps) == 0 {
		return product.Image{}, errs.Problemf([]string{"productId"}, product.NotFound, "no product %s", productID)
	}
	p, err := processImage(data, []string{"file"})
	if err != nil {
		return product.Image{}, err
	}
	return r.saveImage(ctx, productID, "", data, p, alt)
}

// processImage judges bytes by their content: they must decode as JPEG,
// PNG, GIF or WebP within the pixel limit; then the thumbnails are made.
// field names the input for the problems.
func processImage(data []byte, field []string) (media.Processed, error) {
	p, err := media.Process(data)
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return p, errs.Problemf(field, product.ImageTooLarge, "%v", err)
	case errors.Is(err, media.ErrInvalidImage):
		return p, errs.Problemf(field, product.InvalidImage, "%v", err)
	case err != nil:
		return p, fmt.Errorf("process image: %w", err)
	}
	return p, nil
}

// saveImage stores the original and its thumbnails under
// images/<product>/ and records the image, taking upload uploadID ("" for
// a multipart one); stored files are removed again if recording fails.
func (r *Resolver) saveImage(ctx context.Context, productID, uploadID string, data []byte, p media.Processed, alt string) (product.Image, error) {
	img := product.Image{ID: ids.New("img"), ProductID: productID, ContentType: p.ContentType, Width: p.Width, Height: p.Height,
		ByteSize: int64(len(data)), Alt: alt}
	dir := "images/" + strings.ToLower(productID) + "/"
	img.Key = dir + img.ID + media.ImageTypes[p.ContentType]
	if err := r.Media.Put(ctx, img.Key, p.ContentType, bytes.NewReader(data), int64(len(data))); err != nil {
		return product.Image{}, err
	}
	for _, t := range p.Thumbnails {
		th := product.Thumbnail{Size: t.Size, Width: t.Width, Height: t.Height, ContentType: t.ContentType,
			Key: fmt.Sprintf("%s%s_%d%s", dir, img.ID, t.Size, media.ImageTypes[t.ContentType])}
		img.Thumbnails = append(img.Thumbnails, th)
		if err := r.Media.Put(ctx, th.Key, t.ContentType, bytes.NewReader(t.Data), int64(len(t.Data))); err != nil {
			r.deleteObjects(ctx, img.Keys()...)
			return product.Image{}, err
		}
	}
	saved, err := r.Store.AddImage(ctx, uploadID, img)
	if err != nil {
		r.deleteObjects(ctx, img.Keys()...)
		return product.Image{}, err
	}
	return saved, nil
}

// deleteObjects removes stored files; a failure leaves an orphan file,
// which is logged, not the caller's problem.
func (r *Resolver) deleteObjects(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if err := r.Media.Delete(ctx, k); err != nil {
			r.Log.Error("delete media object", "key", k, "err", err)
		}
	}
}
