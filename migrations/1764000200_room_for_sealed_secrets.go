package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Secrets are stored encrypted ("wxv1:" + base64 of nonce, ciphertext and
// tag), which is longer than the plaintext the first migration allowed for.
func init() {
	m.Register(func(app core.App) error {
		return setMax(app, 512)
	}, func(app core.App) error {
		return setMax(app, 256)
	})
}

func setMax(app core.App, max int) error {
	for collection, field := range map[string]string{appsCollection: "secret", accountsCollection: "session_key"} {
		c, err := app.FindCollectionByNameOrId(collection)
		if err != nil {
			return err
		}
		if text, ok := c.Fields.GetByName(field).(*core.TextField); ok {
			text.Max = max
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
