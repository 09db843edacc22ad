package main_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"wxbase/internal/testkit"
	"wxbase/replica"
)

// replicaPaths makes every test's replica path unique inside a shared bucket.
var replicaPaths atomic.Int64

// replicaEnv is the environment that replicates to a fresh path of s3 in
// mode (replica.Async or replica.Durable), with extra settings appended
// (WXBASE_REPLICA_LEASE_TTL=3s, say).
func replicaEnv(t *testing.T, s3 *testkit.S3Server, mode string, extra ...string) []string {
	t.Helper()
	path := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + "-" + string(rune('a'+replicaPaths.Add(1)%26))
	return sameReplica(s3, path, mode, extra...)
}

// sameReplica is the environment of the replica at path, for a second
// server (or a restart) on the same replica.
func sameReplica(s3 *testkit.S3Server, path, mode string, extra ...string) []string {
	return append([]string{
		replica.EnvURL + "=" + s3.URL(path),
		replica.EnvAccessKeyID + "=" + s3.AccessKeyID,
		replica.EnvSecretAccessKey + "=" + s3.SecretAccessKey,
		replica.EnvMode + "=" + mode,
	}, extra...)
}

// replicaPathOf returns the replica path an environment of replicaEnv names.
func replicaPathOf(env []string) string {
	for _, kv := range env {
		if url, ok := strings.CutPrefix(kv, replica.EnvURL+"="); ok {
			path := strings.TrimPrefix(url, "s3://")
			path = path[strings.Index(path, "/")+1:]
			return path[:strings.Index(path, "?")]
		}
	}
	return ""
}
