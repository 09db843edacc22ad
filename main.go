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
	"github.com/pocketbase/pocketbase/cmd"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/osutils"

	"wxbase/cloudquery"
	"wxbase/hooks"
)

//go:embed all:pb_public
var embeddedPublic embed.FS

// docs are served at their paths (/README.md, /docs/realtime.md, ...), so
// the landing page's quick-start link, and the links between the documents,
// work on a server that has nothing else installed.
//
//go:embed README.md BENCHMARKS.md docs/*.md sdk/miniprogram/README.md
var docs embed.FS

// inSourceTree reports whether the working directory is wxbase's source.
func inSourceTree() bool {
	goMod, err := os.ReadFile("go.mod")
	return err == nil && strings.HasPrefix(string(goMod), "module wxbase\n")
}

// atExit runs when the command is done (the profiles of pprof.go).
var atExit []func()

func main() {
	// Dev mode prints every SQL statement; it stays opt-in (--dev), even
	// under `go run`, so a first start shows the superuser link, not SQL.
	// PocketBase seals its settings with the key in this variable: the one
	// an operator may set, or the key wxbase made in pb_data, which the
	// vault puts there.
	cfg, err := hooks.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	// While a server replicates, Litestream checkpoints the replicated
	// databases, not each commit (hooks.ReplicatedDBConnect). The read
	// pool keeps up to 64 idle connections, not PocketBase's 15: with more
	// concurrent requests than that, connections were closed and opened
	// again all the time, each open running its pragmas and preparing its
	// statements anew (about a quarter of a returning login's CPU at 32
	// clients). An idle connection's page cache only holds pages it read.
	app := pocketbase.NewWithConfig(pocketbase.Config{
		DefaultDev:           false,
		DefaultEncryptionEnv: "WXBASE_ENCRYPTION_KEY",
		DBConnect:            hooks.ReplicatedDBConnect(cfg.Replica, slices.Contains(os.Args[1:], "serve")),
		DataMaxIdleConns:     64,
	})
	cfg.Public, _ = fs.Sub(embeddedPublic, "pb_public")
	cfg.Docs = docs

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
	flags.DurationVar(&cfg.Aggregate.Timeout, "aggregate-timeout", cloudquery.DefaultAggregateTimeout,
		"stop an aggregate() pipeline that runs longer than this")
	flags.IntVar(&cfg.Aggregate.MaxDocs, "aggregate-max-docs", cloudquery.DefaultMaxDocs,
		"the most documents an aggregate() stage may hold in memory")
	var hooksDir string
	flags.StringVar(&hooksDir, "hooksDir", "", "the directory with the JS app hooks (default pb_data/../pb_hooks)")
	var hooksWatch bool
	flags.BoolVar(&hooksWatch, "hooksWatch", true, "restart the app when a pb_hooks file changes")
	var migrationsDir string
	flags.StringVar(&migrationsDir, "migrationsDir", "", "the directory with the JS migrations, applied at start (default pb_data/../pb_migrations)")
	var automigrate bool
	flags.BoolVar(&automigrate, "automigrate", osutils.IsProbablyGoRun() && inSourceTree(),
		"write each schema change as a JS migration into the migrations directory (default on under go run in wxbase's source tree)")

	// wxbase's hooks and the JS hooks are set up below, before the command
	// runs: read the flags they need now, as PocketBase's own examples do.
	_ = app.RootCmd.ParseFlags(os.Args[1:])
	if hooksDir == "" {
		hooksDir = filepath.Join(app.DataDir(), "../pb_hooks")
	}
	if migrationsDir == "" {
		migrationsDir = filepath.Join(app.DataDir(), "../pb_migrations")
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
	wx := hooks.Register(app, cfg)

	// Server logic without recompiling: pb_hooks/*.pb.js are our cloud
	// functions, with the WeChat API as $wechat and the login hook as
	// onWechatLogin. (The JS runtimes are made here, so the API must exist
	// first.) pb_migrations/*.js are applied at every start, before serving.
	jsvm.MustRegister(wx.JSApp(), jsvm.Config{
		HooksDir:      hooksDir,
		HooksWatch:    hooksWatch,
		HooksPoolSize: 15,
		MigrationsDir: migrationsDir,
		OnInit:        wx.BindJS,
	})
	// Schema changes made in the dashboard or the API are written as JS
	// migrations beside pb_data, as PocketBase's prebuilt binary does: they
	// carry a schema to another server, they are never compiled into this
	// binary, and a developer's experiments cannot reach wxbase's own
	// migrations nor its tests. On by default only while developing from
	// the source tree.
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangJS,
		Automigrate:  automigrate,
		Dir:          migrationsDir,
	})

	// Start as PocketBase's app.Start does, but keep the command's error
	// for the exit status: PocketBase v0.39 prints it and exits 0.
	app.RootCmd.AddCommand(cmd.NewSuperuserCommand(app), cmd.NewServeCommand(app, true))
	failure := watchFailures(app.RootCmd, os.Args[1:])
	if hooks.RunsReplicaCommand(app) {
		// Without bootstrapping: it would create an empty data.db on a new
		// machine, which the next start would replicate instead of
		// restoring the replica's.
		_ = app.RootCmd.Execute()
	} else {
		err = app.Execute()
	}
	for _, done := range atExit {
		done()
	}
	if err != nil {
		log.Fatal(err)
	}
	if failure.err != nil {
		os.Exit(1)
	}
}
