// Command wxbase is a self-hosted backend for WeChat mini-programs:
// PocketBase plus WeChat login, in one binary with an embedded SQLite.
package main

import (
	"embed"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"wxbase/hooks"
)

//go:embed all:pb_public
var embeddedPublic embed.FS

// readme is served at /README.md, so the landing page's quick start link
// works on a server that has nothing else installed.
//
//go:embed README.md
var readme []byte

// inSourceTree reports whether the working directory is wxbase's source.
func inSourceTree() bool {
	goMod, err := os.ReadFile("go.mod")
	return err == nil && strings.HasPrefix(string(goMod), "module wxbase\n")
}

func main() {
	// Dev mode prints every SQL statement; it stays opt-in (--dev), even
	// under `go run`, so a first start shows the superuser link, not SQL.
	// PocketBase seals its settings with the key in this variable: the one
	// an operator may set, or the key wxbase made in pb_data, which the
	// vault puts there.
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false, DefaultEncryptionEnv: "WXBASE_ENCRYPTION_KEY"})

	cfg, err := hooks.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.Public, _ = fs.Sub(embeddedPublic, "pb_public")
	cfg.Readme = readme

	flags := app.RootCmd.PersistentFlags()
	flags.BoolVar(&cfg.Mock, "wechat-mock", false,
		"answer every WeChat login with a built-in fake (codes mock:<name>); for trying wxbase, never for production")
	timeouts := hooks.DefaultHTTPTimeouts()
	flags.DurationVar(&cfg.HTTP.ReadHeader, "http-read-header-timeout", timeouts.ReadHeader,
		"close a connection that has not sent a request's headers within this time")
	flags.DurationVar(&cfg.HTTP.Read, "http-read-timeout", timeouts.Read,
		"close a connection that has not sent a whole request, body included, within this time")
	flags.DurationVar(&cfg.HTTP.Write, "http-write-timeout", timeouts.Write,
		"close a connection that has not taken a whole response within this time (open realtime sockets are exempt)")
	flags.DurationVar(&cfg.HTTP.Idle, "http-idle-timeout", timeouts.Idle,
		"close a kept-alive connection idle for this long")
	var hooksDir string
	flags.StringVar(&hooksDir, "hooksDir", "", "the directory with the JS app hooks (default pb_data/../pb_hooks)")
	var hooksWatch bool
	flags.BoolVar(&hooksWatch, "hooksWatch", true, "restart the app when a pb_hooks file changes")

	// The JS hooks are set up below, before the command runs: read the
	// flags they need now, as PocketBase's own examples do.
	_ = app.RootCmd.ParseFlags(os.Args[1:])
	if hooksDir == "" {
		hooksDir = filepath.Join(app.DataDir(), "../pb_hooks")
	}
	if hooksWatch && slices.Contains(os.Args[1:], "serve") {
		// The watcher only watches a directory that exists when it starts:
		// make it, so the first file a developer adds is picked up at once.
		// Where it cannot be made (a read-only app directory), hooks simply
		// stay off, as before.
		if err := os.MkdirAll(hooksDir, 0o755); err != nil {
			log.Printf("cannot create the hooks directory (%v): JS hooks stay off until it exists", err)
		}
	}

	// Every route, hook, command and start-up task wxbase adds.
	wx := hooks.Register(app, &cfg)

	// Server logic without recompiling: pb_hooks/*.pb.js are our cloud
	// functions, with the WeChat API as $wechat and the login hook as
	// onWechatLogin. (The JS runtimes are made here, so the API must exist
	// first.)
	jsvm.MustRegister(wx.JSApp(), jsvm.Config{
		HooksDir:      hooksDir,
		HooksWatch:    hooksWatch,
		HooksPoolSize: 15,
		OnInit:        wx.BindJS,
	})
	// Schema changes made in the dashboard during `go run` in this source
	// tree become Go migrations in ./migrations, compiled into the next
	// build. PocketBase's go-run guess also fires for any binary in a temp
	// dir, so the source tree itself is required too.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangGo,
		Automigrate:  osutils.IsProbablyGoRun() && inSourceTree(),
		Dir:          "migrations",
	})

	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}
