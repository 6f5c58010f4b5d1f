package location

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3 is a prefix of a bucket in an S3-compatible store, through minio-go.
type s3 struct {
	client   *minio.Client
	partSize uint64
	bucket   string
	prefix   string // "" or ending in "/"
	endpoint string
}

// defaultPartMiB is what a streamed upload buffers per part: 4 parts in
// flight cost 64 MiB, and 10,000 parts (S3's limit) allow a 160 GiB dump.
const (
	defaultPartMiB = 16
	minPartMiB     = 5
	partsAtOnce    = 4
)

func newS3(raw string, o S3Options) (*s3, error) {
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(raw, "s3://"), "/")
	if bucket == "" {
		return nil, fmt.Errorf("backup location %q names no bucket: use s3://BUCKET/PREFIX", raw)
	}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		prefix += "/"
	}
	if o.Endpoint == "" {
		o.Endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if o.Region == "" {
		o.Region = os.Getenv("AWS_REGION")
	}
	if o.Endpoint == "" {
		return nil, errors.New("no object store endpoint: pass --s3-endpoint URL or set AWS_ENDPOINT_URL")
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("object store endpoint %q is not a URL: use http://HOST:PORT or https://HOST", o.Endpoint)
	}
	if o.PartSizeMiB == 0 {
		o.PartSizeMiB = defaultPartMiB
	}
	if o.PartSizeMiB < minPartMiB {
		return nil, fmt.Errorf("--s3-part-size %d MiB: S3 needs parts of %d MiB or more", o.PartSizeMiB, minPartMiB)
	}
	creds, err := awsCredentials()
	if err != nil {
		return nil, err
	}
	transport, err := s3Transport(o.CAFile)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds: creds, Secure: u.Scheme == "https", Region: o.Region, BucketLookup: lookup,
		Transport: transport, MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", o.Endpoint, err)
	}
	return &s3{client: client, partSize: uint64(o.PartSizeMiB) << 20, bucket: bucket, prefix: prefix, endpoint: o.Endpoint}, nil
}

// awsCredentials reads the standard AWS environment, then the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).
func awsCredentials() (*credentials.Credentials, error) {
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
	})
	v, err := creds.Get()
	if err != nil || v.AccessKeyID == "" {
		return nil, errors.New("no object store credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials")
	}
	return creds, nil
}

func s3Transport(caFile string) (http.RoundTripper, error) {
	t, err := minio.DefaultTransport(true)
	if err != nil || caFile == "" {
		return t, err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading --s3-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--s3-ca-file %s holds no PEM certificate", caFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

func (s *s3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *s3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	// An unknown length makes minio-go hold partsAtOnce parts in memory,
	// fresh for every call: the archiver's many small chunks are known.
	size := int64(-1)
	if sized, ok := r.(interface{ Len() int }); ok {
		size = int64(sized.Len())
	}
	info, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, r, size, minio.PutObjectOptions{
		PartSize: s.partSize, NumThreads: partsAtOnce, ConcurrentStreamParts: true,
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return info.Size, s.explain(ctx, "uploading "+key, err)
	}
	return info.Size, nil
}

func (s *s3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat() // GetObject is lazy: this sends the request
	}
	if err != nil {
		return nil, s.explain(ctx, "reading "+key, err)
	}
	return obj, nil
}

func (s *s3) List(ctx context.Context) ([]Object, error) {
	var out []Object
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s.explain(ctx, "listing", obj.Err)
		}
		out = append(out, Object{Key: strings.TrimPrefix(obj.Key, s.prefix), Size: obj.Size, Modified: obj.LastModified})
	}
	return out, nil
}

func (s *s3) Delete(ctx context.Context, keys []string) error {
	for _, k := range keys {
		err := s.client.RemoveObject(ctx, s.bucket, s.prefix+k, minio.RemoveObjectOptions{})
		if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
			return s.explain(ctx, "deleting "+k, err)
		}
	}
	return nil
}

// Sweep aborts multipart uploads begun before the time: what an upload
// that was killed, or whose store died, left on the store.
func (s *s3) Sweep(ctx context.Context, before time.Time) ([]string, error) {
	var stale []string
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix, true) {
		if up.Err != nil {
			return nil, s.explain(ctx, "listing unfinished uploads", up.Err)
		}
		if up.Initiated.Before(before) {
			stale = append(stale, up.Key)
		}
	}
	var removed []string
	for _, key := range stale {
		if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, key); err != nil {
			return removed, s.explain(ctx, "removing the unfinished upload of "+path.Base(key), err)
		}
		removed = append(removed, strings.TrimPrefix(key, s.prefix)+" (unfinished upload)")
	}
	return removed, nil
}
