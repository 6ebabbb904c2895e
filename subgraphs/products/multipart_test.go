package products_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/myshop/supergraph/subgraphs/products/media"
)

const multipartUpload = `mutation($p: ID!, $file: Upload!) { uploadProductImage(productId: $p, file: $file, alt: "sent inline") {
  image { id url alt contentType width height byteSize position thumbnails { size width height } } errors { code field } } }`

// postMultipart sends one file by the GraphQL multipart request spec:
// operations, map, then the file part.
func postMultipart(t *testing.T, h http.Handler, productID, filename, contentType string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{"query": multipartUpload, "variables": map[string]any{"p": productID, "file": nil}})
	must(0, w.WriteField("operations", string(ops)))
	must(0, w.WriteField("map", `{"0": ["variables.file"]}`))
	hdr := make(map[string][]string)
	hdr["Content-Disposition"] = []string{`form-data; name="0"; filename="` + filename + `"`}
	hdr["Content-Type"] = []string{contentType}
	part := must(w.CreatePart(hdr))
	must(part.Write(data))
	must(0, w.Close())
	req := httptest.NewRequest(http.MethodPost, "/graphql", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

type multipartResult struct {
	Data struct {
		UploadProductImage *struct {
			Image *struct {
				ID, URL, Alt, ContentType string
				Width, Height, ByteSize   int
				Position                  int
				Thumbnails                []struct{ Size, Width, Height int }
			}
			Errors []struct {
				Code  string
				Field []string
			}
		}
	}
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func decodeMultipart(t *testing.T, rec *httptest.ResponseRecorder) multipartResult {
	t.Helper()
	var r multipartResult
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body, err)
	}
	return r
}

func payloadErr(t *testing.T, r multipartResult) string {
	t.Helper()
	if len(r.Errors) > 0 || r.Data.UploadProductImage == nil {
		t.Fatalf("top-level errors %+v", r.Errors)
	}
	if es := r.Data.UploadProductImage.Errors; len(es) == 1 && len(es[0].Field) == 1 {
		return es[0].Code + " " + es[0].Field[0]
	} else if len(es) > 0 {
		return es[0].Code
	}
	return ""
}

func TestMultipartImageUpload(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	data := pngOf(t, 900, 300, false)
	// The declared name and type are not believed: the bytes are a PNG.
	r := decodeMultipart(t, postMultipart(t, m.staff, "prd_00020", "photo.gif", "image/gif", data))
	if e := payloadErr(t, r); e != "" {
		t.Fatalf("upload refused: %s", e)
	}
	img := r.Data.UploadProductImage.Image
	if img.ContentType != "image/png" || img.Width != 900 || img.Height != 300 || img.ByteSize != len(data) || img.Alt != "sent inline" ||
		img.Position != 0 || len(img.Thumbnails) != 2 || img.Thumbnails[0].Size != 200 || img.Thumbnails[0].Height != 67 {
		t.Fatalf("image %+v", img)
	}
	if got := m.get(img.URL).Body.Bytes(); !bytes.Equal(got, data) {
		t.Fatal("the original is not served as uploaded")
	}
	// Thumbnails exist as files once, made at upload: not per request.
	thumbs, _ := filepath.Glob(filepath.Join(m.dir, "images", "prd_00020", img.ID+"_*"))
	if len(thumbs) != 2 {
		t.Fatalf("thumbnail files %v", thumbs)
	}
	product := m.do(`{ product(id: "prd_00020") { images { id } } }`, nil)
	if images := product["images"].([]any); len(images) != 1 || images[0].(map[string]any)["id"] != img.ID {
		t.Fatalf("product images %v", images)
	}

	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0x90}, 4000)...)
	tooBig := make([]byte, media.MaxImageBytes+1)
	copy(tooBig, data)
	for _, tt := range []struct {
		name, product string
		h             http.Handler
		data          []byte
		want          string
	}{
		{"executable renamed .jpg", "prd_00021", m.staff, exe, "INVALID_IMAGE file"},
		{"over 10 MB", "prd_00021", m.staff, tooBig, "IMAGE_TOO_LARGE file"},
		{"unknown product", "prd_nope", m.staff, data, "NOT_FOUND productId"},
	} {
		r := decodeMultipart(t, postMultipart(t, tt.h, tt.product, "holiday.jpg", "image/jpeg", tt.data))
		if got := payloadErr(t, r); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	r = decodeMultipart(t, postMultipart(t, as(m.base, "usr_0001", ""), "prd_00021", "a.png", "image/png", data))
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("customer: %+v, want FORBIDDEN", r.Errors)
	}
	// A body far over the limit is refused before it is read into memory.
	rec := postMultipart(t, m.staff, "prd_00021", "huge.png", "image/png", make([]byte, 2*media.MaxImageBytes))
	if r := decodeMultipart(t, rec); len(r.Errors) == 0 || (r.Data.UploadProductImage != nil && r.Data.UploadProductImage.Image != nil) {
		t.Errorf("20 MB body: status %d, %+v", rec.Code, r)
	}
	// Nothing refused left a file behind.
	left, _ := filepath.Glob(filepath.Join(m.dir, "images", "prd_00021", "*"))
	if entries, _ := os.ReadDir(filepath.Join(m.dir, "uploads")); len(left) != 0 || len(entries) != 0 {
		t.Fatalf("files left: %v, uploads %d", left, len(entries))
	}
}
