package testkit

import (
	"testing"

	"wxbase/internal/s3server"
)

// VersitygwEnv names the versitygw binary the tests run; ./test.sh installs
// it and sets this.
const VersitygwEnv = s3server.BinaryEnv

// S3Server is a real S3-compatible server on loopback for one test:
// versitygw with its posix backend, which keeps each object as a file under
// Root/Bucket (package s3server).
type S3Server struct {
	*s3server.Server
	t testing.TB
}

// StartS3 starts versitygw on a free loopback port with a root directory
// under t.TempDir(), waits until it answers a signed request, creates the
// bucket "wxbase-test" and stops the server when the test ends, logging its
// output if the test failed. The metadata (ETags) is kept in extended
// attributes, or in a sidecar directory where the filesystem has none
// (s3server.Options.Meta).
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	return startS3(t, nil)
}

// startS3 starts the server with the posix backend's metadata flags meta;
// nil means extended attributes where the filesystem has them.
func startS3(t testing.TB, meta []string) *S3Server {
	t.Helper()
	binary, err := s3server.FindBinary()
	if err != nil {
		t.Fatalf("the S3 tests need versitygw: %v", err)
	}
	server, err := s3server.Start(s3server.Options{Binary: binary, Dir: t.TempDir(), Bucket: "wxbase-test", Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	s := &S3Server{Server: server, t: t}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.Output())
		}
	})
	return s
}

// Restart stops the server if it runs and starts it again on the same port
// and root, with the same credentials: the bucket and its objects are there
// again.
func (s *S3Server) Restart() {
	s.t.Helper()
	if err := s.Server.Restart(); err != nil {
		s.t.Fatal(err)
	}
}
