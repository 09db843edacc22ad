package hooks

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/spf13/cobra"

	"wxbase/replica"
	"wxbase/secrets"
)

// replication is the server's side of package replica: the database is
// restored from the replica before PocketBase opens it, streams to it
// while the server runs, and is flushed to it when the server stops. In
// durable mode no response leaves before the writes it may acknowledge
// are in the replica.
type replication struct {
	r *replica.Replicator
	// durable and waitReplicated are r's, apart for tests of the gate.
	durable        bool
	waitReplicated func(context.Context) error
	// writes counts the statements that may have written data.db: every
	// Exec, and every query on the writer connection (an INSERT ...
	// RETURNING, a read inside a write transaction). A request during
	// which it moved waits for the replica before answering (durable).
	writes atomic.Uint64
	// lost is set once the lease is lost: writes are refused from then on.
	lost atomic.Pointer[error]
}

// RunsReplicaCommand reports whether the binary runs `wxbase replica ...`.
// Those commands work on the bucket alone and must run without
// PocketBase's bootstrap: on a new machine it would create an empty
// data.db, and the next start would stream that over the replica instead
// of restoring it.
func RunsReplicaCommand(binary *pocketbase.PocketBase) bool {
	if binary == nil {
		return false
	}
	found, _, err := binary.RootCmd.Find(os.Args[1:])
	for ; err == nil && found != nil; found = found.Parent() {
		if found.Name() == "replica" && found.Parent() == binary.RootCmd {
			return true
		}
	}
	return false
}

func newReplication(app core.App, cfg replica.Config) *replication {
	rp := &replication{}
	// Litestream's own chatter (monitors starting, compactions) stays out
	// of the terminal and the logs; its warnings and errors go to stderr.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("replica", cfg.String())
	rp.r = replica.New(cfg, app.DataDir(), logger, func(err error) {
		rp.lost.Store(&err)
		fmt.Fprintf(os.Stderr, "ERROR: %v. This server refuses writes from now on; restart it once the other server has stopped.\n", err)
	})
	rp.durable, rp.waitReplicated = rp.r.Durable(), rp.r.WaitReplicated
	return rp
}

// ReplicatedDBConnect opens PocketBase's connections. For a server that
// replicates, the replicated databases' connections do not checkpoint at
// their commits (wal_autocheckpoint=0): Litestream always holds a read
// transaction, so the WAL stays past SQLite's 1,000-page threshold and
// every commit tried a checkpoint that could not finish, re-reading the
// WAL each time (28% of the server's CPU under load, measured with -profile
// in the replication bench). Litestream checkpoints them itself, once it
// has read the WAL, with checkpoints that block nobody. Other commands
// (no Litestream running) keep SQLite's own.
func ReplicatedDBConnect(cfg replica.Config, serving bool) core.DBConnectFunc {
	return func(dbPath string) (*dbx.DB, error) {
		name := filepath.Base(dbPath)
		if cfg.Enabled() && serving && (name == replica.DataDB || (cfg.Auxiliary && name == replica.AuxiliaryDB)) {
			// PocketBase's connection string, plus one pragma: every
			// connection of the pool gets it, the ones opened later too.
			return dbx.Open("sqlite", dbPath+defaultPragmas+"&_pragma=wal_autocheckpoint(0)")
		}
		return core.DefaultDBConnect(dbPath)
	}
}

// defaultPragmas are core.DefaultDBConnect's (PocketBase v0.39.11).
const defaultPragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=journal_size_limit(200000000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)"

// restoreMissing restores data.db from the replica when the data
// directory has none, before PocketBase opens it (for every command: a
// `superuser upsert` on a new machine works on the restored data too).
// Then it counts the statements that may write (writes).
func (rp *replication) restoreMissing(e *core.BootstrapEvent) error {
	dataDir := e.App.DataDir()
	envName := e.App.EncryptionEnv()
	keyFile := filepath.Join(dataDir, secrets.KeyringFile)
	_, statErr := os.Stat(keyFile)
	keyPresent := statErr == nil || (envName != "" && os.Getenv(envName) != "")
	hint := fmt.Sprintf("Put your copy of the key file at %s (or the key in $%s)", keyFile, envName)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	restored, took, err := rp.r.RestoreMissing(ctx, keyPresent, hint)
	if err != nil {
		return err
	}
	if restored {
		fmt.Fprintf(os.Stderr, "Restored %s from the replica %s in %s.\n", filepath.Join(dataDir, replica.DataDB), rp.r.Config(), took.Round(time.Millisecond))
	}
	if err := e.Next(); err != nil {
		return err
	}
	count := func(context.Context, time.Duration, string, sql.Result, error) { rp.writes.Add(1) }
	countQuery := func(context.Context, time.Duration, string, *sql.Rows, error) { rp.writes.Add(1) }
	for _, b := range []dbx.Builder{e.App.NonconcurrentDB(), e.App.ConcurrentDB()} {
		if db, ok := b.(*dbx.DB); ok {
			db.ExecLogFunc = chainExec(db.ExecLogFunc, count)
		}
	}
	if db, ok := e.App.NonconcurrentDB().(*dbx.DB); ok {
		db.QueryLogFunc = chainQuery(db.QueryLogFunc, countQuery)
	}
	// The reader pool runs what PocketBase takes for a read: a query that
	// is not a plain SELECT there (WITH ... UPDATE ... RETURNING from a
	// pb_hooks script) counts too.
	if db, ok := e.App.ConcurrentDB().(*dbx.DB); ok {
		db.QueryLogFunc = chainQuery(db.QueryLogFunc, func(ctx context.Context, t time.Duration, sql string, rows *sql.Rows, err error) {
			if !isPlainSelect(sql) {
				rp.writes.Add(1)
			}
		})
	}
	return nil
}

// isPlainSelect reports whether the statement starts with SELECT: one that
// reads only (a WITH may hold a write, so it counts as one).
func isPlainSelect(sql string) bool {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	return len(sql) >= 6 && strings.EqualFold(sql[:6], "SELECT")
}

func chainExec(prev, next dbx.ExecLogFunc) dbx.ExecLogFunc {
	if prev == nil {
		return next
	}
	return func(ctx context.Context, t time.Duration, sql string, result sql.Result, err error) {
		next(ctx, t, sql, result, err)
		prev(ctx, t, sql, result, err)
	}
}

func chainQuery(prev, next dbx.QueryLogFunc) dbx.QueryLogFunc {
	if prev == nil {
		return next
	}
	return func(ctx context.Context, t time.Duration, sql string, rows *sql.Rows, err error) {
		next(ctx, t, sql, rows, err)
		prev(ctx, t, sql, rows, err)
	}
}

// start takes the replica's lease and starts streaming (from the
// server's start-up, once it holds the data directory's lock).
func (rp *replication) start(app core.App) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rp.r.Start(ctx); err != nil {
		return err
	}
	cfg := rp.r.Config()
	mode := fmt.Sprintf("async: changes reach it within about %s", cfg.SyncInterval)
	if rp.r.Durable() {
		mode = "durable: a write is acknowledged once it is in the replica"
	}
	app.Logger().Info("Replicating the database.", "replica", cfg.String(), "mode", cfg.Mode, "leaseTTL", cfg.LeaseTTL.String())
	fmt.Fprintf(os.Stderr, "Replicating %s to %s (%s).\n", replica.DataDB, cfg, mode)
	if !app.Settings().S3.Enabled {
		app.Logger().Warn("Uploaded files are stored on this machine only: they are not in the database's replica.")
		fmt.Fprintf(os.Stderr, "WARNING: uploaded files are stored in %s on this machine only, not in the replica. "+
			"To keep them too, turn on S3 file storage (dashboard: Settings > Files storage).\n", filepath.Join(app.DataDir(), "storage"))
	}
	return nil
}

// stop sends what is pending and gives up the lease (the server's end,
// and its restart after a restored backup).
func (rp *replication) stop(e *core.TerminateEvent) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rp.r.Stop(ctx); err != nil {
		e.App.Logger().Error("Replication could not send everything before stopping.", "error", err)
		fmt.Fprintf(os.Stderr, "ERROR: replication could not send everything before stopping: %v\n", err)
	}
	return e.Next()
}

// stopForRestore stops replication before a backup is restored. The
// restore leaves Litestream's state out (replica.StateDirs are in no
// backup and are moved aside with the old data), so the restarted server
// continues the replica's history with a snapshot of the restored data:
// restoring the replica later gives the backup's data and what followed,
// never a mix with what the backup replaced.
func (rp *replication) stopForRestore(e *core.BackupEvent) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := rp.r.Stop(ctx); err != nil {
		e.App.Logger().Warn("Replication could not send everything before the restore.", "error", err)
	}
	err := e.Next()
	if err != nil {
		// The restore failed and the data stayed: replicate it again.
		if startErr := rp.start(e.App); startErr != nil {
			return errors.Join(err, fmt.Errorf("restarting replication: %w", startErr))
		}
	}
	return err
}

// refuseWritesWhenLost is the model-level backstop of a lost lease: no
// record, collection or setting is saved (cron jobs, pb_hooks), only the
// request logs, which stay on this machine.
func (rp *replication) refuseWritesWhenLost(e *core.ModelEvent) error {
	if err := rp.refuseIfLost(e.Model.TableName()); err != nil {
		return err
	}
	return e.Next()
}

// refuseIfLost answers a write to table once the lease is lost.
func (rp *replication) refuseIfLost(table string) error {
	if lost := rp.lost.Load(); lost != nil && table != core.LogsTableName {
		// An API error passes through PocketBase's handlers as it is: a
		// request that began before the loss gets the same 503 as one after.
		return router.NewApiError(http.StatusServiceUnavailable, lostLeaseMessage, *lost)
	}
	return nil
}

// optimizeWithoutCheckpoint replaces PocketBase's daily __pbDBOptimize__
// job while replicating: its wal_checkpoint(TRUNCATE) waits for every
// reader, and Litestream always holds one, so it stalled every write for
// the 10 s busy timeout. Litestream checkpoints data.db itself (passive
// checkpoints, which block nobody).
func (rp *replication) optimizeWithoutCheckpoint(app core.App) func() {
	return func() {
		if !rp.r.Config().Auxiliary {
			if _, err := app.AuxNonconcurrentDB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
				app.Logger().Warn("Failed to run periodic PRAGMA wal_checkpoint for the auxiliary DB", "error", err)
			}
		}
		if _, err := app.NonconcurrentDB().NewQuery("PRAGMA optimize").Execute(); err != nil {
			app.Logger().Warn("Failed to run periodic PRAGMA optimize", "error", err)
		}
	}
}

// handler guards the HTTP server: while the lease is lost, no request that
// may write is served; in durable mode, a response waits for the replica
// whenever data.db may have been written while it was made.
func (rp *replication) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if lost := rp.lost.Load(); lost != nil && !safeMethod(req.Method) {
			writeReplicaError(w, http.StatusServiceUnavailable, lostLeaseMessage)
			return
		}
		if !rp.durable {
			next.ServeHTTP(w, req)
			return
		}
		g := &durableWriter{w: w, rp: rp, ctx: req.Context(), writesAtStart: rp.writes.Load()}
		next.ServeHTTP(g, req)
		g.finish()
	})
}

const lostLeaseMessage = "This server lost the replica's lease to another server and no longer accepts writes. Send writes to the server that holds it."

func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func writeReplicaError(w http.ResponseWriter, status int, message string) {
	h := w.Header()
	for _, name := range []string{"Content-Length", "Content-Encoding", "Etag", "Last-Modified", "Content-Disposition"} {
		h.Del(name)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d,"message":%q,"data":{}}`, status, message)
}

// durableBufferLimit is how much of a response waits in memory for the
// replica; a longer one (a file download) is gated when it reaches it.
const durableBufferLimit = 256 << 10

// durableWriter holds a response until the replica has every change
// committed before it: when the handler returns, flushes, hijacks the
// connection (WebSocket), or writes more than durableBufferLimit. A
// response written inside a transaction, before its commit, is held too.
type durableWriter struct {
	w             http.ResponseWriter
	rp            *replication
	ctx           context.Context
	writesAtStart uint64

	status   int
	buf      []byte
	released bool
	failed   bool
}

func (g *durableWriter) Header() http.Header { return g.w.Header() }

func (g *durableWriter) WriteHeader(status int) {
	if g.released {
		g.w.WriteHeader(status)
		return
	}
	if g.status == 0 || g.status < 200 { // informational headers may repeat
		g.status = status
	}
}

func (g *durableWriter) Write(p []byte) (int, error) {
	if g.released {
		if g.failed {
			return len(p), nil // the error response is sent; drop the rest
		}
		return g.w.Write(p)
	}
	if g.status == 0 {
		g.status = http.StatusOK
	}
	g.buf = append(g.buf, p...)
	if len(g.buf) > durableBufferLimit {
		g.release()
	}
	return len(p), nil
}

func (g *durableWriter) Flush() {
	g.release()
	if flusher, ok := g.w.(http.Flusher); ok && !g.failed {
		flusher.Flush()
	}
}

func (g *durableWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	g.release()
	if g.failed {
		return nil, nil, errors.New("the replica did not confirm the request's writes")
	}
	return http.NewResponseController(g.w).Hijack()
}

func (g *durableWriter) Unwrap() http.ResponseWriter { return g.w }

func (g *durableWriter) finish() { g.release() }

// release waits for the replica if data.db may have been written since
// the request began, then lets the response out: the held one, or an
// error in its place when the replica did not confirm.
func (g *durableWriter) release() {
	if g.released {
		return
	}
	g.released = true
	if g.rp.writes.Load() != g.writesAtStart {
		if err := g.rp.waitReplicated(g.ctx); err != nil {
			g.failed = true
			writeReplicaError(g.w, http.StatusServiceUnavailable, fmt.Sprintf(
				"The change was saved on this server, but the replica did not confirm it (durable mode), so it is not acknowledged: it may or may not be kept if this machine is lost. Check before retrying. Cause: %v", err))
			return
		}
	}
	if g.status != 0 {
		g.w.WriteHeader(g.status)
	}
	if len(g.buf) > 0 {
		g.w.Write(g.buf)
	}
	g.buf = nil
}

// newReplicaCommand is `wxbase replica`, with `unlock`: an admin's way to
// take over at once from a server known to be gone.
func newReplicaCommand(cfg replica.Config) *cobra.Command {
	command := &cobra.Command{Use: "replica", Short: "Manage the database's replica (WXBASE_REPLICA_URL)"}
	command.AddCommand(&cobra.Command{
		Use:   "unlock",
		Short: "Delete the replica's lease, so that a new server takes over at once from one that is gone",
		Long: "Delete the replica's lease. Use it only when the server that held it is gone (killed, its machine lost):\n" +
			"a server still running finds its lease taken at its next renewal and stops accepting writes.\n" +
			"Without it, a new server can start once the lease has expired (WXBASE_REPLICA_LEASE_TTL, 30s by default).",
		Args: cobra.NoArgs,
		RunE: func(command *cobra.Command, args []string) error {
			if !cfg.Enabled() {
				return fmt.Errorf("replication is not configured: set $%s", replica.EnvURL)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			owner, err := replica.Unlock(ctx, cfg)
			if err != nil {
				return err
			}
			if owner == "" {
				fmt.Fprintf(command.OutOrStdout(), "The replica %s has no lease: a server can start on it now.\n", cfg)
			} else {
				fmt.Fprintf(command.OutOrStdout(), "Deleted the lease of %s on the replica %s: a server can start on it now.\n", owner, cfg)
			}
			return nil
		},
	})
	return command
}
