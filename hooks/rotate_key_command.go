package hooks

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"os"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// NewRotateKeyCommand returns `wxbase rotate-encryption-key`: it re-encrypts
// every sealed secret and PocketBase's own settings from the current key
// (in the variable --encryptionEnv names) to a new one, in one transaction.
// Keys travel in environment variables, never in arguments, which other
// users of the machine can read from the process list.
func NewRotateKeyCommand(app core.App) *cobra.Command {
	var newEnv string
	command := &cobra.Command{
		Use:   "rotate-encryption-key",
		Short: "Re-encrypt AppSecrets, session keys and settings with a new encryption key",
		Long: `Re-encrypts everything sealed with the current key (in the variable named by
--encryptionEnv, empty if none was set) with the new 32-character key in the
variable named by --newEncryptionEnv. Stop the server first; afterwards start it
with the new key in the --encryptionEnv variable.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if app.EncryptionEnv() == "" {
				return errors.New("name the variable that will hold the key with --encryptionEnv (the key may be empty now)")
			}
			newKey := os.Getenv(newEnv)
			newCipher, err := newAEAD(newKey)
			if err != nil {
				return fmt.Errorf("%s: %w", newEnv, err)
			}
			var oldAEAD cipher.AEAD
			if oldKey := os.Getenv(app.EncryptionEnv()); oldKey != "" {
				if oldAEAD, err = newAEAD(oldKey); err != nil {
					return fmt.Errorf("%s: %w", app.EncryptionEnv(), err)
				}
			}

			count := 0
			err = app.RunInTransaction(func(tx core.App) error {
				for collection, field := range sealedFields {
					var rows []struct {
						ID    string `db:"id"`
						Value string `db:"value"`
					}
					if err := tx.DB().Select("id", field+" AS value").From(collection).Where(dbx.NewExp(field + " != ''")).All(&rows); err != nil {
						return err
					}
					for _, row := range rows {
						plain, err := open(oldAEAD, field, row.Value)
						if err != nil {
							return fmt.Errorf("%s %s: %w", collection, row.ID, err)
						}
						sealed, err := seal(newCipher, field, plain)
						if err != nil {
							return err
						}
						// Plain SQL: the save hooks would seal with the old key.
						if _, err := tx.DB().Update(collection, dbx.Params{field: sealed}, dbx.HashExp{"id": row.ID}).Execute(); err != nil {
							return err
						}
						count++
					}
				}
				// PocketBase encrypts its settings with the key in its env
				// variable at save time.
				if err := os.Setenv(app.EncryptionEnv(), newKey); err != nil {
					return err
				}
				return tx.Save(tx.Settings())
			})
			if err != nil {
				return fmt.Errorf("nothing was changed: %w", err)
			}
			fmt.Printf("Re-encrypted %d secret(s) and the settings. Start wxbase with the new key in $%s.\n", count, app.EncryptionEnv())
			return nil
		},
	}
	command.Flags().StringVar(&newEnv, "newEncryptionEnv", "WXBASE_NEW_ENCRYPTION_KEY", "the variable that holds the new 32-character key")
	return command
}
