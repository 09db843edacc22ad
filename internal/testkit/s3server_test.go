package testkit

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

func TestS3ServerObjects(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := StartS3(t)
	t.Logf("StartS3 took %v", time.Since(start))
	ctx := context.Background()
	client := s.Client()

	if want := "s3://wxbase-test/db/data.db?endpoint=" + s.Endpoint + "&region=us-east-1&forcePathStyle=true"; s.URL("db/data.db") != want {
		t.Errorf("URL = %q, want %q", s.URL("db/data.db"), want)
	}

	put(t, client, s.Bucket, "a/b/one.txt", "one", nil)
	if got := get(t, client, s.Bucket, "a/b/one.txt"); got != "one" {
		t.Errorf("get = %q, want one", got)
	}
	// The posix backend keeps the object as a file a test can look at.
	if data, err := os.ReadFile(filepath.Join(s.Root, s.Bucket, "a", "b", "one.txt")); err != nil || string(data) != "one" {
		t.Errorf("the object's file: %q, %v", data, err)
	}
	put(t, client, s.Bucket, "a/two.txt", "two", nil)
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String("a/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if strings.Join(keys, ",") != "a/b/one.txt,a/two.txt" {
		t.Errorf("list = %v", keys)
	}

	// Gone, then back on the same port with the same objects and ETags.
	etag := put(t, client, s.Bucket, "lease", "v1", nil)
	s.Stop()
	once := s.Client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if _, err := once.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Error("a stopped server answered")
	}
	s.Restart()
	if got := get(t, client, s.Bucket, "a/two.txt"); got != "two" {
		t.Errorf("after a restart: get = %q, want two", got)
	}
	put(t, client, s.Bucket, "lease", "v2", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) })
}

// Litestream's lease takes the lock object with If-None-Match: * and
// renews and releases it with If-Match: the server must refuse both when
// the condition does not hold.
func TestS3ServerConditionalWrites(t *testing.T) {
	t.Parallel()
	t.Run("StartS3", func(t *testing.T) {
		t.Parallel()
		testConditionalWrites(t, StartS3(t))
	})
	t.Run("sidecar", func(t *testing.T) {
		// The metadata store StartS3 falls back to without extended attributes.
		t.Parallel()
		dir := t.TempDir()
		testConditionalWrites(t, startS3(t, []string{"--sidecar", dir}))
	})
}

func testConditionalWrites(t *testing.T, s *S3Server) {
	ctx := context.Background()
	client := s.Client()
	bucket, key := s.Bucket, "lock.json"
	ifNoneMatch := func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }
	ifMatch := func(etag string) func(*s3.PutObjectInput) {
		return func(in *s3.PutObjectInput) { in.IfMatch = aws.String(etag) }
	}

	etag := put(t, client, bucket, key, "first", ifNoneMatch) // no such key yet
	if etag == "" {
		t.Fatal("PutObject answered no ETag")
	}
	_, err := putErr(client, bucket, key, "second", ifNoneMatch)
	wantPreconditionFailed(t, "If-None-Match: * on an existing key", err)
	_, err = putErr(client, bucket, key, "second", ifMatch(`"0123456789abcdef0123456789abcdef"`))
	wantPreconditionFailed(t, "If-Match: a wrong ETag", err)
	if got := get(t, client, bucket, key); got != "first" {
		t.Fatalf("a refused write changed the object to %q", got)
	}
	newETag := put(t, client, bucket, key, "second", ifMatch(etag))
	if newETag == etag {
		t.Errorf("the ETag did not change with the content: %s", etag)
	}
	_, err = putErr(client, bucket, key, "third", ifMatch(etag)) // the old ETag
	wantPreconditionFailed(t, "If-Match: the replaced ETag", err)

	// Releasing the lease: DeleteObject with If-Match.
	_, err = client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(etag)})
	wantPreconditionFailed(t, "DeleteObject If-Match: a wrong ETag", err)
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(newETag)}); err != nil {
		t.Errorf("DeleteObject If-Match: the right ETag: %v", err)
	}
	put(t, client, bucket, key, "again", ifNoneMatch) // free again
}

func wantPreconditionFailed(t *testing.T, what string, err error) {
	t.Helper()
	var apiErr smithy.APIError
	var resErr *awshttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "PreconditionFailed" ||
		!errors.As(err, &resErr) || resErr.HTTPStatusCode() != 412 {
		t.Errorf("%s: want 412 PreconditionFailed, got %v", what, err)
	}
}

func put(t *testing.T, client *s3.Client, bucket, key, body string, opt func(*s3.PutObjectInput)) string {
	t.Helper()
	etag, err := putErr(client, bucket, key, body, opt)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return etag
}

func putErr(client *s3.Client, bucket, key, body string, opt func(*s3.PutObjectInput)) (string, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	if opt != nil {
		opt(in)
	}
	out, err := client.PutObject(context.Background(), in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

func get(t *testing.T, client *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
