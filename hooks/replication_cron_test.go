package hooks_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

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
