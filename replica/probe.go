package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ErrNoConditionalWrites says the endpoint ignores conditional PUTs.
var ErrNoConditionalWrites = errors.New("the endpoint does not honour conditional writes (If-None-Match / If-Match on PUT)")

// probeConditionalWrites checks, with a throwaway object, that the
// endpoint refuses a PUT whose condition fails: the lease rests on it.
// It also proves the bucket exists and the credentials may write there.
func probeConditionalWrites(ctx context.Context, c Config, objects *s3.Client) error {
	key := joinPath(c.Path, ".wxbase-probe-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	put := func(ifNoneMatch, ifMatch string) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("probe"))}
		if ifNoneMatch != "" {
			in.IfNoneMatch = aws.String(ifNoneMatch)
		}
		if ifMatch != "" {
			in.IfMatch = aws.String(ifMatch)
		}
		return objects.PutObject(ctx, in)
	}
	first, err := put("*", "")
	if err != nil {
		return fmt.Errorf("writing to %s: %w", c, err)
	}
	defer objects.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if _, err := put("*", ""); err == nil {
		return ErrNoConditionalWrites
	} else if !isPreconditionFailed(err) {
		return fmt.Errorf("probing conditional writes on %s: %w", c, err)
	}
	if _, err := put("", `"wxbase-not-the-etag"`); err == nil {
		return ErrNoConditionalWrites
	} else if !isPreconditionFailed(err) {
		return fmt.Errorf("probing conditional writes on %s: %w", c, err)
	}
	if first.ETag != nil {
		if _, err := put("", *first.ETag); err != nil {
			return fmt.Errorf("%w: a PUT with the object's own ETag was refused: %v", ErrNoConditionalWrites, err)
		}
	}
	return nil
}

func isPreconditionFailed(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "PreconditionFailed" || apiErr.ErrorCode() == "412") {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == 412
}

// isNoSuchKey reports whether err says the object does not exist (not the
// bucket: a missing bucket is not a lost lease).
func isNoSuchKey(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey"
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchKey" || apiErr.ErrorCode() == "NotFound") {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == 404
}
