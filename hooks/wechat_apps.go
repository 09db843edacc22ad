package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/secrets"
)

// The collections wxbase works with, by name.
const (
	appsCollection     = "wechat_apps"
	accountsCollection = "wechat_accounts"
	tokensCollection   = "wechat_tokens"
	// usersCollection holds WeChat's users: the collection wxbase's
	// migrations point wechat_accounts.user at, whose records the WeChat
	// routes sign in, give a phone number and stamp as owners. The login
	// route itself takes whichever auth collection that relation points at.
	usersCollection = "users"
)

// wechatApp is one mini-program's credentials, as a login needs them.
type wechatApp struct {
	id         string // the wechat_apps record id
	appID      string
	secret     string
	enabled    bool
	unreadable bool // its stored secret does not open (see the server's log)
}

// appCache keeps wechat_apps in memory: every login needs its app, and the
// table changes only when an admin edits it. Record hooks drop the cache
// after each committed change; the next login reloads it.
type appCache struct {
	vault *secrets.Vault
	// withMock counts the apps marked mock (--wechat-mock); without it they
	// are left out, as if they were not there.
	withMock bool
	mu       sync.Mutex
	apps     map[string]*wechatApp // by appid; nil means "reload"
}

func (c *appCache) invalidate() {
	c.mu.Lock()
	c.apps = nil
	c.mu.Unlock()
}

// invalidateOnChange is bound to wechat_apps' after-commit hooks.
func (c *appCache) invalidateOnChange(e *core.RecordEvent) error {
	c.invalidate()
	return e.Next()
}

func (c *appCache) load(app core.App) (map[string]*wechatApp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apps != nil {
		return c.apps, nil
	}
	records, err := app.FindAllRecords(appsCollection)
	if err != nil {
		return nil, err
	}
	apps := make(map[string]*wechatApp, len(records))
	for _, record := range records {
		if record.GetBool("mock") && !c.withMock {
			continue
		}
		secret, err := c.vault.Read(record)
		if err != nil {
			// One app's unreadable secret must not stop the others' logins.
			app.Logger().Error("The AppSecret of a mini-program does not open: enter it again in wechat_apps.",
				"appid", record.GetString("appid"), "error", err)
		}
		apps[record.GetString("appid")] = &wechatApp{
			id:         record.Id,
			appID:      record.GetString("appid"),
			secret:     secret,
			enabled:    record.GetBool("enabled"),
			unreadable: err != nil,
		}
	}
	c.apps = apps
	return apps, nil
}

// find picks the app a login is for. appID may be empty when exactly one app
// is enabled. Failures are field errors on "appid".
func (c *appCache) find(app core.App, appID string) (*wechatApp, error) {
	apps, err := c.load(app)
	if err != nil {
		return nil, err
	}

	if appID == "" {
		var enabled []*wechatApp
		for _, candidate := range apps {
			if candidate.enabled {
				enabled = append(enabled, candidate)
			}
		}
		switch len(enabled) {
		case 1:
			if enabled[0].unreadable {
				return nil, appIDError("validation_wechat_app_secret_unreadable", "The AppSecret of this mini-program cannot be read on this server: an admin must enter it again in wechat_apps.")
			}
			return enabled[0], nil
		case 0:
			return nil, appIDError("validation_no_wechat_app", "No mini-program is enabled on this server: add one in the dashboard (wechat_apps).")
		default:
			return nil, appIDError("validation_required", "Several mini-programs are enabled, so appid is required.")
		}
	}

	found, ok := apps[appID]
	if !ok {
		return nil, appIDError("validation_unknown_wechat_app", "No mini-program with this appid is configured on this server.")
	}
	if !found.enabled {
		return nil, appIDError("validation_wechat_app_disabled", "The mini-program with this appid is disabled on this server.")
	}
	if found.unreadable {
		return nil, appIDError("validation_wechat_app_secret_unreadable", "The AppSecret of this mini-program cannot be read on this server: an admin must enter it again in wechat_apps.")
	}
	return found, nil
}

// appIDOf names the app an account belongs to, by its record id.
func (c *appCache) appIDOf(app core.App, recordID string) (string, error) {
	if recordID == "" {
		return "", errNoAccount
	}
	apps, err := c.load(app)
	if err != nil {
		return "", err
	}
	for appID, candidate := range apps {
		if candidate.id == recordID {
			if !candidate.enabled {
				return "", appIDError("validation_wechat_app_disabled", "The mini-program with this appid is disabled on this server.")
			}
			return appID, nil
		}
	}
	return "", errNoAccount
}

// recordIDs lists the wechat_apps record ids of the apps this server
// resolves (the mock apps only in --wechat-mock), disabled ones included.
func (c *appCache) recordIDs(app core.App) ([]any, error) {
	apps, err := c.load(app)
	if err != nil {
		return nil, err
	}
	ids := make([]any, 0, len(apps))
	for _, candidate := range apps {
		ids = append(ids, candidate.id)
	}
	return ids, nil
}

// appIDRules is what an appid sent by a client must be before it is looked
// up: at most 64 printable ASCII characters without spaces; "" picks the one
// enabled mini-program (or the user's one account).
var appIDRules = []validation.Rule{validation.Length(0, 64), validation.By(printableNoSpace)}

// queryAppID reads ?appid=, refusing one that breaks appIDRules.
func queryAppID(e *core.RequestEvent) (string, error) {
	appID := e.Request.URL.Query().Get("appid")
	if validation.Validate(appID, appIDRules...) != nil {
		return "", e.BadRequestError("Invalid appid.", nil)
	}
	return appID, nil
}

func appIDError(code, message string) error {
	return validation.Errors{"appid": validation.NewError(code, message)}
}

// keepSecretWhenEmpty makes the write-only secret survive an edit that does
// not resend it: the dashboard never receives the secret, so it submits the
// field empty. It also trims what was pasted.
func keepSecretWhenEmpty(e *core.RecordRequestEvent) error {
	secret := strings.TrimSpace(e.Record.GetString("secret"))
	if secret == "" && !e.Record.IsNew() {
		secret = e.Record.Original().GetString("secret")
	}
	e.Record.Set("secret", secret)
	return e.Next()
}

// refuseMockFlagChange keeps the mock field the server's own: only
// --wechat-mock's start marks its app. Through the API, marking a real app
// mock would hide it from logins and let it be deleted with its users'
// accounts; unmarking the mock app would put made-up accounts in use.
func refuseMockFlagChange(e *core.RecordRequestEvent) error {
	changed := e.Record.GetBool("mock")
	if !e.Record.IsNew() {
		changed = changed != e.Record.Original().GetBool("mock")
	}
	if changed {
		return e.BadRequestError("Failed to save the mini-program.", validation.Errors{
			"mock": validation.NewError("validation_server_managed",
				"The server manages this field: serve --wechat-mock marks its own app, and no request may change it."),
		})
	}
	return e.Next()
}

// refuseDeletingUsedApp stops a delete that would orphan accounts: a user
// whose account lost its app would get a new, empty user on next login.
// The mock app may go: its accounts are made-up users, who keep their user
// records, and the next --wechat-mock start attaches them to its new app.
// Any other app keeps its accounts, even one marked mock (as the API once
// allowed).
func refuseDeletingUsedApp(e *core.RecordRequestEvent) error {
	if e.Record.GetBool("mock") && e.Record.GetString("appid") == mockAppID {
		return e.Next()
	}
	var count int
	err := e.App.RecordQuery(accountsCollection).
		Select("count(*)").
		AndWhere(dbx.HashExp{"app": e.Record.Id}).
		Row(&count)
	if err != nil {
		return e.InternalServerError("Failed to count the app's accounts.", err)
	}
	if count > 0 {
		return e.BadRequestError(fmt.Sprintf(
			"This mini-program still has %d user account(s); untick enabled instead, so its users keep their data.", count), nil)
	}
	return e.Next()
}

// syncEnvApp creates or updates the app named by WECHAT_APPID/WECHAT_SECRET,
// so a deploy can be configured without the dashboard. It writes only when
// something changed.
func syncEnvApp(app core.App, v *secrets.Vault, appID, secret string) error {
	if appID == "" {
		return nil
	}
	record, err := app.FindFirstRecordByData(appsCollection, "appid", appID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		collection, err := app.FindCollectionByNameOrId(appsCollection)
		if err != nil {
			return err
		}
		record = core.NewRecord(collection)
		record.Set("name", appID+" (from WECHAT_APPID)")
		record.Set("appid", appID)
	case err != nil:
		return err
	default:
		stored, err := v.Read(record)
		if err == nil && stored == secret && record.GetBool("enabled") {
			return nil
		}
	}
	record.Set("secret", secret)
	record.Set("enabled", true)
	if err := app.Save(record); err != nil {
		return fmt.Errorf("WECHAT_APPID=%s could not be saved to wechat_apps: %w", appID, err)
	}
	return nil
}
