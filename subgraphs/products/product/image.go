package product

import "time"

// Image is a product image as stored: its object key, what its content
// turned out to be, and the thumbnails made when it was confirmed.
type Image struct {
	ID          string
	ProductID   string
	Key         string
	ContentType string
	Width       int
	Height      int
	ByteSize    int64
	Alt         string
	Position    int
	Thumbnails  []Thumbnail
	CreatedAt   time.Time
}

// Keys are the image's stored objects: the original and its thumbnails.
func (i Image) Keys() []string {
	keys := []string{i.Key}
	for _, t := range i.Thumbnails {
		keys = append(keys, t.Key)
	}
	return keys
}

// Thumbnail is a scaled copy of an image.
type Thumbnail struct {
	Size        int    `json:"size"`
	Key         string `json:"key"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"contentType"`
}

// ImageUpload is an upload handed out by createProductImageUpload and not
// confirmed yet.
type ImageUpload struct {
	ID          string
	ProductID   string
	Key         string
	Filename    string
	ContentType string
	Size        int64
	ExpiresAt   time.Time
}

// ImageUpdate is what updateProductImage changes; nil leaves a field.
type ImageUpdate struct {
	Alt      *string
	Position *int
}

// MaxAltLength bounds an image's alt text.
const MaxAltLength = 500

// Image error codes.
const (
	InvalidImage     = "INVALID_IMAGE"
	ImageTooLarge    = "IMAGE_TOO_LARGE"
	UploadIncomplete = "UPLOAD_INCOMPLETE"
)
