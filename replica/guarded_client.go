package replica

import (
	"context"
	"fmt"
	"io"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// guardedClient is the replica client Litestream writes through: every
// write and delete goes ahead only while this server holds the lease. A
// server that lost it (taken over after a pause, renewals failing) cannot
// add to or prune a history another server now writes, whatever
// Litestream's loops are doing at that moment.
type guardedClient struct {
	litestream.ReplicaClient
	lease *lease
}

func (c guardedClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	if err := c.lease.held(); err != nil {
		return nil, fmt.Errorf("not writing to the replica: %w", err)
	}
	return c.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, r)
}

func (c guardedClient) DeleteLTXFiles(ctx context.Context, a []*ltx.FileInfo) error {
	if err := c.lease.held(); err != nil {
		return fmt.Errorf("not deleting from the replica: %w", err)
	}
	return c.ReplicaClient.DeleteLTXFiles(ctx, a)
}

func (c guardedClient) DeleteAll(ctx context.Context) error {
	if err := c.lease.held(); err != nil {
		return fmt.Errorf("not deleting from the replica: %w", err)
	}
	return c.ReplicaClient.DeleteAll(ctx)
}
