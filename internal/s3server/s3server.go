// Package s3server runs versitygw, a real S3-compatible server, on loopback
// with its posix backend: for the replication tests (through testkit) and
// the replication bench.
package s3server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"wxbase/internal/procout"
	"wxbase/internal/wxbaseproc"
)

// BinaryEnv names the versitygw binary to run; ./test.sh installs it and
// sets this.
const BinaryEnv = "WXBASE_TEST_VERSITYGW"

// Install says how to get versitygw.
const Install = "run ./test.sh once, which installs versitygw v1.8.0 (or: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"

// Server is versitygw with its posix backend, which keeps each object as a
// file under Root/Bucket.
type Server struct {
	Endpoint        string // "http://127.0.0.1:port"
	Bucket          string // created by Start
	AccessKeyID     string // the server's root credentials, random per server
	SecretAccessKey string
	Root            string // the posix root: object key k of Bucket is the file Root/Bucket/k

	binary string
	addr   string
	meta   []string // the posix backend's metadata flags, see Options.Meta

	output procout.Buffer // every run's output

	mu   sync.Mutex
	cmd  *exec.Cmd // nil when stopped
	done chan struct{}
}

// Options describe one server.
type Options struct {
	Binary string // versitygw; "" finds it (FindBinary)
	Dir    string // an empty directory for the server's root and metadata
	Bucket string // the bucket Start creates
	// Meta are the posix backend's metadata flags; nil means extended
	// attributes where the filesystem has them, else a sidecar directory.
	//
	// The posix backend keeps ETags and other metadata in extended
	// attributes and refuses to start on a filesystem without them. Then,
	// and only then, the metadata goes to a sidecar directory (--sidecar)
	// instead. --nometa would start too, but it stores no ETag, and then
	// the conditional writes replication's lease relies on go wrong: tried
	// on v1.8.0, a PUT with If-None-Match: * replaced an existing object
	// and one with If-Match answered 404 NoSuchKey.
	Meta []string
}

// Start starts versitygw on a free loopback port with its root in
// opts.Dir, waits until it answers a signed request and creates the bucket.
// The caller stops it.
func Start(opts Options) (*Server, error) {
	binary := opts.Binary
	if binary == "" {
		var err error
		if binary, err = FindBinary(); err != nil {
			return nil, err
		}
	}
	s := &Server{
		Bucket:          opts.Bucket,
		AccessKeyID:     rand.Text(),
		SecretAccessKey: rand.Text() + rand.Text(),
		Root:            filepath.Join(opts.Dir, "root"),
		binary:          binary,
		meta:            opts.Meta,
	}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		return nil, err
	}
	// A free port may be taken by another process before versitygw binds
	// it: then start again on another one.
	for attempt := 1; ; attempt++ {
		addr, err := wxbaseproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		s.addr, s.Endpoint = addr, "http://"+addr
		err = s.start()
		if err != nil && s.meta == nil && strings.Contains(err.Error(), "xattr check failed") {
			s.meta = []string{"--sidecar", filepath.Join(opts.Dir, "meta")}
			if err = os.Mkdir(s.meta[1], 0o755); err == nil {
				err = s.start()
			}
		}
		if err != nil && attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if _, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		s.Stop()
		return nil, fmt.Errorf("versitygw: create bucket %s: %w", s.Bucket, err)
	}
	return s, nil
}

// FindBinary finds versitygw: $WXBASE_TEST_VERSITYGW, else on PATH, else in
// GOPATH's bin, where ./test.sh installs it.
func FindBinary() (string, error) {
	if path := os.Getenv(BinaryEnv); path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%s=%s: %v; %s", BinaryEnv, path, err, Install)
		}
		return path, nil
	}
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath, _, _ := strings.Cut(strings.TrimSpace(string(out)), string(os.PathListSeparator))
		path := filepath.Join(gopath, "bin", "versitygw")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("versitygw is neither in $%s, on PATH nor in GOPATH's bin: %s", BinaryEnv, Install)
}

// Client is an S3 client for the server with its root credentials, made as
// Litestream makes its own: from explicit options, nothing read from the
// environment or ~/.aws.
func (s *Server) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
	}, optFns...)
}

// URL is a Litestream replica URL for path in the bucket.
func (s *Server) URL(path string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&region=us-east-1&forcePathStyle=true",
		s.Bucket, strings.TrimPrefix(path, "/"), s.Endpoint)
}

// Output is everything the server printed so far, over all its runs.
func (s *Server) Output() string { return s.output.String() }

// Pid is the running server's process id, 0 when stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop ends the server (SIGTERM, SIGKILL after 5 s) and waits for it to
// exit; the port then refuses connections. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
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
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}

// start runs versitygw and waits until it answers a request signed with the
// server's credentials, which another process on the port would refuse.
func (s *Server) start() error {
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
	return errors.New("versitygw did not answer on " + s.addr + " within 20s:\n" + s.Output()[from:])
}
