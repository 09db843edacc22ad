// Package migrations holds wxbase's schema and settings as Go migrations,
// compiled into the binary and applied at start (and by `wxbase migrate`).
package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Collection names shared with the hooks package.
const (
	appsCollection     = "wechat_apps"
	accountsCollection = "wechat_accounts"
)

func init() {
	m.Register(func(app core.App) error {
		if err := createWechatApps(app); err != nil {
			return err
		}
		if err := createWechatAccounts(app); err != nil {
			return err
		}
		if err := lockDownUsers(app); err != nil {
			return err
		}
		return applyDefaultSettings(app)
	}, func(app core.App) error {
		for _, name := range []string{accountsCollection, appsCollection} {
			collection, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(collection); err != nil {
				return err
			}
		}
		return nil
	})
}

// createWechatApps makes the mini-programs table. Every API rule stays nil
// (superusers only); the secret is also hidden from superusers by a hook.
func createWechatApps(app core.App) error {
	apps := core.NewBaseCollection(appsCollection)
	apps.Fields.Add(
		&core.TextField{Name: "name", Max: 100, Presentable: true},
		&core.TextField{
			Name: "appid", Required: true, Max: 64,
			// Real appids are "wx" + 16 hex digits; the pattern catches typos
			// made while copying one from the WeChat admin console.
			Pattern: `^wx[0-9a-f]{16}$`,
			Help:    "The mini-program's AppID, from mp.weixin.qq.com → 开发管理 → 开发设置.",
		},
		&core.TextField{
			Name: "secret", Required: true, Max: 128, Hidden: true,
			Help: "The AppSecret. Write-only: it is never shown again; leave it empty to keep the current one.",
		},
		&core.BoolField{Name: "enabled"},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	apps.AddIndex("idx_wechat_apps_appid", true, "appid", "")
	return app.Save(apps)
}

// createWechatAccounts makes the vault that links a WeChat identity to a
// user. Every API rule stays nil; session_key is hidden from everyone.
func createWechatAccounts(app core.App) error {
	apps, err := app.FindCollectionByNameOrId(appsCollection)
	if err != nil {
		return err
	}
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}

	accounts := core.NewBaseCollection(accountsCollection)
	accounts.Fields.Add(
		// Not required: accounts made by --wechat-mock logins belonged to
		// no stored app until the mock app (1764000400_mock_app.go).
		&core.RelationField{Name: "app", CollectionId: apps.Id, MaxSelect: 1},
		&core.TextField{Name: "openid", Required: true, Max: 128, Presentable: true},
		&core.TextField{Name: "unionid", Max: 128},
		&core.TextField{Name: "session_key", Max: 256, Hidden: true},
		&core.RelationField{Name: "user", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	accounts.AddIndex("idx_wechat_accounts_app_openid", true, "app, openid", "")
	accounts.AddIndex("idx_wechat_accounts_unionid", false, "unionid", "unionid != ''")
	accounts.AddIndex("idx_wechat_accounts_user", false, "user", "")
	return app.Save(accounts)
}

// lockDownUsers shapes PocketBase's users collection for WeChat sign-in:
// accounts come from WeChat login (or a superuser), carry no email or
// password, and each user sees and deletes only their own record.
func lockDownUsers(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	if email, ok := users.Fields.GetByName(core.FieldNameEmail).(*core.EmailField); ok {
		email.Required = false
	}
	users.PasswordAuth.Enabled = false
	// Alerts e-mail a user on every new device and write an _authOrigins row
	// per login; WeChat users have no e-mail, and a returning login must not write.
	users.AuthAlert.Enabled = false
	users.CreateRule = nil
	owner := "id = @request.auth.id"
	users.ListRule = &owner
	users.ViewRule = &owner
	users.UpdateRule = &owner
	users.DeleteRule = &owner
	return app.Save(users)
}

// applyDefaultSettings names the app and switches rate limiting on with
// numbers chosen for mini-programs, whose users often share one carrier
// (CGNAT) address. README.md → "Rate limits" explains each number.
func applyDefaultSettings(app core.App) error {
	settings := app.Settings()
	settings.Meta.AppName = "wxbase"
	settings.RateLimits.Enabled = true
	settings.RateLimits.Rules = defaultRateLimits()
	return app.Save(settings)
}

func defaultRateLimits() []core.RateLimitRule {
	return []core.RateLimitRule{
		// A login costs a WeChat call; a few per second per address is more
		// than a crowd behind one address needs, and stops junk-code floods.
		{Label: "POST /api/collections/users/auth-with-wechat", MaxRequests: 60, Duration: 10},
		{Label: "*:auth", MaxRequests: 2, Duration: 3},
		{Label: "*:create", MaxRequests: 60, Duration: 5},
		{Label: "/api/batch", MaxRequests: 10, Duration: 1},
		{Label: "/api/", MaxRequests: 600, Duration: 10},
	}
}

// DefaultSettings applies what wxbase's migrations set in PocketBase's
// settings (name, rate limits, the batch API) to settings that were reset,
// as the recovery from a lost encryption key does.
func DefaultSettings(settings *core.Settings) {
	settings.Meta.AppName = "wxbase"
	settings.RateLimits.Enabled = true
	settings.RateLimits.Rules = defaultRateLimits()
	enableBatch(settings)
}
