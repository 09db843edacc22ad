package replica

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// guardedClient is the replica client Litestream writes through: every
// write and delete goes ahead only while this server holds the lease, and
// is cancelled if the lease stops being held before it ends (a long upload
// over a slow link). A server that lost it (taken over after a pause,
// renewals failing) cannot add to or prune a history another server now
// writes, whatever Litestream's loops are doing at that moment.
type guardedClient struct {
	litestream.ReplicaClient
	lease *lease
}

// leaseCheckEvery is how often a write in progress checks the lease.
const leaseCheckEvery = 200 * time.Millisecond

// whileHeld returns ctx cancelled as soon as the lease is no longer held,
// or the reason it is not held now.
func (c guardedClient) whileHeld(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := c.lease.held(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		tick := time.NewTicker(leaseCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := c.lease.held(); err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(nil) }, nil
}

func (c guardedClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	ctx, done, err := c.whileHeld(ctx)
	if err != nil {
		return nil, fmt.Errorf("not writing to the replica: %w", err)
	}
	defer done()
	return c.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, r)
}

func (c guardedClient) DeleteLTXFiles(ctx context.Context, a []*ltx.FileInfo) error {
	ctx, done, err := c.whileHeld(ctx)
	if err != nil {
		return fmt.Errorf("not deleting from the replica: %w", err)
	}
	defer done()
	return c.ReplicaClient.DeleteLTXFiles(ctx, a)
}

func (c guardedClient) DeleteAll(ctx context.Context) error {
	ctx, done, err := c.whileHeld(ctx)
	if err != nil {
		return fmt.Errorf("not deleting from the replica: %w", err)
	}
	defer done()
	return c.ReplicaClient.DeleteAll(ctx)
}
