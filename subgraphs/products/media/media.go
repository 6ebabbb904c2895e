// Package media stores the products subgraph's images: a Storage interface
// with a local-directory backend (the default) and an S3 backend, the HTTP
// endpoints that serve stored images and take presigned uploads, and the
// image checks and thumbnails done once, when an upload is confirmed.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// ErrNotFound is what Get and Delete say of a key with no object.
var ErrNotFound = errors.New("media: no such object")

// Info describes a stored object.
type Info struct {
	ContentType  string
	Size         int64
	ETag         string
	LastModified time.Time
}

// Presigned is a URL a client PUTs an object to directly, with the
// headers it must send exactly as given.
type Presigned struct {
	URL       string
	Headers   http.Header
	ExpiresAt time.Time
}

// Storage keeps objects by key. Keys are slash-separated paths of
// [a-z0-9_.-] segments (see ValidKey).
type Storage interface {
	// Put stores r's size bytes (size < 0: unknown) under key.
	Put(ctx context.Context, key, contentType string, r io.Reader, size int64) error
	// Get opens the object; the caller closes it. ErrNotFound when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Delete removes the object; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// PresignPut lets whoever holds the URL PUT one object of contentType
	// and at most maxSize bytes under key until expiry has passed.
	PresignPut(ctx context.Context, key, contentType string, maxSize int64, expiry time.Duration) (Presigned, error)
}

// ValidKey says whether key is a key this package makes: non-empty
// segments of lower-case letters, digits, '_', '-' and '.', not "." or "..".
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return false
			}
		}
	}
	return true
}

// DefaultDir is where the local backend keeps files unless
// PRODUCTS_MEDIA_DIR says otherwise.
const DefaultDir = ".data/media"

// Config chooses and configures a backend.
type Config struct {
	Backend string
	// BaseURL is the public URL of this subgraph's /media, without a
	// trailing slash: image URLs are BaseURL/<key>.
	BaseURL string
	Dir     string
	Secret  []byte
	S3      S3Config
}

// ConfigFrom reads the settings; setting is subgraph.Deps.Setting.
// listenAddr is the subgraph's listen address, the default host of BaseURL.
// The names are literals here so deploy/check's scan of env readers finds them:
//
//	PRODUCTS_MEDIA_BACKEND  "local" (default) or "s3"
//	PRODUCTS_MEDIA_DIR      the local backend's directory (default .data/media)
//	PRODUCTS_MEDIA_SECRET   HMAC key of the local backend's upload URLs
//	PRODUCTS_MEDIA_URL      public base URL of this subgraph's /media
//	PRODUCTS_S3_ENDPOINT, PRODUCTS_S3_BUCKET, PRODUCTS_S3_REGION (default
//	us-east-1), PRODUCTS_S3_ACCESS_KEY, PRODUCTS_S3_SECRET_KEY: the S3 backend's
func ConfigFrom(setting func(key, def string) string, listenAddr string) Config {
	return Config{
		Backend: setting("PRODUCTS_MEDIA_BACKEND", "local"),
		BaseURL: strings.TrimRight(setting("PRODUCTS_MEDIA_URL", "http://"+listenAddr+"/media"), "/"),
		Dir:     setting("PRODUCTS_MEDIA_DIR", DefaultDir),
		Secret:  []byte(setting("PRODUCTS_MEDIA_SECRET", "")),
		S3: S3Config{
			Endpoint:  setting("PRODUCTS_S3_ENDPOINT", ""),
			Bucket:    setting("PRODUCTS_S3_BUCKET", ""),
			Region:    setting("PRODUCTS_S3_REGION", "us-east-1"),
			AccessKey: setting("PRODUCTS_S3_ACCESS_KEY", ""),
			SecretKey: setting("PRODUCTS_S3_SECRET_KEY", ""),
		},
	}
}

// Open returns the configured backend. A local backend without a secret
// gets a random one: its upload URLs then work only on this process.
func Open(cfg Config, log *slog.Logger) (Storage, error) {
	switch cfg.Backend {
	case "", "local":
		if len(cfg.Secret) == 0 && log != nil {
			log.Warn("PRODUCTS_MEDIA_SECRET is unset: upload URLs are signed with a per-process key")
		}
		return NewLocal(cfg.Dir, cfg.BaseURL, cfg.Secret), nil
	case "s3":
		return NewS3(cfg.S3)
	default:
		return nil, fmt.Errorf("PRODUCTS_MEDIA_BACKEND %q: want local or s3", cfg.Backend)
	}
}

// broken is the Storage of a subgraph whose media settings are wrong: the
// catalog keeps working, every media operation says what is wrong.
type broken struct{ err error }

// Broken returns a Storage that fails every call with err.
func Broken(err error) Storage { return broken{err} }

func (b broken) Put(context.Context, string, string, io.Reader, int64) error { return b.err }
func (b broken) Get(context.Context, string) (io.ReadCloser, Info, error) {
	return nil, Info{}, b.err
}
func (b broken) Delete(context.Context, string) error { return b.err }
func (b broken) PresignPut(context.Context, string, string, int64, time.Duration) (Presigned, error) {
	return Presigned{}, b.err
}
