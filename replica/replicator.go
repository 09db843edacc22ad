package replica

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/benbjohnson/litestream"
)

// The databases of a data directory. auxiliary.db holds only PocketBase's
// request logs: it replicates only when asked, and never durably.
const (
	DataDB      = "data.db"
	AuxiliaryDB = "auxiliary.db"
)

// StateDirs are the directories Litestream keeps beside the databases it
// replicates (its LTX files and position). They describe this server's
// stream to the replica: no backup carries them, and a restored backup
// starts without them (a fresh snapshot continues the replica's history).
var StateDirs = []string{"." + DataDB + litestream.MetaDirSuffix, "." + AuxiliaryDB + litestream.MetaDirSuffix}

// Replicator streams a data directory's databases to the replica.
type Replicator struct {
	cfg     Config
	dataDir string
	logger  *slog.Logger
	objects *s3.Client
	lease   *lease

	// life guards store and data: Stop waits for a sync in flight, and a
	// sync after Stop finds no store rather than reopening the database.
	life  sync.RWMutex
	store *litestream.Store
	data  *litestream.DB
	group groupSync
}

// New prepares replication of the databases in dataDir; nothing is sent
// before Start. OnLost, if set, is called once should the lease be lost.
func New(c Config, dataDir string, logger *slog.Logger, onLost func(error)) *Replicator {
	objects := newObjectClient(c)
	l := newLease(c, objects, logger)
	l.onLost = onLost
	r := &Replicator{cfg: c, dataDir: dataDir, logger: logger, objects: objects, lease: l}
	r.group.sync = r.syncData
	return r
}

// errStopped: replication stopped while a write waited for it.
var errStopped = errors.New("replication has stopped")

// syncData sends data.db's committed changes to the replica and waits.
func (r *Replicator) syncData(ctx context.Context) error {
	r.life.RLock()
	defer r.life.RUnlock()
	if r.store == nil {
		return errStopped
	}
	return r.data.SyncAndWait(ctx)
}

// Config is the replicator's configuration.
func (r *Replicator) Config() Config { return r.cfg }

// Durable reports whether writes wait for the replica.
func (r *Replicator) Durable() bool { return r.cfg.Mode == Durable }

// client is the S3 client of one database's stream, under the replica's path.
func (r *Replicator) client(ctx context.Context, db string) (*guardedClientWithInit, error) {
	c, err := newReplicaClient(ctx, r.cfg, joinPath(r.cfg.Path, db))
	if err != nil {
		return nil, fmt.Errorf("connecting to the replica %s: %w", r.cfg, err)
	}
	return &guardedClientWithInit{guardedClient{ReplicaClient: c, lease: r.lease}}, nil
}

// guardedClientWithInit keeps Init a no-op: the client was initialised
// with the AWS environment hidden (newReplicaClient).
type guardedClientWithInit struct{ guardedClient }

func (guardedClientWithInit) Init(context.Context) error { return nil }

// ErrKeyMissing says a replica was found but the encryption key was not.
var ErrKeyMissing = errors.New("the encryption key is missing")

// RestoreMissing restores data.db from the replica when the data directory
// has none and the replica has one; auxiliary.db too, when it replicates.
// The key is never in the replica: when keyPresent is false, nothing is
// restored and the error (ErrKeyMissing) says so. It reports whether a
// database was restored, and how long it took.
func (r *Replicator) RestoreMissing(ctx context.Context, keyPresent bool, keyHint string) (restored bool, took time.Duration, err error) {
	started := time.Now()
	dbs := []string{DataDB}
	if r.cfg.Auxiliary {
		dbs = append(dbs, AuxiliaryDB)
	}
	for _, name := range dbs {
		path := filepath.Join(r.dataDir, name)
		if _, err := os.Stat(path); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return restored, 0, err
		}
		client, err := r.client(ctx, name)
		if err != nil {
			return restored, 0, err
		}
		if _, err := litestream.CalcRestorePlan(ctx, client, 0, time.Time{}, r.logger); errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
			continue // nothing to restore: a new replica
		} else if err != nil {
			return restored, 0, fmt.Errorf("reading the replica %s: %w", r.cfg, err)
		}
		if name == DataDB && !keyPresent {
			return false, 0, fmt.Errorf("%w: %s has no %s, and the replica %s holds one, but its secrets are sealed with an encryption key that is never in the replica. %s, then start again: the database is restored then",
				ErrKeyMissing, r.dataDir, DataDB, r.cfg, keyHint)
		}
		// State left by another stream of this database means nothing now,
		// nor does a WAL left without its database (SQLite would apply it).
		for _, stale := range []string{"." + name + litestream.MetaDirSuffix, name + "-wal", name + "-shm"} {
			if err := os.RemoveAll(filepath.Join(r.dataDir, stale)); err != nil {
				return restored, 0, err
			}
		}
		opt := litestream.NewRestoreOptions()
		opt.OutputPath = path
		opt.IntegrityCheck = litestream.IntegrityCheckQuick
		if err := litestream.NewReplicaWithClient(nil, client).Restore(ctx, opt); err != nil {
			return restored, 0, fmt.Errorf("restoring %s from the replica %s: %w", name, r.cfg, err)
		}
		restored = true
	}
	return restored, time.Since(started), nil
}

// Start takes the replica's lease, checks that the endpoint honours
// conditional writes (durable mode requires it; the lease rests on it),
// and starts streaming. Changes made while no server ran (an import, a
// migration) are found and sent now.
func (r *Replicator) Start(ctx context.Context) error {
	if err := probeConditionalWrites(ctx, r.cfg, r.objects); errors.Is(err, ErrNoConditionalWrites) {
		if r.Durable() {
			return fmt.Errorf("durable replication to %s cannot start: %w, so the lease that keeps a second server from writing the same replica cannot be trusted. Use a service that supports them (AWS S3, Tencent COS, Alibaba OSS, versitygw), or $%s=%s", r.cfg, err, EnvMode, Async)
		}
		r.logger.Warn("The replica's endpoint ignores conditional writes: the lease cannot stop a second server from writing the same replica path. Make sure only one server uses it.", "replica", r.cfg.String())
	} else if err != nil {
		return err
	}
	if err := r.lease.acquire(ctx, r.cfg.String()); err != nil {
		return err
	}
	dbs := []*litestream.DB{}
	names := []string{DataDB}
	if r.cfg.Auxiliary {
		names = append(names, AuxiliaryDB)
	}
	for _, name := range names {
		client, err := r.client(ctx, name)
		if err != nil {
			r.lease.release(context.WithoutCancel(ctx))
			return err
		}
		db := litestream.NewDB(filepath.Join(r.dataDir, name))
		// A change waits at most half the interval to be read from the
		// WAL, and half to be sent: it is in the replica within the sync
		// interval, plus the upload.
		db.MonitorInterval = r.cfg.SyncInterval / 2
		// Litestream's TRUNCATE checkpoint, its emergency brake at a
		// ~500 MB WAL, blocks writers while readers finish: keep it, it is
		// rare; the passive ones block nothing.
		replica := litestream.NewReplicaWithClient(db, client)
		replica.SyncInterval = r.cfg.SyncInterval / 2
		db.Replica = replica
		dbs = append(dbs, db)
		if name == DataDB {
			if err := r.checkInStep(ctx, db, client); err != nil {
				r.lease.release(context.WithoutCancel(ctx))
				return err
			}
		}
	}
	store := litestream.NewStore(dbs, litestream.DefaultCompactionLevels)
	store.Logger = r.logger
	for i, db := range dbs { // NewStore gave them the default logger
		db.SetLogger(r.logger.With("db", names[i]))
	}
	r.life.Lock()
	defer r.life.Unlock()
	r.store, r.data = store, dbs[0]
	if err := r.store.Open(ctx); err != nil {
		r.store, r.data = nil, nil
		r.lease.release(context.WithoutCancel(ctx))
		return fmt.Errorf("starting replication to %s: %w", r.cfg, err)
	}
	// Litestream reads a database first at its monitor's first tick, one
	// sync interval from now, and its Close syncs only a database it has
	// read: a server stopped before that tick would send nothing, neither
	// what it wrote nor what was written while no server ran. Send both now.
	for i, db := range dbs {
		if err := db.SyncAndWait(ctx); err != nil {
			r.store.Close(context.WithoutCancel(ctx))
			r.store, r.data = nil, nil
			r.lease.release(context.WithoutCancel(ctx))
			return fmt.Errorf("starting replication to %s: sending %s: %w", r.cfg, names[i], err)
		}
	}
	return nil
}

// ErrBehindReplica says the replica holds changes that this data
// directory's stream never had: another server wrote it since.
var ErrBehindReplica = errors.New("the replica holds changes this data directory lacks")

// checkInStep refuses to stream a database whose stream fell behind the
// replica's history: a server restarted on an old disk after another one
// took over would otherwise make its older data the replica's latest.
// Litestream's local state records how far this directory's stream went;
// without it (a new machine, a restored backup) there is nothing to compare
// and the database streams as a new snapshot.
func (r *Replicator) checkInStep(ctx context.Context, db *litestream.DB, client litestream.ReplicaClient) error {
	_, local, err := db.MaxLTX()
	if err != nil || local == 0 {
		return err
	}
	plan, err := litestream.CalcRestorePlan(ctx, client, 0, time.Time{}, r.logger)
	if errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading the replica %s: %w", r.cfg, err)
	}
	if head := plan[len(plan)-1].MaxTXID; head > local {
		return fmt.Errorf("%w: its history reaches transaction %d, and this directory's stream stopped at %d, so another server wrote it since. "+
			"Streaming now would make this directory's older data the replica's latest. To carry on from the replica, move %s (with its -wal and -shm) aside and start again: it is restored. "+
			"To keep this directory's data instead and make it the replica's latest, delete %s first",
			ErrBehindReplica, head, local, filepath.Join(r.dataDir, DataDB), db.MetaPath())
	}
	return nil
}

// WaitReplicated returns once every change committed before the call is
// in the replica. Callers that arrive together share one sync (group
// commit): one round of uploads answers all of them.
func (r *Replicator) WaitReplicated(ctx context.Context) error {
	r.life.RLock()
	running := r.store != nil
	r.life.RUnlock()
	if !running {
		return errStopped
	}
	if err := r.lease.held(); err != nil {
		return err
	}
	return r.group.wait(ctx)
}

// Held reports why this server may not write, or nil while it holds the
// replica's lease.
func (r *Replicator) Held() error { return r.lease.held() }

// Stop sends what is pending, stops streaming and gives up the lease.
func (r *Replicator) Stop(ctx context.Context) error {
	var err error
	r.life.Lock()
	defer r.life.Unlock()
	if r.store != nil {
		err = r.store.Close(ctx)
		r.store, r.data = nil, nil
	}
	return errors.Join(err, r.lease.release(ctx))
}

// Status is where the replica stands, for logs and tests.
func (r *Replicator) Status(ctx context.Context) (litestream.SyncStatus, error) {
	r.life.RLock()
	defer r.life.RUnlock()
	if r.data == nil {
		return litestream.SyncStatus{}, errors.New("replication is not running")
	}
	return r.data.SyncStatus(ctx)
}
