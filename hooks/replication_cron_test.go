package hooks_test

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/hooks"
	"wxbase/replica"
)

// While replicating, PocketBase's daily job runs no checkpoint on data.db:
// its TRUNCATE checkpoint would wait for Litestream's read transaction and
// stall every write. Without replication, PocketBase's own job is kept.
func TestReplicationReplacesTheDailyCheckpoint(t *testing.T) {
	statementsOf := func(replicating bool) []string {
		e := newEnv(t, func(c *hooks.Config) {
			if replicating {
				c.Replica = replica.Config{Bucket: "b", Endpoint: "http://127.0.0.1:1", Region: "us-east-1",
					AccessKeyID: "a", SecretAccessKey: "s", Mode: replica.Async, LeaseTTL: time.Minute, SyncInterval: time.Second}
			}
		})
		var statements []string
		db := e.app.NonconcurrentDB().(*dbx.DB)
		db.ExecLogFunc = func(_ context.Context, _ time.Duration, sql string, _ sql.Result, _ error) {
			statements = append(statements, sql)
		}
		for _, job := range e.app.Cron().Jobs() {
			if job.Id() == "__pbDBOptimize__" {
				job.Run()
			}
		}
		return statements
	}
	checkpoints := func(statements []string) bool {
		return slices.ContainsFunc(statements, func(s string) bool { return strings.Contains(s, "wal_checkpoint") })
	}
	if plain := statementsOf(false); !checkpoints(plain) {
		t.Fatalf("positive control: PocketBase's job ran %q, no checkpoint", plain)
	}
	replicating := statementsOf(true)
	if checkpoints(replicating) || !slices.Contains(replicating, "PRAGMA optimize") {
		t.Fatalf("while replicating, the daily job ran %q on data.db", replicating)
	}
}

// A replicating server's connections are PocketBase's, but for the
// checkpoint at each commit, which Litestream does instead; other commands
// and other databases keep PocketBase's exactly.
func TestReplicatedConnectionsDifferOnlyInCheckpoints(t *testing.T) {
	cfg := replica.Config{Bucket: "b", Region: "us-east-1", AccessKeyID: "a", SecretAccessKey: "s", Mode: replica.Async}
	pragmas := func(connect core.DBConnectFunc, name string) map[string]string {
		db, err := connect(filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got := map[string]string{}
		for _, pragma := range []string{"busy_timeout", "journal_mode", "journal_size_limit", "synchronous", "foreign_keys", "temp_store", "cache_size", "wal_autocheckpoint"} {
			var value string
			if err := db.NewQuery("PRAGMA " + pragma).Row(&value); err != nil {
				t.Fatal(err)
			}
			got[pragma] = value
		}
		return got
	}
	pocketbase := pragmas(core.DefaultDBConnect, "data.db")
	replicated := pragmas(hooks.ReplicatedDBConnect(cfg, true), "data.db")
	if pocketbase["wal_autocheckpoint"] != "1000" || replicated["wal_autocheckpoint"] != "0" {
		t.Fatalf("autocheckpoint: PocketBase %s, replicating %s", pocketbase["wal_autocheckpoint"], replicated["wal_autocheckpoint"])
	}
	delete(pocketbase, "wal_autocheckpoint")
	delete(replicated, "wal_autocheckpoint")
	if !maps.Equal(pocketbase, replicated) {
		t.Fatalf("the connections differ beyond checkpoints:\nPocketBase %v\nreplicating %v", pocketbase, replicated)
	}
	for _, other := range []map[string]string{
		pragmas(hooks.ReplicatedDBConnect(cfg, false), "data.db"),             // a command, not a server
		pragmas(hooks.ReplicatedDBConnect(cfg, true), "auxiliary.db"),         // not replicated
		pragmas(hooks.ReplicatedDBConnect(replica.Config{}, true), "data.db"), // replication off
	} {
		if other["wal_autocheckpoint"] != "1000" {
			t.Fatalf("a connection without Litestream does not checkpoint: %v", other)
		}
	}
}
