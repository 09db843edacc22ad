package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The batch API is off in PocketBase by default. The mini-program SDK's
// where().update() and where().remove() use it: one POST, all or nothing,
// which wx.request can send (it cannot send PATCH).
func init() {
	m.Register(func(app core.App) error {
		enableBatch(app.Settings())
		return app.Save(app.Settings())
	}, func(app core.App) error {
		settings := app.Settings()
		settings.Batch.Enabled = false
		return app.Save(settings)
	})
}

func enableBatch(settings *core.Settings) {
	settings.Batch.Enabled = true
	if settings.Batch.MaxRequests <= 0 {
		settings.Batch.MaxRequests = 50
	}
}
