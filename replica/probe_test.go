package replica

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// carelessS3 stores objects but ignores If-None-Match and If-Match, as some
// S3-compatible services do.
func carelessS3(t *testing.T) (*httptest.Server, func() int) {
	var mu sync.Mutex
	objects := map[string][]byte{}
	puts := 0
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			body, _ := io.ReadAll(r.Body)
			objects[r.URL.Path] = body
			puts++
			w.Header().Set("ETag", `"etag-of-`+strings.ReplaceAll(r.URL.Path, "/", "-")+`"`)
		case http.MethodDelete:
			delete(objects, r.URL.Path)
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(server.Close)
	return server, func() int { mu.Lock(); defer mu.Unlock(); return puts }
}

func TestDurableModeRefusesAnEndpointWithoutConditionalWrites(t *testing.T) {
	server, puts := carelessS3(t)
	cfg := Config{Bucket: "b", Path: "app", Endpoint: server.URL, Region: "us-east-1", ForcePathStyle: true,
		AccessKeyID: "a", SecretAccessKey: "s", Mode: Durable, LeaseTTL: 30 * time.Second, SyncInterval: time.Second}
	if err := probeConditionalWrites(context.Background(), cfg, newObjectClient(cfg)); !errors.Is(err, ErrNoConditionalWrites) {
		t.Fatalf("the probe of an endpoint that ignores conditions: %v", err)
	}
	before := puts()
	r := New(cfg, t.TempDir(), slog.New(slog.DiscardHandler), nil)
	err := r.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "durable replication") || !strings.Contains(err.Error(), "conditional writes") {
		t.Fatalf("durable mode started on it: %v", err)
	}
	if puts() != before+2 { // the probe's own two PUTs; no lease, no database
		t.Fatalf("%d PUTs after the probe failed; want none besides the probe's", puts()-before-2)
	}
}
