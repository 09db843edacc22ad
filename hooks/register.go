// Package hooks binds everything wxbase adds onto a PocketBase app: routes,
// record hooks, start-up tasks, and the binary's commands and terminal. main
// and the tests both call Register, so the tests exercise exactly what
// production runs.
package hooks

import (
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/fatih/color"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"wxbase/migrations"
	"wxbase/secrets"
	"wxbase/wechat"
	"wxbase/wechat/wechattest"
)

// server holds what the routes share once the server has started.
type server struct {
	cfg    *Config
	client *wechat.Client
	vault  *secrets.Vault
	apps   *appCache
	wechat *Wechat
	reads  preparedReads // the returning-user login's account read

	mockFake *wechattest.Fake // the in-process WeChat of --wechat-mock
}

// Register shows, in one place, everything wxbase adds. cfg is read when
// the server starts, so flags parsed after Register still count. It returns
// the WeChat API for server code, with the login hook (Wechat.OnLogin).
//
// One thing stays in main: pb_hooks get $wechat and onWechatLogin from
// jsvm.MustRegister(wx.JSApp(), jsvm.Config{OnInit: wx.BindJS, ...}), which
// must follow the parsing of --hooksDir.
func Register(app core.App, cfg *Config) *Wechat {
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
	apps := &appCache{vault: v}
	w := &Wechat{vault: v, apps: apps, onLogin: &hook.Hook[*LoginEvent]{}}
	w.js = &jsApp{App: app, wechat: w}
	s := &server{cfg: cfg, vault: v, apps: apps, wechat: w}

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
	app.OnRecordDeleteRequest(appsCollection).BindFunc(refuseDeletingUsedApp)
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

	app.OnRecordAfterCreateSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)
	app.OnRecordAfterUpdateSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)
	app.OnRecordAfterDeleteSuccess(appsCollection).BindFunc(s.apps.invalidateOnChange)

	// Realtime for mini-programs: watch() over a WebSocket (realtime_ws.go).
	// Every committed record change is re-evaluated, off the writer's path,
	// by the sockets watching its collection.
	rt := newRealtime(app)
	app.OnRecordAfterCreateSuccess().BindFunc(rt.recordChanged)
	app.OnRecordAfterUpdateSuccess().BindFunc(rt.recordChanged)
	app.OnRecordAfterDeleteSuccess().BindFunc(rt.recordChanged)
	app.OnCollectionAfterUpdateSuccess().BindFunc(rt.collectionChanged)
	app.OnCollectionAfterDeleteSuccess().BindFunc(rt.collectionChanged)
	app.OnTerminate().BindFunc(rt.shutdown)

	// Backups (API, dashboard and schedule) copy the databases through the
	// server's own SQLite connections (backup.go): PocketBase's zips the live
	// files, and closing them drops the server's locks, so a second process
	// on pb_data could delete the WAL under it and lose every later write.
	// This replaces PocketBase's default, so it runs last, after any other
	// handler (pb_hooks' too) has had its say on the name and the excludes.
	// Neither a backup nor a restore touches the encryption key file.
	app.OnBackupCreate().Bind(&hook.Handler[*core.BackupEvent]{Priority: 999, Func: createBackup})
	app.OnBackupRestore().BindFunc(keepOutOfRestore)

	if binary != nil {
		// The encryption key's commands: rotate-encryption-key, and
		// recover-lost-key, which starts afresh what no key opens.
		binary.RootCmd.AddCommand(
			secrets.NewRotateCommand(app, v),
			secrets.NewRecoverCommand(app, v, migrations.DefaultSettings),
		)
		// Dev mode prints every SQL statement, every stored value in it:
		// the terminal gets them with their literals masked.
		color.Output = maskDevSQL(color.Output)
	}

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// Start-up, in order: the HTTP server's timeouts (tests' routers have
		// no server); the WeChat client, or the in-process fake of
		// --wechat-mock; the app of WECHAT_APPID/WECHAT_SECRET, created or
		// updated; and what is stored unsealed (an upgrade, an import),
		// sealed with the key.
		if se.Server != nil {
			if err := s.cfg.HTTP.apply(se.Server); err != nil {
				return err
			}
		}
		s.startClient(se.App)
		if !s.cfg.Mock {
			if err := syncEnvApp(se.App, s.vault, s.cfg.AppID, s.cfg.Secret); err != nil {
				return err
			}
		}
		if err := s.sealStored(se.App); err != nil {
			return err
		}

		se.Router.Bind(rejectInvalidToken())
		se.Router.BindFunc(refuseProbingListRequests)
		// WeChat login; its hook, Wechat.OnLogin, runs between WeChat's
		// answer and the user's creation.
		se.Router.POST("/api/collections/{collection}/auth-with-wechat", s.authWithWechat)
		se.Router.GET("/api/realtime/ws", rt.serveWS).Bind(apis.SkipSuccessActivityLog())
		wx := se.Router.Group("/api/wechat")
		wx.POST("/phone", s.bindPhone).Bind(apis.RequireAuth(usersCollection))
		wx.POST("/decrypt", s.decryptOpenData).Bind(apis.RequireAuth(usersCollection))
		wx.GET("/session", s.checkSession).Bind(apis.RequireAuth(usersCollection))
		wx.POST("/accounts/{id}/reset-session-key", s.resetSessionKey).Bind(apis.RequireSuperuserAuth())
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
		}
		return nil
	})

	// The landing page, last, so a pb_hooks script may claim "/" first.
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Priority: 999,
		Func: func(se *core.ServeEvent) error {
			if cfg.Readme != nil {
				se.Router.GET("/README.md", func(e *core.RequestEvent) error {
					return e.Blob(http.StatusOK, "text/plain; charset=utf-8", cfg.Readme)
				})
			}
			if cfg.Public != nil && !se.Router.HasRoute(http.MethodGet, "/{path...}") {
				se.Router.GET("/{path...}", apis.Static(cfg.Public, false))
			}
			return se.Next()
		},
	})
	return s.wechat
}

// startClient builds the WeChat client, on the in-process fake in mock mode.
func (s *server) startClient(app core.App) {
	transport := s.cfg.Transport
	if s.cfg.Mock {
		s.mockFake = wechattest.New()
		s.mockFake.AcceptAnyApp(true)
		s.mockFake.EnableMockCodes(true)
		transport = s.mockFake.Transport()
		app.Logger().Warn("WeChat mock mode is ON: logins are answered by a built-in fake, never by WeChat. Do not use it in production.")
		printMockWarning()
	}
	s.client = wechat.New(s.cfg.APIBase, s.cfg.Timeout, transport)
	s.wechat.start(app, s.client, s.cfg.Mock)
}

// sealStored seals the secrets stored in the clear, and names those no key
// of the keyring opens.
func (s *server) sealStored(app core.App) error {
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
	return nil
}
