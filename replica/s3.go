package replica

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	lss3 "github.com/benbjohnson/litestream/s3"
)

// newObjectClient is wxbase's own S3 client, for the lease and the probe.
// Every setting is given here: nothing is read from the environment or
// from ~/.aws, so no AWS_* variable can change where it goes or with
// which credentials.
func newObjectClient(c Config) *s3.Client {
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if c.SkipVerify {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	opts := s3.Options{
		Region:       c.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		UsePathStyle: c.ForcePathStyle,
		HTTPClient:   &http.Client{Transport: transport, Timeout: time.Minute},
		// S3-compatible services often refuse the SDK's newer default
		// checksums (Litestream makes the same choice).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	return s3.New(opts)
}

// newReplicaClient is Litestream's S3 client for the database at path
// (inside the replica's path), with every field set here.
//
// Its Init loads the AWS SDK's default configuration, which reads AWS_*
// variables and ~/.aws (a CA bundle, a profile, an endpoint, retry
// settings): Init runs with them hidden, so that the settings above are
// the only ones, and neither another tool's credentials nor a broken
// profile can leak in or stop replication.
func newReplicaClient(ctx context.Context, c Config, path string) (*lss3.ReplicaClient, error) {
	client := lss3.NewReplicaClient()
	client.AccessKeyID = c.AccessKeyID
	client.SecretAccessKey = c.SecretAccessKey
	client.Bucket = c.Bucket
	client.Path = path
	client.Region = c.Region
	client.Endpoint = c.Endpoint
	client.ForcePathStyle = c.ForcePathStyle
	client.SkipVerify = c.SkipVerify
	err := withoutAWSEnvironment(func() error { return client.Init(ctx) })
	return client, err
}

// environment guards the process environment while AWS variables are hidden.
var environment sync.Mutex

// withoutAWSEnvironment runs f with every AWS_* and LITESTREAM_* variable
// unset and the AWS SDK's shared files pointed at an empty one, then puts
// the environment back as it was.
func withoutAWSEnvironment(f func() error) error {
	environment.Lock()
	defer environment.Unlock()
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "LITESTREAM_") {
			saved[name] = value
			os.Unsetenv(name)
		}
	}
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	defer func() {
		for _, name := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"} {
			os.Unsetenv(name)
		}
		for name, value := range saved {
			os.Setenv(name, value)
		}
	}()
	return f()
}

// joinPath joins the replica's path and a name inside it.
func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "/" + name
}
