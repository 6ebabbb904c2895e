package graph

import (
	"sort"

	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

func (r *Resolver) toImage(i product.Image) *model.ProductImage {
	out := &model.ProductImage{ID: i.ID, URL: r.MediaURL + "/" + i.Key, Alt: i.Alt, ContentType: i.ContentType,
		Width: i.Width, Height: i.Height, ByteSize: int(i.ByteSize), Position: i.Position, Thumbnails: []*model.ImageThumbnail{}}
	for _, t := range i.Thumbnails {
		out.Thumbnails = append(out.Thumbnails, &model.ImageThumbnail{Size: t.Size, URL: r.MediaURL + "/" + t.Key,
			Width: t.Width, Height: t.Height, ContentType: t.ContentType})
	}
	return out
}

// toUpload is an upload and its presigned PUT, headers in name order.
func toUpload(u product.ImageUpload, signed media.Presigned) *model.ProductImageUpload {
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
	return out
}
