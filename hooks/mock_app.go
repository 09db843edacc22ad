package hooks

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/secrets"
)

// mockAppID is the appid of the app --wechat-mock makes in wechat_apps: the
// pattern's, but no real mini-program's.
const mockAppID = "wx0000000000000000"

// mockAppName tells an admin, in the dashboard, what the row is for.
const mockAppName = "Mock app: exists only for serve --wechat-mock"

// Content containing these makes the mock's msg_sec_check answer "risky" or
// "review", so moderation can be tried without WeChat.
const (
	mockRiskyWord  = "mock:risky"
	mockReviewWord = "mock:review"
)

// mockStateFile, in pb_data, keeps the mock WeChat's state (session keys,
// used codes, tokens) across restarts.
const mockStateFile = "wechat_mock.json"

// ensureMockApp makes sure wechat_apps holds the enabled mock app, with a
// random AppSecret (the fake accepts any, and the vault seals it like a real
// one), and returns its record. A secret that no longer opens is replaced.
func ensureMockApp(app core.App, v *secrets.Vault) (*core.Record, error) {
	record, err := app.FindFirstRecordByData(appsCollection, "appid", mockAppID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		collection, err := app.FindCollectionByNameOrId(appsCollection)
		if err != nil {
			return nil, err
		}
		record = core.NewRecord(collection)
		record.Set("name", mockAppName)
		record.Set("appid", mockAppID)
		record.Set("mock", true)
	case err != nil:
		return nil, err
	case !record.GetBool("mock"):
		return nil, fmt.Errorf("wechat_apps holds an app with the appid %s that is not marked mock; --wechat-mock makes its own app under that appid: delete that row, or change its appid", mockAppID)
	default:
		if _, err := v.Read(record); err == nil {
			if record.GetBool("enabled") {
				return record, nil
			}
			record.Set("enabled", true)
			return record, app.Save(record)
		}
	}
	record.Set("secret", security.RandomStringWithAlphabet(32, "0123456789abcdef"))
	record.Set("enabled", true)
	if err := app.Save(record); err != nil {
		return nil, fmt.Errorf("saving the --wechat-mock app to wechat_apps: %w", err)
	}
	return record, nil
}

// attachMockAccounts gives the accounts that earlier --wechat-mock runs
// stored without an app to the mock app. An account whose openid the mock
// app has already is left as it is (a run of an older wxbase after this
// one made it); it reports how many were attached and how many left.
func attachMockAccounts(app core.App, mockApp *core.Record) (attached, left int64, err error) {
	result, err := app.DB().NewQuery(
		"UPDATE {{" + accountsCollection + "}} SET [[app]] = {:app}, [[updated]] = {:now}" +
			" WHERE ([[app]] = '' OR [[app]] IS NULL) AND NOT EXISTS (SELECT 1 FROM {{" + accountsCollection + "}} AS [[other]]" +
			" WHERE [[other.app]] = {:app} AND [[other.openid]] = {{" + accountsCollection + "}}.[[openid]])",
	).Bind(dbx.Params{"app": mockApp.Id, "now": types.NowDateTime().String()}).Execute()
	if err != nil {
		return 0, 0, err
	}
	attached, err = result.RowsAffected()
	if err != nil {
		return 0, 0, err
	}
	err = app.RecordQuery(accountsCollection).Select("count(*)").
		AndWhere(dbx.Or(dbx.HashExp{"app": ""}, dbx.HashExp{"app": nil})).
		Row(&left)
	return attached, left, err
}

// startMock readies mock mode's WeChat: the mock app, the accounts of
// earlier runs, and the fake's state from pb_data.
func (s *server) startMock(app core.App) error {
	mockApp, err := ensureMockApp(app, s.vault)
	if err != nil {
		return err
	}
	attached, left, err := attachMockAccounts(app, mockApp)
	if err != nil {
		return fmt.Errorf("attaching earlier mock accounts to the mock app: %w", err)
	}
	if attached > 0 {
		app.Logger().Info("Attached accounts of earlier --wechat-mock runs to the mock app.", "count", attached, "appid", mockAppID)
	}
	if left > 0 {
		app.Logger().Warn("Some accounts without an app were not attached to the mock app, which has accounts of the same openids.", "count", left)
	}
	fake := s.wechat.fake
	fake.OnPersistError = func(err error) {
		app.Logger().Warn("The mock WeChat's state could not be saved; it is kept in memory and saved on the next change.", "error", err)
	}
	path := filepath.Join(app.DataDir(), mockStateFile)
	if err := fake.PersistTo(path); err != nil {
		return fmt.Errorf("the mock WeChat's state (delete %s to start it afresh): %w", path, err)
	}
	return nil
}

// warnAboutMockApps tells the admin of a server outside --wechat-mock about
// the mock apps in wechat_apps, which it ignores.
func warnAboutMockApps(app core.App) error {
	records, err := app.FindAllRecords(appsCollection, dbx.HashExp{"mock": true})
	if err != nil {
		return err
	}
	for _, record := range records {
		appID := record.GetString("appid")
		app.Logger().Warn("wechat_apps holds an app made by --wechat-mock; without that flag it is ignored: delete the row.", "appid", appID)
		printMockAppWarning(appID)
	}
	return nil
}
