package media

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	_ "image/gif" // registers the GIF decoder
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder
)

// MaxImageBytes is the largest image accepted: 10 MB.
const MaxImageBytes = 10 << 20

// maxPixels refuses decompression bombs: a small file that decodes to a
// huge bitmap.
const maxPixels = 50_000_000

// ThumbnailSizes are the long sides of the thumbnails made for every image.
var ThumbnailSizes = []int{200, 600}

// ImageTypes are the content types accepted, with the extension of their keys.
var ImageTypes = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/gif":  ".gif",
	"image/webp": ".webp",
}

// ContentTypeOf is the content type of a key's extension.
func ContentTypeOf(ext string) string {
	for ct, e := range ImageTypes {
		if e == ext {
			return ct
		}
	}
	if ext == ".jpeg" {
		return "image/jpeg"
	}
	return ""
}

// ErrInvalidImage is why Process refused the bytes: not an image of a
// supported type (whatever the file was called), or one that does not decode.
var ErrInvalidImage = errors.New("not a JPEG, PNG, GIF or WebP image")

// ErrTooLarge says an image is over MaxImageBytes or maxPixels.
var ErrTooLarge = errors.New("image too large")

// Processed is an accepted image: its sniffed type, size and thumbnails.
type Processed struct {
	ContentType   string
	Width, Height int
	Thumbnails    []Thumbnail
}

// Thumbnail is one encoded thumbnail.
type Thumbnail struct {
	Size          int // the long side asked for
	Width, Height int
	ContentType   string
	Data          []byte
}

// Process sniffs data (the first 512 bytes, as http.DetectContentType
// does: never the name or the declared type), decodes it and makes the
// thumbnails: once, when an upload is confirmed.
func Process(data []byte) (Processed, error) {
	if len(data) > MaxImageBytes {
		return Processed{}, ErrTooLarge
	}
	ct := http.DetectContentType(data)
	if _, ok := ImageTypes[ct]; !ok {
		return Processed{}, fmt.Errorf("%w: the content is %s", ErrInvalidImage, ct)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != ct {
		return Processed{}, fmt.Errorf("%w: %v", ErrInvalidImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Processed{}, fmt.Errorf("%w: empty image", ErrInvalidImage)
	}
	if cfg.Width*cfg.Height > maxPixels {
		return Processed{}, fmt.Errorf("%w: %dx%d pixels", ErrTooLarge, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Processed{}, fmt.Errorf("%w: %v", ErrInvalidImage, err)
	}
	p := Processed{ContentType: ct, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	for _, size := range ThumbnailSizes {
		t, err := MakeThumbnail(img, size)
		if err != nil {
			return Processed{}, err
		}
		p.Thumbnails = append(p.Thumbnails, t)
	}
	return p, nil
}

// MakeThumbnail scales img (never up) so its long side is size, with
// Catmull-Rom: JPEG when the image is opaque, PNG when it has transparency.
func MakeThumbnail(img image.Image, size int) (Thumbnail, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > size {
		scale := float64(size) / float64(long)
		w = max(1, int(math.Round(float64(w)*scale)))
		h = max(1, int(math.Round(float64(h)*scale)))
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	t := Thumbnail{Size: size, Width: w, Height: h}
	var buf bytes.Buffer
	if opaque(img) {
		t.ContentType = "image/jpeg"
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
			return Thumbnail{}, fmt.Errorf("thumbnail: %w", err)
		}
	} else {
		t.ContentType = "image/png"
		if err := png.Encode(&buf, dst); err != nil {
			return Thumbnail{}, fmt.Errorf("thumbnail: %w", err)
		}
	}
	t.Data = buf.Bytes()
	return t, nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// The demo images: the seed writes their rows, and GET /media/demo/…
// renders a missing one on first request and stores it, so seeding needs
// no storage and no download.
const (
	DemoWidth  = 800
	DemoHeight = 600
)

// DemoKey is the key of a product's demo image; size 0 is the original.
func DemoKey(productID string, size int) string {
	if size == 0 {
		return "demo/" + productID + ".png"
	}
	return fmt.Sprintf("demo/%s_%d.jpg", productID, size)
}

// DemoThumbnailDims are a demo thumbnail's width and height.
func DemoThumbnailDims(size int) (int, int) {
	if size >= DemoWidth {
		return DemoWidth, DemoHeight
	}
	return size, int(math.Round(float64(size) * DemoHeight / DemoWidth))
}

// RenderDemo draws a product's demo picture: a gradient in colours taken
// from the product id, with a few circles. The same id gives the same image.
func RenderDemo(productID string) *image.NRGBA {
	h := fnv.New64a()
	h.Write([]byte(productID))
	seed := h.Sum64()
	hue := float64(seed%360) / 360
	c1, c2 := hsl(hue, 0.55, 0.55), hsl(math.Mod(hue+0.15, 1), 0.6, 0.3)
	img := image.NewNRGBA(image.Rect(0, 0, DemoWidth, DemoHeight))
	for y := range DemoHeight {
		t := float64(y) / DemoHeight
		row := color.NRGBA{lerp(c1.R, c2.R, t), lerp(c1.G, c2.G, t), lerp(c1.B, c2.B, t), 255}
		for x := range DemoWidth {
			img.SetNRGBA(x, y, row)
		}
	}
	light := hsl(math.Mod(hue+0.5, 1), 0.7, 0.8)
	for i := range 3 {
		cx := 150 + int((seed>>(8*i))%500)
		cy := 120 + int((seed>>(8*i+4))%360)
		r := 40 + int((seed>>(8*i+2))%80)
		for y := cy - r; y <= cy+r; y++ {
			for x := cx - r; x <= cx+r; x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r && image.Pt(x, y).In(img.Rect) {
					img.SetNRGBA(x, y, light)
				}
			}
		}
	}
	return img
}

var demoKey = regexp.MustCompile(`^demo/(prd_[0-9a-z]+?)(?:_([0-9]+))?\.(?:png|jpg)$`)

// DemoObject is the bytes and content type of a demo key, or false when
// key is not one.
func DemoObject(key string) ([]byte, string, bool) {
	if v, ok := demoCache.Load(key); ok {
		o := v.(demoObject)
		return o.data, o.contentType, true
	}
	data, ct, ok := renderDemoObject(key)
	if ok {
		demoCache.Store(key, demoObject{data, ct})
	}
	return data, ct, ok
}

// demoCache keeps rendered demo objects: the seed asks for their sizes,
// and tests seed many databases in one process.
var demoCache sync.Map

type demoObject struct {
	data        []byte
	contentType string
}

func renderDemoObject(key string) ([]byte, string, bool) {
	m := demoKey.FindStringSubmatch(key)
	if m == nil {
		return nil, "", false
	}
	size := 0
	if m[2] != "" {
		size, _ = strconv.Atoi(m[2])
	}
	if DemoKey(m[1], size) != key || (size != 0 && !slices.Contains(ThumbnailSizes, size)) {
		return nil, "", false
	}
	img := RenderDemo(m[1])
	if size == 0 {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, "", false
		}
		return buf.Bytes(), "image/png", true
	}
	t, err := MakeThumbnail(img, size)
	if err != nil {
		return nil, "", false
	}
	return t.Data, t.ContentType, true
}

func lerp(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t) }

func hsl(h, s, l float64) color.NRGBA {
	f := func(n float64) uint8 {
		k := math.Mod(n+h*12, 12)
		a := s * min(l, 1-l)
		return uint8(255 * (l - a*max(-1, min(k-3, 9-k, 1))))
	}
	return color.NRGBA{f(0), f(8), f(4), 255}
}
