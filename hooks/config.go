package hooks

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"time"

	"wxbase/cloudquery"
	"wxbase/realtime"
	"wxbase/replica"
	"wxbase/wechat"
)

// Config is what wxbase reads from its environment and flags; main parses
// the flags before it calls Register, which takes a copy.
type Config struct {
	// APIBase is WeChat's API base URL (WECHAT_API_BASE); staging and tests
	// point it at a fake.
	APIBase string
	// Timeout limits each upstream WeChat call (WECHAT_TIMEOUT).
	Timeout time.Duration
	// AppID and Secret (WECHAT_APPID, WECHAT_SECRET) create or update one
	// enabled app at start, for deploys configured only by environment.
	AppID, Secret string
	// Mock answers every login with the in-process fake WeChat (--wechat-mock).
	Mock bool
	// Public holds the static site served at "/" (pb_public, embedded).
	Public fs.FS
	// Docs are the project's Markdown documents, each served as plain text
	// at its own path (/README.md for the landing page's quick-start link).
	Docs fs.FS
	// HTTP replaces the HTTP server's connection timeouts (--http-*-timeout).
	HTTP HTTPTimeouts
	// Realtime configures the watch() WebSocket; its zero value is the
	// defaults (realtime.DefaultLimits). Unlike the rest it is read by
	// Register itself, which sets its CheckFilter and OwnerField to
	// wxbase's own.
	Realtime realtime.Options
	// Aggregate caps aggregate() pipelines (--aggregate-timeout,
	// --aggregate-max-docs); zero fields take cloudquery's defaults.
	Aggregate cloudquery.AggregateLimits
	// Replica streams the database to S3-compatible storage
	// (WXBASE_REPLICA_*); its zero value is off.
	Replica replica.Config
}

// HTTPTimeouts bound how long a client may hold a connection without
// finishing a request: a slow or silent client is cut when they run out.
// A zero field keeps PocketBase's own value.
type HTTPTimeouts struct {
	ReadHeader time.Duration // to send a request's headers
	Read       time.Duration // to send a whole request, body included
	Write      time.Duration // to take a whole response
	Idle       time.Duration // between two requests on a kept-alive connection
}

// DefaultHTTPTimeouts are wxbase's defaults. PocketBase allows 1 minute for
// headers and, when idle, the read timeout (5 minutes): generous to a client
// that holds connections open doing nothing. A phone sends its headers at
// once, and WeChat's wx.request reuses a connection within seconds, so 10 s
// and 1 minute lose no real client. Bodies and responses keep PocketBase's
// 5 minutes, for uploads and downloads over slow mobile links.
func DefaultHTTPTimeouts() HTTPTimeouts {
	return HTTPTimeouts{ReadHeader: 10 * time.Second, Read: 5 * time.Minute, Write: 5 * time.Minute, Idle: time.Minute}
}

// apply sets the server's timeouts; negative values are refused.
func (t HTTPTimeouts) apply(server *http.Server) error {
	for _, setting := range []struct {
		flag  string
		value time.Duration
		field *time.Duration
	}{
		{"--http-read-header-timeout", t.ReadHeader, &server.ReadHeaderTimeout},
		{"--http-read-timeout", t.Read, &server.ReadTimeout},
		{"--http-write-timeout", t.Write, &server.WriteTimeout},
		{"--http-idle-timeout", t.Idle, &server.IdleTimeout},
	} {
		switch {
		case setting.value < 0:
			return fmt.Errorf("%s=%s: a timeout cannot be negative", setting.flag, setting.value)
		case setting.value > 0:
			*setting.field = setting.value
		}
	}
	return nil
}

// ConfigFromEnv reads the WECHAT_* environment variables.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		APIBase: os.Getenv("WECHAT_API_BASE"),
		Timeout: wechat.DefaultTimeout,
		AppID:   os.Getenv("WECHAT_APPID"),
		Secret:  os.Getenv("WECHAT_SECRET"),
	}
	if raw := os.Getenv("WECHAT_TIMEOUT"); raw != "" {
		timeout, err := time.ParseDuration(raw)
		if err != nil || timeout <= 0 {
			return cfg, fmt.Errorf("WECHAT_TIMEOUT=%q is not a positive Go duration such as 5s or 800ms", raw)
		}
		cfg.Timeout = timeout
	}
	if (cfg.AppID == "") != (cfg.Secret == "") {
		return cfg, fmt.Errorf("set both WECHAT_APPID and WECHAT_SECRET, or neither")
	}
	var err error
	cfg.Replica, err = replica.ConfigFromEnv()
	return cfg, err
}
