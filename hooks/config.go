package hooks

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"time"

	"wxbase/secrets"
	"wxbase/wechat"
)

// Config is what wxbase reads from its environment and flags. Register keeps
// a pointer and reads it when the server starts, after flags are parsed.
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
	// Readme is served at /README.md for the landing page's quick-start link.
	Readme []byte
	// Vault seals secrets; main makes it so that its key commands share it.
	// nil makes a new one.
	Vault *secrets.Vault
	// Transport, when set, carries upstream calls (tests use it to reach a
	// fake in-process); nil means the network.
	Transport http.RoundTripper
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
	return cfg, nil
}
