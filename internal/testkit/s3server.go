package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"wxbase/internal/wxbaseproc"
)

// VersitygwEnv names the versitygw binary the tests run; ./test.sh installs
// it and sets this.
const VersitygwEnv = "WXBASE_TEST_VERSITYGW"

// S3Server is a real S3-compatible server on loopback for one test:
// versitygw with its posix backend, which keeps each object as a file under
// Root/Bucket.
type S3Server struct {
	Endpoint        string // "http://127.0.0.1:port"
	Bucket          string // created by StartS3
	AccessKeyID     string // the server's root credentials, random per server
	SecretAccessKey string
	Root            string // the posix root: object key k of Bucket is the file Root/Bucket/k

	t      testing.TB
	binary string
	addr   string
	meta   []string // the posix backend's metadata flags, see StartS3

	output syncBuffer // every run's output

	mu   sync.Mutex
	cmd  *exec.Cmd // nil when stopped
	done chan struct{}
}

// StartS3 starts versitygw on a free loopback port with a root directory
// under t.TempDir(), waits until it answers a signed request, creates the
// bucket "wxbase-test" and stops the server when the test ends, logging its
// output if the test failed.
//
// The posix backend keeps ETags and other metadata in extended attributes
// and refuses to start on a filesystem without them. Then, and only then,
// the metadata goes to a sidecar directory (--sidecar) instead. --nometa
// would start too, but it stores no ETag, and then the conditional writes
// replication's lease relies on go wrong: tried on v1.8.0, a PUT with
// If-None-Match: * replaced an existing object and one with If-Match
// answered 404 NoSuchKey.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	return startS3(t, nil)
}

// startS3 starts the server with the posix backend's metadata flags meta;
// nil means extended attributes where the filesystem has them.
func startS3(t testing.TB, meta []string) *S3Server {
	t.Helper()
	binary := versitygwBinary(t)
	dir := t.TempDir()
	s := &S3Server{
		Bucket:          "wxbase-test",
		AccessKeyID:     rand.Text(),
		SecretAccessKey: rand.Text() + rand.Text(),
		Root:            filepath.Join(dir, "root"),
		t:               t,
		binary:          binary,
		meta:            meta,
	}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.Output())
		}
	})

	// A free port may be taken by another test before versitygw binds it:
	// then start again on another one.
	for attempt := 1; ; attempt++ {
		addr, err := wxbaseproc.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		s.addr, s.Endpoint = addr, "http://"+addr
		err = s.start()
		if err != nil && s.meta == nil && strings.Contains(err.Error(), "xattr check failed") {
			s.meta = []string{"--sidecar", filepath.Join(dir, "meta")}
			if err = os.Mkdir(s.meta[1], 0o755); err == nil {
				err = s.start()
			}
		}
		if err != nil && attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	_, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)})
	if err != nil {
		t.Fatalf("versitygw: create bucket %s: %v", s.Bucket, err)
	}
	return s
}

// versitygwBinary finds versitygw: $WXBASE_TEST_VERSITYGW, else on PATH,
// else in GOPATH's bin, where ./test.sh installs it.
func versitygwBinary(t testing.TB) string {
	t.Helper()
	const install = "run ./test.sh once, which installs versitygw v1.8.0 (or: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
	if path := os.Getenv(VersitygwEnv); path != "" {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s=%s: %v; %s", VersitygwEnv, path, err, install)
		}
		return path
	}
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath, _, _ := strings.Cut(strings.TrimSpace(string(out)), string(os.PathListSeparator))
		path := filepath.Join(gopath, "bin", "versitygw")
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	t.Fatalf("the S3 tests need versitygw, which is neither in $%s, on PATH nor in GOPATH's bin: %s", VersitygwEnv, install)
	return ""
}

// Client is an S3 client for the server with its root credentials, made as
// Litestream makes its own: from explicit options, nothing read from the
// environment or ~/.aws.
func (s *S3Server) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
	}, optFns...)
}

// URL is a Litestream replica URL for path in the bucket.
func (s *S3Server) URL(path string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&region=us-east-1&forcePathStyle=true",
		s.Bucket, strings.TrimPrefix(path, "/"), s.Endpoint)
}

// Output is everything the server printed so far, over all its runs.
func (s *S3Server) Output() string { return s.output.String() }

// Stop ends the server (SIGTERM, SIGKILL after 5 s) and waits for it to
// exit; the port then refuses connections. Stopping a stopped server does
// nothing.
func (s *S3Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// Restart stops the server if it runs and starts it again on the same port
// and root, with the same credentials: the bucket and its objects are there
// again.
func (s *S3Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// start runs versitygw and waits until it answers a request signed with the
// server's credentials, which another process on the port would refuse.
func (s *S3Server) start() error {
	args := append([]string{
		"--port", s.addr,
		"--access", s.AccessKeyID,
		"--secret", s.SecretAccessKey,
		"--region", "us-east-1",
		"posix",
	}, s.meta...)
	cmd := exec.Command(s.binary, append(args, s.Root)...)
	cmd.Stdout, cmd.Stderr = &s.output, &s.output
	from := len(s.Output())
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("versitygw: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	client := s.Client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("versitygw exited at start:\n%s", s.Output()[from:])
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("versitygw did not answer on %s within 20s:\n%s", s.addr, s.Output()[from:])
}

// syncBuffer is a bytes.Buffer a process writes to while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
