package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/benbjohnson/litestream"
	lss3 "github.com/benbjohnson/litestream/s3"
)

// LeaseFile is the lease object's name in the replica's path.
const LeaseFile = lss3.DefaultLeasePath

// HeldError says that another server holds the replica's lease.
type HeldError struct {
	Replica   string
	Owner     string
	ExpiresAt time.Time
}

func (e *HeldError) Error() string {
	owner := e.Owner
	if owner == "" {
		owner = "another server"
	}
	return fmt.Sprintf("%s is replicating to %s (its lease runs until %s, and is renewed while it runs): "+
		"two servers writing one replica would corrupt its history. Stop that server, or give this one its own replica path. "+
		"If that server is gone (killed, its machine lost), this one can start once the lease has expired; "+
		"to take over at once, run `wxbase replica unlock` first",
		owner, e.Replica, e.ExpiresAt.Local().Format(time.RFC3339))
}

// lease is this server's hold on the replica: an object in the bucket
// written only with conditional PUTs (Litestream's S3 leaser), renewed
// every third of its TTL. Writes to the replica go ahead only while it is
// certainly held (guardedClient).
type lease struct {
	leaser  *lss3.Leaser
	objects *s3.Client
	bucket  string
	key     string // the lease object's key
	ttl     time.Duration
	logger  *slog.Logger
	onLost  func(error)

	mu         sync.Mutex
	current    *litestream.Lease
	validUntil time.Time // by this machine's clock, with a margin for skew
	lost       error

	stop chan struct{}
	done chan struct{}
}

// leaseMargin is how long before the lease's expiry this server stops
// writing to the replica: room for clock skew between two machines and
// for a PUT in flight. The clocks must agree within it (NTP).
func leaseMargin(ttl time.Duration) time.Duration {
	return min(5*time.Second, ttl/4)
}

func newLease(c Config, objects *s3.Client, logger *slog.Logger) *lease {
	leaser := lss3.NewLeaser()
	leaser.SetClient(objects)
	leaser.SetLogger(logger)
	leaser.Bucket = c.Bucket
	leaser.Path = c.Path
	leaser.TTL = c.LeaseTTL
	host, _ := os.Hostname()
	leaser.Owner = fmt.Sprintf("wxbase on %s (pid %d)", host, os.Getpid())
	return &lease{leaser: leaser, objects: objects, bucket: c.Bucket, key: joinPath(c.Path, LeaseFile), ttl: c.LeaseTTL, logger: logger}
}

// acquire takes the lease, or returns a *HeldError.
func (l *lease) acquire(ctx context.Context, replica string) error {
	started := time.Now()
	got, err := l.leaser.AcquireLease(ctx)
	var exists *litestream.LeaseExistsError
	if errors.As(err, &exists) {
		return &HeldError{Replica: replica, Owner: exists.Owner, ExpiresAt: exists.ExpiresAt}
	}
	if err != nil {
		return fmt.Errorf("taking the replica's lease: %w", err)
	}
	l.mu.Lock()
	l.current, l.validUntil = got, started.Add(l.ttl-leaseMargin(l.ttl))
	l.mu.Unlock()
	stop, done := make(chan struct{}), make(chan struct{})
	l.mu.Lock()
	l.stop, l.done = stop, done
	l.mu.Unlock()
	go l.renew(stop, done)
	return nil
}

// held reports whether this server may write to the replica now.
func (l *lease) held() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lost != nil:
		return l.lost
	case l.current == nil:
		return errors.New("this server does not hold the replica's lease")
	case time.Now().After(l.validUntil):
		return errors.New("the replica's lease could not be renewed in time (the bucket unreachable?): nothing is written to the replica until it is")
	}
	return nil
}

// renew keeps the lease until release, or until it is lost: taken over by
// another server (its ETag changed, or it was deleted). A renewal that
// fails for another reason (the bucket unreachable) is tried again every
// second; past validUntil the guard stops every write to the replica, and
// writing resumes once a renewal succeeds. That is safe: a renewal is a PUT
// conditional on the lease's ETag, so it succeeds only if no other server
// took the lease meanwhile, and a server that takes it changes the ETag.
func (l *lease) renew(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	every := l.ttl / 3
	paused := false
	for {
		select {
		case <-stop:
			return
		case <-time.After(every):
		}
		l.mu.Lock()
		current := l.current
		l.mu.Unlock()
		started := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		renewed, err := l.leaser.RenewLease(ctx, current)
		cancel()
		expires := started.Add(l.ttl)
		var exists *litestream.LeaseExistsError
		if errors.As(err, &exists) || errors.Is(err, litestream.ErrLeaseNotHeld) || isPreconditionFailed(err) || isNoSuchKey(err) {
			// The ETag did not match: another server's lease, or our own
			// renewal written by an earlier attempt whose answer was lost
			// (the SDK retries a PUT that timed out).
			stored, ours := l.stillOurs(current)
			if !ours {
				l.markLost(fmt.Errorf("the replica's lease was taken over by another server: %w", err))
				return
			}
			renewed, err = stored, nil
			if stored.ExpiresAt.Before(expires) { // written by that earlier attempt
				expires = stored.ExpiresAt
			}
		}
		switch {
		case err != nil:
			if !paused && l.held() != nil {
				paused = true
				l.logger.Error("The replica's lease could not be renewed in time: writing to the replica is paused until it is.", "error", err)
			} else if !paused {
				l.logger.Warn("Could not renew the replica's lease; retrying.", "error", err)
			}
			every = min(time.Second, l.ttl/10)
		default:
			l.mu.Lock()
			l.current, l.validUntil = renewed, expires.Add(-leaseMargin(l.ttl))
			l.mu.Unlock()
			if paused {
				paused = false
				l.logger.Warn("Renewed the replica's lease: writing to the replica resumes.")
			}
			every = l.ttl / 3
		}
	}
}

// stillOurs reads the lease object and reports whether it is the one this
// server wrote (same owner, same generation), with its current ETag.
func (l *lease) stillOurs(current *litestream.Lease) (*litestream.Lease, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
	defer cancel()
	out, err := l.objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(l.bucket), Key: aws.String(l.key)})
	if err != nil {
		return nil, false
	}
	defer out.Body.Close()
	var stored litestream.Lease
	if json.NewDecoder(out.Body).Decode(&stored) != nil || out.ETag == nil {
		return nil, false
	}
	if stored.Owner != l.leaser.Owner || stored.Generation != current.Generation {
		return nil, false
	}
	stored.ETag = *out.ETag
	return &stored, true
}

func (l *lease) markLost(err error) {
	l.mu.Lock()
	first := l.lost == nil
	if first {
		l.lost = err
	}
	l.mu.Unlock()
	if first {
		l.logger.Error("Lost the replica's lease: this server no longer writes to the replica and refuses writes.", "error", err)
		if l.onLost != nil {
			l.onLost(err)
		}
	}
}

// release gives the lease up, so a replacement starts at once.
func (l *lease) release(ctx context.Context) error {
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.stop, l.done = nil, nil
	l.mu.Unlock()
	if stop == nil {
		return nil // never taken, or already given up
	}
	close(stop)
	<-done
	l.mu.Lock()
	current, lost := l.current, l.lost
	l.current = nil
	l.mu.Unlock()
	if current == nil || lost != nil {
		return nil
	}
	return l.leaser.ReleaseLease(ctx, current)
}

// Unlock deletes the replica's lease whoever holds it, so that a server can
// start at once after its predecessor died. It returns the owner that held
// it ("" when there was none). Only for a holder known to be gone: a live
// one finds its lease taken over at its next renewal and stops writing.
func Unlock(ctx context.Context, c Config) (owner string, err error) {
	objects := newObjectClient(c)
	key := joinPath(c.Path, LeaseFile)
	out, err := objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the lease %s: %w", key, err)
	}
	var held litestream.Lease
	decodeErr := json.NewDecoder(out.Body).Decode(&held)
	out.Body.Close()
	owner = held.Owner
	if decodeErr != nil || owner == "" {
		owner = "an unnamed holder"
	}
	// Only the lease read above: one that a new server took meanwhile stays.
	if _, err := objects.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key), IfMatch: out.ETag}); isPreconditionFailed(err) {
		return "", fmt.Errorf("the lease %s changed while it was being deleted: another server holds it now; run the command again to see who", key)
	} else if err != nil {
		return "", fmt.Errorf("deleting the lease %s: %w", key, err)
	}
	return owner, nil
}
