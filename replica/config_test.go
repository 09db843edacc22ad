package replica

import (
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestParseConfigOffWhenNoURL(t *testing.T) {
	c, err := ParseConfig(env(nil))
	if err != nil || c.Enabled() {
		t.Fatalf("no URL: %+v, %v", c, err)
	}
	// A credential without a URL is a mistake worth saying.
	if _, err := ParseConfig(env(map[string]string{EnvMode: Durable})); err == nil || !strings.Contains(err.Error(), EnvURL) {
		t.Fatalf("a mode without a URL: %v", err)
	}
}

func TestParseConfigReadsLitestreamURLs(t *testing.T) {
	c, err := ParseConfig(env(map[string]string{
		EnvURL:             "s3://my-bucket/apps/shop?endpoint=http://127.0.0.1:9000&region=ap-guangzhou",
		EnvAccessKeyID:     "AKID",
		EnvSecretAccessKey: "very-secret",
		EnvMode:            "Durable",
		EnvLeaseTTL:        "5s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Bucket: "my-bucket", Path: "apps/shop", Endpoint: "http://127.0.0.1:9000", Region: "ap-guangzhou", ForcePathStyle: true,
		AccessKeyID: "AKID", SecretAccessKey: "very-secret", Mode: Durable, LeaseTTL: 5 * time.Second, SyncInterval: DefaultSyncInterval}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if strings.Contains(c.String(), "very-secret") || strings.Contains(c.String(), "AKID") {
		t.Fatalf("the replica's address names a credential: %s", c)
	}
	// An endpoint without a scheme is https; the region defaults for custom endpoints.
	c, err = ParseConfig(env(map[string]string{EnvURL: "s3://b?endpoint=cos.ap-guangzhou.myqcloud.com&forcePathStyle=false", EnvAccessKeyID: "a", EnvSecretAccessKey: "s"}))
	if err != nil || c.Endpoint != "https://cos.ap-guangzhou.myqcloud.com" || c.ForcePathStyle || c.Region != "us-east-1" || c.Mode != Async {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestParseConfigRefusesWithAReason(t *testing.T) {
	creds := map[string]string{EnvAccessKeyID: "a", EnvSecretAccessKey: "s"}
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{EnvURL: "gs://bucket/path"}, "S3-compatible storage only"},
		{map[string]string{EnvURL: "s3://key:secret@bucket/path?endpoint=http://h"}, "holds credentials"},
		{map[string]string{EnvURL: "s3:///path?endpoint=http://h"}, "no bucket"},
		{map[string]string{EnvURL: "s3://bucket/path"}, "no region"},
		{map[string]string{EnvURL: "s3://bucket/path?endpoint=ftp://h"}, "not an http(s) address"},
		{map[string]string{EnvURL: "s3://bucket/path?endpoint=http://h&sse=x"}, `unknown option "sse"`},
		{map[string]string{EnvURL: "s3://bucket/path?endpoint=http://h", EnvMode: "sync"}, `"async"`},
		{map[string]string{EnvURL: "s3://bucket/path?endpoint=http://h", EnvLeaseTTL: "100ms"}, "at least 2s"},
		{map[string]string{EnvURL: "s3://bucket/path?endpoint=http://h", EnvAuxiliary: "maybe"}, "true or false"},
	} {
		vars := map[string]string{}
		for k, v := range creds {
			vars[k] = v
		}
		for k, v := range tc.vars {
			vars[k] = v
		}
		if _, err := ParseConfig(env(vars)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error with %q", tc.vars, err, tc.want)
		}
	}
	// Credentials come from wxbase's own variables only.
	_, err := ParseConfig(env(map[string]string{EnvURL: "s3://bucket?endpoint=http://h", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"}))
	if err == nil || !strings.Contains(err.Error(), EnvAccessKeyID) {
		t.Fatalf("AWS_* credentials were taken: %v", err)
	}
}
