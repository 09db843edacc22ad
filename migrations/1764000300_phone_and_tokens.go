package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

const tokensCollection = "wechat_tokens"

// Adds the user's phone number (written only by POST /api/wechat/phone) and
// the store of each app's access token, which the dashboard shows as fetch
// and expiry times only.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.Add(&core.TextField{
			Name: "phone", Max: 20,
			// E.164: "+" and the country code, then the number.
			Pattern: `^\+[1-9][0-9]{4,18}$`,
			Help:    "Set by the user through WeChat's phone number button; visible to the user and superusers only.",
		})
		users.AddIndex("idx_users_phone", true, "phone", "phone != ''")
		if err := app.Save(users); err != nil {
			return err
		}

		apps, err := app.FindCollectionByNameOrId(appsCollection)
		if err != nil {
			return err
		}
		tokens := core.NewBaseCollection(tokensCollection)
		tokens.Fields.Add(
			&core.RelationField{Name: "app", CollectionId: apps.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "token", Max: 1024, Hidden: true},
			&core.DateField{Name: "fetched_at"},
			&core.DateField{Name: "expires_at"},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		tokens.AddIndex("idx_wechat_tokens_app", true, "app", "")
		return app.Save(tokens)
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId(tokensCollection)
		if err == nil {
			if err := app.Delete(tokens); err != nil {
				return err
			}
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.RemoveByName("phone")
		users.RemoveIndex("idx_users_phone")
		return app.Save(users)
	})
}
