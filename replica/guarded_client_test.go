package replica

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// recordingClient counts the writes that reach the replica.
type recordingClient struct {
	litestream.ReplicaClient
	writes, deletes int
}

func (c *recordingClient) WriteLTXFile(context.Context, int, ltx.TXID, ltx.TXID, io.Reader) (*ltx.FileInfo, error) {
	c.writes++
	return &ltx.FileInfo{}, nil
}

func (c *recordingClient) DeleteLTXFiles(context.Context, []*ltx.FileInfo) error {
	c.deletes++
	return nil
}

func TestGuardedClientWritesOnlyUnderAValidLease(t *testing.T) {
	inner := &recordingClient{}
	l := &lease{ttl: 30 * time.Second}
	c := guardedClient{ReplicaClient: inner, lease: l}
	write := func() error {
		_, err := c.WriteLTXFile(context.Background(), 0, 1, 1, strings.NewReader(""))
		return err
	}

	if err := write(); err == nil || inner.writes != 0 {
		t.Fatalf("no lease yet: err %v, %d writes reached the replica", err, inner.writes)
	}
	l.current, l.validUntil = &litestream.Lease{}, time.Now().Add(time.Minute)
	if err := write(); err != nil || inner.writes != 1 {
		t.Fatalf("a held lease: err %v, %d writes", err, inner.writes)
	}
	l.validUntil = time.Now().Add(-time.Millisecond) // not renewed in time
	if err := write(); err == nil || inner.writes != 1 {
		t.Fatalf("an expired lease: err %v, %d writes", err, inner.writes)
	}
	if err := c.DeleteLTXFiles(context.Background(), nil); err == nil || inner.deletes != 0 {
		t.Fatalf("an expired lease let a delete through: %v", err)
	}
	l.validUntil = time.Now().Add(time.Minute)
	l.lost = os.ErrPermission // taken over: never again
	if err := write(); err == nil || inner.writes != 1 {
		t.Fatalf("a lost lease: err %v, %d writes", err, inner.writes)
	}
}

// The AWS SDK's configuration is loaded with the AWS variables hidden,
// and they are all back afterwards.
func TestAWSEnvironmentIsHiddenThenRestored(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "someone-elses")
	t.Setenv("AWS_PROFILE", "broken")
	t.Setenv("LITESTREAM_ACCESS_KEY_ID", "another")
	var seen []string
	err := withoutAWSEnvironment(func() error {
		for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "LITESTREAM_ACCESS_KEY_ID"} {
			if v, ok := os.LookupEnv(name); ok {
				seen = append(seen, name+"="+v)
			}
		}
		if os.Getenv("AWS_CONFIG_FILE") != os.DevNull || os.Getenv("AWS_SHARED_CREDENTIALS_FILE") != os.DevNull {
			t.Error("the shared AWS files were not pointed away from ~/.aws")
		}
		return nil
	})
	if err != nil || len(seen) > 0 {
		t.Fatalf("visible during the load: %v (%v)", seen, err)
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") != "someone-elses" || os.Getenv("AWS_PROFILE") != "broken" || os.Getenv("LITESTREAM_ACCESS_KEY_ID") != "another" {
		t.Fatal("the environment was not restored")
	}
	if _, ok := os.LookupEnv("AWS_CONFIG_FILE"); ok {
		t.Fatal("AWS_CONFIG_FILE was left set")
	}
}

// slowClient's write lasts until its context ends.
type slowClient struct {
	litestream.ReplicaClient
	ended chan error
}

func (c *slowClient) WriteLTXFile(ctx context.Context, _ int, _, _ ltx.TXID, _ io.Reader) (*ltx.FileInfo, error) {
	<-ctx.Done()
	c.ended <- context.Cause(ctx)
	return nil, ctx.Err()
}

// A write that began under a valid lease is cancelled once the lease stops
// being held, however long the upload.
func TestGuardedClientCancelsAWriteWhenTheLeaseEnds(t *testing.T) {
	inner := &slowClient{ended: make(chan error, 1)}
	l := &lease{ttl: 30 * time.Second, current: &litestream.Lease{}, validUntil: time.Now().Add(300 * time.Millisecond)}
	c := guardedClient{ReplicaClient: inner, lease: l}
	go c.WriteLTXFile(context.Background(), 0, 1, 1, strings.NewReader(""))
	select {
	case cause := <-inner.ended:
		if cause == nil || !strings.Contains(cause.Error(), "renewed in time") {
			t.Fatalf("the write ended for another reason: %v", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write went on after the lease ran out")
	}
}
