// Package replica streams wxbase's database to S3-compatible object storage
// and brings it back on an empty disk. It embeds Litestream: every
// committed change of data.db becomes an LTX file in the bucket, a few
// seconds later (async) or before the write is acknowledged (durable). A
// lease object in the bucket lets one server at a time write there.
//
// The package knows nothing of PocketBase: hooks/replication.go binds it
// to the app.
package replica

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The environment variables that configure replication.
const (
	EnvURL             = "WXBASE_REPLICA_URL"
	EnvAccessKeyID     = "WXBASE_REPLICA_ACCESS_KEY_ID"
	EnvSecretAccessKey = "WXBASE_REPLICA_SECRET_ACCESS_KEY"
	EnvMode            = "WXBASE_REPLICA_MODE"
	EnvAuxiliary       = "WXBASE_REPLICA_AUXILIARY"
	EnvLeaseTTL        = "WXBASE_REPLICA_LEASE_TTL"
	EnvSyncInterval    = "WXBASE_REPLICA_SYNC_INTERVAL"
)

// Modes of replication.
const (
	// Async acknowledges a write once it is in the local database; it
	// reaches the replica within the sync interval.
	Async = "async"
	// Durable acknowledges a write only once it is in the replica.
	Durable = "durable"
)

// Defaults.
const (
	DefaultLeaseTTL     = 30 * time.Second
	DefaultSyncInterval = time.Second
)

// Config is where and how the database replicates. The zero value (no URL)
// means replication is off.
type Config struct {
	// Bucket, Path, Endpoint, Region and ForcePathStyle come from the URL,
	// in Litestream's form:
	// s3://bucket/path?endpoint=http://host:port&region=...&forcePathStyle=true
	Bucket, Path, Endpoint, Region string
	ForcePathStyle                 bool
	SkipVerify                     bool

	AccessKeyID     string
	SecretAccessKey string

	Mode string // Async or Durable
	// Auxiliary also replicates auxiliary.db (PocketBase's request logs),
	// always asynchronously.
	Auxiliary bool
	// LeaseTTL is how long the bucket's lease outlives its holder's last
	// renewal: the time a replacement waits after a crash.
	LeaseTTL time.Duration
	// SyncInterval is how often async mode ships new changes.
	SyncInterval time.Duration
}

// Enabled reports whether replication is configured.
func (c Config) Enabled() bool { return c.Bucket != "" }

// String is the replica's address for logs and messages: never a secret.
func (c Config) String() string {
	s := "s3://" + c.Bucket
	if c.Path != "" {
		s += "/" + c.Path
	}
	if c.Endpoint != "" {
		s += " at " + c.Endpoint
	}
	return s
}

// ConfigFromEnv reads the WXBASE_REPLICA_* variables. Nothing else in the
// environment (AWS_*, LITESTREAM_*) counts.
func ConfigFromEnv() (Config, error) {
	return ParseConfig(os.Getenv)
}

// ParseConfig reads the configuration through getenv.
func ParseConfig(getenv func(string) string) (Config, error) {
	raw := strings.TrimSpace(getenv(EnvURL))
	others := []string{EnvAccessKeyID, EnvSecretAccessKey, EnvMode, EnvAuxiliary, EnvLeaseTTL, EnvSyncInterval}
	if raw == "" {
		for _, name := range others {
			if getenv(name) != "" {
				return Config{}, fmt.Errorf("$%s is set but $%s is not: set the replica's URL (s3://bucket/path?endpoint=...) or unset $%s", name, EnvURL, name)
			}
		}
		return Config{}, nil
	}
	c, err := parseURL(raw)
	if err != nil {
		return Config{}, fmt.Errorf("$%s: %w", EnvURL, err)
	}
	c.AccessKeyID = getenv(EnvAccessKeyID)
	c.SecretAccessKey = getenv(EnvSecretAccessKey)
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Config{}, fmt.Errorf("replication to %s needs both $%s and $%s (AWS_* variables are never read, so that no other tool's credentials are used by mistake)", c, EnvAccessKeyID, EnvSecretAccessKey)
	}
	switch c.Mode = strings.ToLower(strings.TrimSpace(getenv(EnvMode))); c.Mode {
	case "":
		c.Mode = Async
	case Async, Durable:
	default:
		return Config{}, fmt.Errorf("$%s=%q: the mode is %q (acknowledge once written locally, ship within a second) or %q (acknowledge only once in the replica)", EnvMode, getenv(EnvMode), Async, Durable)
	}
	if v := getenv(EnvAuxiliary); v != "" {
		if c.Auxiliary, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("$%s=%q: use true or false", EnvAuxiliary, v)
		}
	}
	if c.LeaseTTL, err = duration(getenv, EnvLeaseTTL, DefaultLeaseTTL, 2*time.Second); err != nil {
		return Config{}, err
	}
	if c.SyncInterval, err = duration(getenv, EnvSyncInterval, DefaultSyncInterval, 10*time.Millisecond); err != nil {
		return Config{}, err
	}
	return c, nil
}

func duration(getenv func(string) string, name string, fallback, least time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return fallback, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		return 0, fmt.Errorf("$%s=%q: give a duration of at least %s, such as %s", name, v, least, fallback)
	}
	return d, nil
}

// parseURL reads Litestream's S3 replica URL. Only s3:// is taken: it is
// the one wxbase tests.
func parseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("not a URL; the form is s3://bucket/path?endpoint=https://host&region=...")
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("the scheme is %q; wxbase replicates to S3-compatible storage only: s3://bucket/path?endpoint=https://host&region=... (Tencent COS, Alibaba OSS, AWS S3 and others speak S3)", u.Scheme)
	}
	if u.User != nil {
		return Config{}, fmt.Errorf("the URL holds credentials; give them in $%s and $%s instead, which are never logged", EnvAccessKeyID, EnvSecretAccessKey)
	}
	c := Config{Bucket: u.Host, Path: strings.Trim(u.Path, "/")}
	if c.Bucket == "" {
		return Config{}, errors.New("no bucket: the form is s3://bucket/path?endpoint=...")
	}
	q := u.Query()
	for name := range q {
		switch name {
		case "endpoint", "region", "forcePathStyle", "skipVerify":
		default:
			return Config{}, fmt.Errorf("unknown option %q; wxbase takes endpoint, region, forcePathStyle and skipVerify", name)
		}
	}
	c.Region = q.Get("region")
	if e := q.Get("endpoint"); e != "" {
		if !strings.Contains(e, "://") {
			e = "https://" + e
		}
		eu, err := url.Parse(e)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return Config{}, fmt.Errorf("endpoint %q is not an http(s) address", q.Get("endpoint"))
		}
		c.Endpoint = strings.TrimRight(e, "/")
		// Path-style addressing, unless told otherwise: custom endpoints
		// rarely have a DNS name per bucket (Litestream's default too).
		c.ForcePathStyle = true
	}
	if v := q.Get("forcePathStyle"); v != "" {
		if c.ForcePathStyle, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("forcePathStyle=%q: use true or false", v)
		}
	}
	if v := q.Get("skipVerify"); v != "" {
		if c.SkipVerify, err = strconv.ParseBool(v); err != nil {
			return Config{}, fmt.Errorf("skipVerify=%q: use true or false", v)
		}
	}
	if c.Region == "" {
		if c.Endpoint != "" {
			c.Region = "us-east-1" // most S3-compatible services ignore it
		} else {
			return Config{}, errors.New("no region: add &region=... (AWS S3), or the endpoint of your provider (&endpoint=https://cos.ap-guangzhou.myqcloud.com)")
		}
	}
	return c, nil
}
