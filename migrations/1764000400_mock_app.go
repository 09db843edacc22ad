package migrations

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// wechat_apps gains "mock": the app that `serve --wechat-mock` makes at
// start, whose logins the built-in fake WeChat answers. Without the flag,
// an app so marked is ignored, as if it were not there.
func init() {
	m.Register(func(app core.App) error {
		apps, err := app.FindCollectionByNameOrId(appsCollection)
		if err != nil {
			return err
		}
		apps.Fields.Add(&core.BoolField{
			Name: "mock",
			Help: "Made by serve --wechat-mock for its fake WeChat, and used only in that mode; ignored otherwise. Delete it on a real server.",
		})
		return app.Save(apps)
	}, func(app core.App) error {
		apps, err := app.FindCollectionByNameOrId(appsCollection)
		if err != nil {
			return err
		}
		// Without the field a mock app would pass for a real one: drop
		// them. Their accounts lose their app, as mock accounts had none
		// before this migration.
		var mockApps []*core.Record
		if err := app.RecordQuery(apps).AndWhere(dbx.HashExp{"mock": true}).All(&mockApps); err != nil {
			return err
		}
		for _, record := range mockApps {
			if err := app.Delete(record); err != nil {
				return err
			}
		}
		apps.Fields.RemoveByName("mock")
		return app.Save(apps)
	})
}
