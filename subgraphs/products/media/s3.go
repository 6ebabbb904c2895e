package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config is where an S3-compatible store is (AWS, MinIO, Ceph, R2…).
type S3Config struct {
	Endpoint  string // e.g. http://127.0.0.1:9000; empty: AWS
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	// HTTPClient, when set, makes the requests (tests).
	HTTPClient *http.Client
}

// S3 keeps objects in one bucket, addressed path-style
// (endpoint/bucket/key), which every S3-compatible server understands.
type S3 struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
}

// NewS3 returns the backend; it makes no request.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("PRODUCTS_S3_BUCKET is required with PRODUCTS_MEDIA_BACKEND=s3")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// Plain checksums only when an operation needs them: S3-compatible
		// servers do not all understand the SDK's default trailing ones.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	c := s3.New(opts)
	return &S3{client: c, presign: s3.NewPresignClient(c), bucket: cfg.Bucket}, nil
}

// Put uploads the object in one request. The body is buffered when it
// cannot seek (images are at most a few MB): the signature needs its hash.
func (s *S3) Put(ctx context.Context, key, contentType string, r io.Reader, size int64) error {
	if !ValidKey(key) {
		return fmt.Errorf("media: invalid key %q", key)
	}
	body, ok := r.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("media: put %s: %w", key, err)
		}
		if size >= 0 && int64(len(b)) != size {
			return fmt.Errorf("media: put %s: got %d bytes, want %d", key, len(b), size)
		}
		body, size = bytes.NewReader(b), int64(len(b))
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &key, Body: body, ContentType: &contentType}
	if size >= 0 {
		in.ContentLength = &size
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	return nil
}

// Get streams the object.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if !ValidKey(key) {
		return nil, Info{}, fmt.Errorf("media: invalid key %q", key)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if notFound(err) {
			return nil, Info{}, ErrNotFound
		}
		return nil, Info{}, fmt.Errorf("media: get %s: %w", key, err)
	}
	info := Info{ContentType: aws.ToString(out.ContentType), Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		info.LastModified = out.LastModified.UTC()
	}
	return out.Body, info, nil
}

// Delete removes the object (S3 says nothing of absent keys).
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("media: invalid key %q", key)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil && !notFound(err) {
		return fmt.Errorf("media: delete %s: %w", key, err)
	}
	return nil
}

// PresignPut signs a PutObject with the content type and length in its
// signed headers: S3 refuses another type or size. A presigned PUT cannot
// say "at most", so the length signed is maxSize exactly (the client
// declares its file's size).
func (s *S3) PresignPut(ctx context.Context, key, contentType string, maxSize int64, expiry time.Duration) (Presigned, error) {
	if !ValidKey(key) {
		return Presigned{}, fmt.Errorf("media: invalid key %q", key)
	}
	start := time.Now()
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, ContentType: &contentType, ContentLength: &maxSize,
	}, s3.WithPresignExpires(expiry))
	if err != nil {
		return Presigned{}, fmt.Errorf("media: presign %s: %w", key, err)
	}
	h := http.Header{}
	for k, vs := range req.SignedHeader {
		if strings.EqualFold(k, "Host") {
			continue // the client's HTTP library sets it from the URL
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return Presigned{URL: req.URL, Headers: h, ExpiresAt: start.Add(expiry)}, nil
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}
