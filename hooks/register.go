// Package hooks binds everything wxbase adds onto a PocketBase app: routes,
// record hooks, start-up tasks, and the binary's commands and terminal. main
// and the tests both call Register, so the tests exercise exactly what
// production runs.
package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/fatih/color"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"wxbase/cloudquery"
	"wxbase/datalock"
	"wxbase/importer"
	"wxbase/migrations"
	"wxbase/realtime"
	"wxbase/secrets"
	"wxbase/wechat"
)

// server holds what the routes share.
type server struct {
	cfg    Config
	vault  *secrets.Vault
	apps   *appCache
	client *wechat.Client
	wechat *Wechat
	reads  preparedReads // the returning-user login's reads: account, then user
	// openids maps owners to their openid, for the _openid of documents.
	openids cloudquery.OpenIDs
	// enrichHooks counts the record enrich hooks bound when Register
	// returned: wxbase's own, which hide only fields a pipeline may not
	// name. While no other is bound (a pb_hooks script's, say),
	// aggregate() may group in SQL (databaseAggregate).
	enrichHooks int
	// listHooks counts the records list request hooks bound when Register
	// returned (wxbase's own): while no other is bound, no hook can change
	// what a list shows, and aggregate() may group in SQL.
	listHooks int
	// replication streams data.db to the replica (nil when off).
	replication *replication
	// direct creates a first login's records without the events no one
	// but PocketBase and wxbase listens to.
	direct directCreates
	writer writerStatements // a first login's statements
}

// Register shows, in one place, everything wxbase adds, configured by cfg.
// It returns the WeChat API for server code, with the login hook
// (Wechat.OnLogin); its calls work once the server has started.
//
// One thing stays in main: pb_hooks get $wechat and onWechatLogin from
// jsvm.MustRegister(wx.JSApp(), jsvm.Config{OnInit: wx.BindJS, ...}), which
// must follow the parsing of --hooksDir.
func Register(app core.App, cfg Config) *Wechat {
	// The binary's own app, which has a command line; tests' apps share a
	// process, and seal their secrets alone.
	binary, _ := app.(*pocketbase.PocketBase)
	v := &secrets.Vault{}
	if binary != nil {
		// Start-up stops when the key is lost, except for the command that
		// recovers from it, so the vault must know before start-up.
		v = secrets.NewVault(slices.Contains(os.Args[1:], secrets.RecoverCommand))
	}
	if app.IsBootstrapped() { // a test app, migrated before Register
		if err := v.Resolve(app); err != nil {
			app.Logger().Error("The encryption key could not be resolved.", "error", err)
		}
	}
	// The record create hooks as PocketBase binds them, before wxbase's.
	createHooks := countCreateHooks(app)
	wx := newWechat(app, v, cfg)
	s := &server{cfg: cfg, vault: v, apps: wx.apps, client: wx.client, wechat: wx}
	wx.database = s.bindDatabase

	// Secrets (secrets.Sealed, by collection and field id) are encrypted at
	// rest from the first start, with a key the data directory keeps apart
	// from its backups, and write-only: hidden from every response,
	// superusers' included.
	app.OnSettingsReload().BindFunc(s.vault.ResolveOnSettingsReload)
	app.OnBootstrap().BindFunc(s.vault.ResolveOnBootstrap)
	app.OnRecordCreate().BindFunc(s.vault.SealOnSave)
	app.OnRecordUpdate().BindFunc(s.vault.SealOnSave)
	app.OnRecordEnrich().BindFunc(secrets.HideSealed)
	// No filter, sort, rule, watch or view may test a sealed value, nor
	// another user's private one (secrets.Private), at any depth: decided
	// by PocketBase's own field resolver. The collection hooks are the
	// model-level ones, which imports, migrations and Go code fire too.
	app.OnRecordsListRequest().BindFunc(refuseProbingFilters)
	app.OnRealtimeSubscribeRequest().BindFunc(refuseProbingSubscriptions)
	app.OnCollectionCreate().BindFunc(secrets.CheckCollection)
	app.OnCollectionUpdate().BindFunc(secrets.CheckCollection)
	app.OnCollectionDelete().BindFunc(secrets.RefuseGuardedDelete)
	app.OnCollectionAfterCreateSuccess().BindFunc(secrets.ForgetOnChange)
	app.OnCollectionAfterUpdateSuccess().BindFunc(secrets.ForgetOnChange)
	app.OnCollectionAfterDeleteSuccess().BindFunc(secrets.ForgetOnChange)
	app.OnCollectionAfterCreateSuccess().BindFunc(recheckSubscriptions)
	app.OnCollectionAfterUpdateSuccess().BindFunc(recheckSubscriptions)
	app.OnCollectionAfterDeleteSuccess().BindFunc(recheckSubscriptions)
	app.OnRecordCreateRequest(appsCollection).BindFunc(keepSecretWhenEmpty)
	app.OnRecordUpdateRequest(appsCollection).BindFunc(keepSecretWhenEmpty)
	app.OnRecordCreateRequest(appsCollection).BindFunc(refuseMockFlagChange)
	app.OnRecordUpdateRequest(appsCollection).BindFunc(refuseMockFlagChange)
	app.OnRecordDeleteRequest(appsCollection).BindFunc(refuseDeletingUsedApp)
	// Users imported from LeanCloud sign in with their LeanCloud password
	// once; it then becomes a password of PocketBase's own.
	app.OnRecordAuthWithPasswordRequest(usersCollection).BindFunc(s.upgradeLeanCloudPassword)
	// Phone numbers come only from WeChat, and only their owner sees them.
	app.OnRecordEnrich(usersCollection).BindFunc(hidePhoneFromOthers)
	app.OnRecordCreateRequest(usersCollection).BindFunc(refusePhoneWrites)
	app.OnRecordUpdateRequest(usersCollection).BindFunc(refusePhoneWrites)

	// CloudBase's _openid: records are stamped with their owner by the server.
	app.OnRecordCreateRequest().BindFunc(stampOwner)
	app.OnRecordUpdateRequest().BindFunc(keepOwner)
	// On the model-level hooks, which an import (saved without validation) fires too.
	app.OnCollectionCreate().BindFunc(refuseMultiUserOwner)
	app.OnCollectionUpdate().BindFunc(refuseMultiUserOwner)
	// Custom ids (doc(openid).set()): a collection whose id field takes
	// other ids than PocketBase's gets a unique index on id COLLATE NOCASE,
	// for PocketBase's case-insensitive duplicate check.
	app.OnCollectionCreate().BindFunc(indexCustomIDs)
	app.OnCollectionUpdate().BindFunc(indexCustomIDs)

	app.OnRecordAfterCreateSuccess(accountsCollection).BindFunc(s.forgetOpenIDs)
	app.OnRecordAfterUpdateSuccess(accountsCollection).BindFunc(s.forgetOpenIDs)
	app.OnRecordAfterDeleteSuccess(accountsCollection).BindFunc(s.forgetOpenIDs)

	app.OnRecordAfterCreateSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)
	app.OnRecordAfterUpdateSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)
	app.OnRecordAfterDeleteSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)

	// Realtime for mini-programs: watch() over a WebSocket (package
	// realtime). Every committed record change is re-evaluated, off the
	// writer's path, by the sockets watching its collection. A watch's
	// filter meets the list API's secret check, with the same answer; its
	// documents are the database routes' (_openid, dates).
	realtimeOptions := cfg.Realtime
	realtimeOptions.CheckFilter = checkWatchFilter
	realtimeOptions.OwnerField = ownerField
	realtimeOptions.Documents = s.watchDocuments
	realtimeOptions.FindCollection = cloudquery.FindCollection
	rt := realtime.New(app, realtimeOptions)
	app.OnRecordAfterCreateSuccess().BindFunc(rt.RecordChanged)
	app.OnRecordAfterUpdateSuccess().BindFunc(rt.RecordChanged)
	app.OnRecordAfterDeleteSuccess().BindFunc(rt.RecordChanged)
	app.OnCollectionAfterUpdateSuccess().BindFunc(rt.CollectionChanged)
	app.OnCollectionAfterDeleteSuccess().BindFunc(rt.CollectionChanged)
	app.OnTerminate().BindFunc(rt.Shutdown)

	// Backups (API, dashboard and schedule) copy the databases through the
	// server's own SQLite connections (backup.go): PocketBase's zips the live
	// files, and closing them drops the server's locks, so a second process
	// on pb_data could delete the WAL under it and lose every later write.
	// This replaces PocketBase's default, so it runs last, after any other
	// handler (pb_hooks' too) has had its say on the name and the excludes.
	// Neither a backup nor a restore touches the encryption key file.
	app.OnBackupCreate().Bind(&hook.Handler[*core.BackupEvent]{Priority: 999, Func: createBackup})
	app.OnBackupRestore().BindFunc(keepOutOfRestore)

	// Replication to S3-compatible storage (replication.go), when
	// WXBASE_REPLICA_URL is set: restored before PocketBase opens data.db,
	// streamed while serving (s.start), flushed at the end. A restored
	// backup continues the replica's history; a lost lease stops writes.
	if cfg.Replica.Enabled() {
		s.replication = newReplication(app, cfg.Replica)
		app.OnBootstrap().Bind(&hook.Handler[*core.BootstrapEvent]{Priority: -1000, Func: s.replication.restoreMissing})
		app.OnBackupRestore().BindFunc(s.replication.stopForRestore)
		app.OnModelCreate().BindFunc(s.replication.refuseWritesWhenLost)
		app.OnModelUpdate().BindFunc(s.replication.refuseWritesWhenLost)
		app.OnModelDelete().BindFunc(s.replication.refuseWritesWhenLost)
		app.Cron().Add("__pbDBOptimize__", "0 0 * * *", s.replication.optimizeWithoutCheckpoint(app))
	}

	if binary != nil {
		// The encryption key's commands: rotate-encryption-key, and
		// recover-lost-key, which starts afresh what no key opens.
		binary.RootCmd.AddCommand(
			secrets.NewRotateCommand(app, v),
			secrets.NewRecoverCommand(app, v, migrations.DefaultSettings),
			// Users and data from LeanCloud (package importer).
			importer.NewCommand(app, importer.Config{
				NoPasswordHash: noPasswordHash,
				EnvApp:         func(a core.App) error { return syncEnvApp(a, s.vault, s.cfg.AppID, s.cfg.Secret) },
			}),
			// `wxbase replica unlock`: take over a replica at once.
			newReplicaCommand(cfg.Replica),
		)
		// Dev mode prints every SQL statement, every stored value in it:
		// the terminal gets them with their literals masked.
		color.Output = maskDevSQL(color.Output)
	}

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// Start-up: the HTTP server's timeouts (tests' routers have no
		// server), then the start-up tasks of start, below.
		if se.Server != nil {
			if err := s.cfg.HTTP.apply(se.Server); err != nil {
				return err
			}
		}
		if err := s.start(se.App); err != nil {
			return err
		}

		se.Router.Bind(rejectInvalidToken())
		se.Router.BindFunc(refuseProbingListRequests)
		// WeChat login; its hook, Wechat.OnLogin, runs between WeChat's
		// answer and the user's creation.
		se.Router.POST("/api/collections/{collection}/auth-with-wechat", s.authWithWechat)
		se.Router.GET("/api/realtime/ws", rt.ServeWS).Bind(apis.SkipSuccessActivityLog())
		wx := se.Router.Group("/api/wechat")
		wx.POST("/phone", s.bindPhone).Bind(apis.RequireAuth(usersCollection))
		wx.POST("/decrypt", s.decryptOpenData).Bind(apis.RequireAuth(usersCollection))
		wx.GET("/session", s.checkSession).Bind(apis.RequireAuth(usersCollection))
		wx.POST("/accounts/{id}/reset-session-key", s.resetSessionKey).Bind(apis.RequireSuperuserAuth())
		// CloudBase's database (wx.cloud.database()), under the
		// collections' own API rules.
		db := se.Router.Group("/api/database/{collection}")
		db.POST("/get", s.databaseGet)
		db.POST("/count", s.databaseCount)
		db.POST("/add", s.databaseAdd)
		db.POST("/set", s.databaseSet)
		db.POST("/update", s.databaseUpdate)
		db.POST("/remove", s.databaseRemove)
		db.POST("/aggregate", s.databaseAggregate)
		if s.cfg.Mock {
			mock := wx.Group("/mock").Bind(apis.RequireAuth(usersCollection))
			mock.POST("/phone-code", s.mockPhoneCode)
			mock.POST("/encrypt", s.mockEncrypt)
			mock.POST("/expire-session", s.mockExpireSession)
		}
		if err := se.Next(); err != nil {
			return err
		}
		// Serving starts after this hook; tests' routers have no server.
		if se.Server != nil {
			se.Server.Handler = allowMethodOverride(se.Server.Handler)
			if s.replication != nil {
				se.Server.Handler = s.replication.handler(se.Server.Handler)
			}
		}
		return nil
	})

	// The landing page, last, so a pb_hooks script may claim "/" first.
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Priority: 999,
		Func: func(se *core.ServeEvent) error {
			if err := serveDocs(se, s.cfg.Docs); err != nil {
				return err
			}
			if s.cfg.Public != nil && !se.Router.HasRoute(http.MethodGet, "/{path...}") {
				se.Router.GET("/{path...}", apis.Static(s.cfg.Public, false))
			}
			return se.Next()
		},
	})
	// The hooks that may change what a list shows, as bound now: wxbase's
	// own (databaseAggregate compares).
	s.enrichHooks = app.OnRecordEnrich().Length()
	s.listHooks = app.OnRecordsListRequest().Length()
	s.direct = newDirectCreates(createHooks, countCreateHooks(app), s.replication != nil)
	return s.wechat
}

// start, in order: the WeChat client, or the in-process fake of
// --wechat-mock with its mock app; the app of WECHAT_APPID/WECHAT_SECRET,
// created or updated; the index of collections with custom ids saved
// without it; what is stored unsealed (an upgrade, an import), sealed with
// the key. Then the WeChat API opens to server code.
func (s *server) start(app core.App) error {
	// One server per data directory: a second would cache collections,
	// settings and the mock WeChat's state the first changes under it.
	// The kernel drops the lock when this process ends.
	lock, err := datalock.Acquire(app.DataDir(), datalock.Serving)
	var held *datalock.HeldError
	if errors.As(err, &held) && held.Doing == datalock.Importing {
		return fmt.Errorf("%w; start the server once the import has ended", held)
	}
	if errors.As(err, &held) {
		return fmt.Errorf("%w; stop it first, or give this one a data directory of its own (--dir)", held)
	}
	if err != nil {
		return fmt.Errorf("locking the data directory: %w", err)
	}
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		lock.Release()
		return e.Next()
	})
	if s.replication != nil {
		if err := s.replication.start(app); err != nil {
			return err
		}
		// Before the lock is released, once the HTTP server has shut down.
		app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{Priority: -1, Func: s.replication.stop})
	}
	if s.cfg.Mock {
		app.Logger().Warn("WeChat mock mode is ON: logins are answered by a built-in fake, never by WeChat. Do not use it in production.")
		printMockWarning()
		if err := s.startMock(app); err != nil {
			return err
		}
	} else {
		if err := syncEnvApp(app, s.vault, s.cfg.AppID, s.cfg.Secret); err != nil {
			return err
		}
		if err := warnAboutMockApps(app); err != nil {
			return err
		}
	}
	if err := indexStoredCustomIDs(app); err != nil {
		return err
	}
	sealed, unopenable, err := s.vault.SealStored(app)
	if err != nil {
		return fmt.Errorf("sealing the stored secrets: %w", err)
	}
	if sealed > 0 {
		app.Logger().Info("Sealed stored secrets with the encryption key.", "count", sealed, "key", s.vault.KeyID())
	}
	if len(unopenable) > 0 {
		// Nothing stops for them: a login stores a new session key, a
		// token is fetched again, an AppSecret must be entered again.
		app.Logger().Warn("Stored secrets that no key of the keyring opens were left as they are.", "values", unopenable)
	}
	s.wechat.serving.Store(true)
	return nil
}
