package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// RecoverCommand is the name of the command that recovers from a lost key;
// main checks for it before start-up, which the key would otherwise stop.
const RecoverCommand = "recover-lost-key"

// NewRotateCommand returns `wxbase rotate-encryption-key`: it seals every
// secret and PocketBase's settings with a new key, in one transaction. The
// new key is made and appended to the keyring file first (or read from the
// variable --newEncryptionEnv names, for keys kept outside the data
// directory), and the old keys stay in the keyring, so a crash at any point
// leaves a server that starts with the key the database names.
func NewRotateCommand(app core.App, v *Vault) *cobra.Command {
	var newEnv string
	command := &cobra.Command{
		Use:   "rotate-encryption-key",
		Short: "Seal AppSecrets, session keys, access tokens and settings with a new encryption key",
		Long: `Seals everything sealed with the current key with a new one, in one transaction.

By default the new key is made here and appended to pb_data/` + KeyringFile + `.
If the variable named by --newEncryptionEnv holds a 32-character key, that key
is used instead and written nowhere: start the server with it in the
--encryptionEnv variable afterwards. Stop the server first.`,
		SilenceUsage: true,
		RunE: exitOnError(func(cmd *cobra.Command, args []string) error {
			newKey := os.Getenv(newEnv)
			fromFile := newKey == ""
			if fromFile {
				var err error
				if newKey, err = addKey(app.DataDir()); err != nil {
					return err
				}
			}
			count, unopenable, err := v.switchKey(app, newKey, nil)
			if err != nil {
				return fmt.Errorf("nothing was changed: %w", err)
			}
			fmt.Printf("Re-encrypted %d secret(s) and the settings with the key %s.\n", count, keyID(newKey))
			reportUnopenable(unopenable)
			if fromFile {
				fmt.Printf("The new key is in %s beside the old ones: keep a copy of the file apart from your backups.\n", filepath.Join(app.DataDir(), KeyringFile))
			} else {
				fmt.Printf("Start wxbase with the new key in $%s.\n", app.EncryptionEnv())
			}
			return nil
		}),
	}
	command.Flags().StringVar(&newEnv, "newEncryptionEnv", "WXBASE_NEW_ENCRYPTION_KEY", "the variable that may hold the new 32-character key")
	return command
}

// switchKey makes newKey the active key: in one transaction it seals every
// value anew (after clear, when given, has cleared what it must), saves the
// settings sealed with it and records its id. Values that no key opens are
// left as they are and named.
func (v *Vault) switchKey(app core.App, newKey string, clear func(tx core.App) error) (count int, unopenable []string, err error) {
	v.mu.Lock()
	if err := v.addLocked(newKey); err != nil {
		v.mu.Unlock()
		return 0, nil, err
	}
	oldActive, newActive := v.active, keyID(newKey)
	v.mu.Unlock()

	envName := app.EncryptionEnv()
	oldEnv := os.Getenv(envName)
	err = app.RunInTransaction(func(tx core.App) error {
		if clear != nil {
			if err := clear(tx); err != nil {
				return err
			}
		}
		// Open with any key of the keyring, seal with the new one.
		var values []opened
		var err error
		if values, unopenable, err = v.collect(tx, ""); err != nil {
			return err
		}
		v.mu.Lock()
		v.active = newActive
		v.mu.Unlock()
		for _, r := range values {
			sealed, err := v.seal(r.at, r.plain)
			if err != nil {
				return err
			}
			if _, err := tx.DB().Update(r.table, dbx.Params{r.column: sealed}, dbx.HashExp{"id": r.at.recordId}).Execute(); err != nil {
				return err
			}
			count++
		}
		// PocketBase seals its settings with the key in its variable at save.
		if envName != "" {
			if err := os.Setenv(envName, newKey); err != nil {
				return err
			}
		}
		if err := tx.Save(tx.Settings()); err != nil {
			return err
		}
		return saveState(tx, state{KeyID: newActive, Complete: true})
	})
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		v.active = oldActive
		if envName != "" {
			os.Setenv(envName, oldEnv)
		}
		return 0, nil, err
	}
	v.complete = true
	if envName != "" {
		v.injected = newKey
	}
	return count, unopenable, nil
}

// reportUnopenable says which values no key opened and were left as they are.
func reportUnopenable(unopenable []string) {
	if len(unopenable) == 0 {
		return
	}
	fmt.Printf("%d value(s) that no key of the keyring opens were left as they are (a session key comes back at its user's next login, an access token is fetched again, an AppSecret must be entered again):\n", len(unopenable))
	for _, name := range unopenable {
		fmt.Println("  " + name)
	}
}

// NewRecoverCommand returns `wxbase recover-lost-key`, for a data directory
// whose encryption key is lost for good. What the lost key sealed cannot be
// opened, so it is cleared, in one transaction, and the rest of the data is
// kept: session keys (WeChat issues new ones at each user's next login),
// access tokens (fetched again when needed), AppSecrets (the apps are
// disabled until an admin enters the secret again) and, if they were
// sealed, PocketBase's settings (reset to wxbase's defaults by
// resetSettings). A new key seals from then on.
func NewRecoverCommand(app core.App, v *Vault, resetSettings func(*core.Settings)) *cobra.Command {
	return &cobra.Command{
		Use:          RecoverCommand,
		Short:        "Start over with a new encryption key when the old one is lost: clears what it sealed",
		SilenceUsage: true,
		RunE: exitOnError(func(cmd *cobra.Command, args []string) error {
			if !v.lostKey {
				return errors.New("the encryption key is not lost: this server opens its data, so there is nothing to recover (to change keys, use rotate-encryption-key)")
			}
			var report []string
			_, _, err := v.switchKey(app, v.raw[v.active], func(tx core.App) error {
				// Only what no key of the keyring opens is cleared; the rest
				// is sealed anew with the new key.
				for _, field := range Sealed {
					collection, err := tx.FindCollectionByNameOrId(field.CollectionId())
					if err != nil {
						continue
					}
					column := currentName(collection, field)
					var rows []struct {
						ID    string `db:"id"`
						Value string `db:"value"`
					}
					if err := tx.DB().Select("id", column+" AS value").From(collection.Name).
						Where(dbx.NewExp("[[" + column + "]] != ''")).All(&rows); err != nil {
						return err
					}
					cleared := 0
					for _, row := range rows {
						if _, err := v.open(sealedValue{collection.Id, row.ID, field}, row.Value); err == nil {
							continue
						}
						params := dbx.Params{column: ""}
						if collection.Fields.GetByName("enabled") != nil {
							params["enabled"] = false // an app without its secret cannot log anyone in
						}
						if _, err := tx.DB().Update(collection.Name, params, dbx.HashExp{"id": row.ID}).Execute(); err != nil {
							return err
						}
						cleared++
					}
					report = append(report, fmt.Sprintf("%s.%s: %d value(s) cleared, %d kept", collection.Name, column, cleared, len(rows)-cleared))
				}
				if v.lostConfig {
					resetSettings(tx.Settings())
					tx.Settings().MarkAsNotNew() // the stored row is replaced
					report = append(report, "PocketBase's settings were sealed with the lost key: they are back to wxbase's defaults; enter SMTP, S3 and other settings again in the dashboard")
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("nothing was changed: %w", err)
			}
			fmt.Println("Recovered with the new key " + v.active + " (in " + filepath.Join(app.DataDir(), KeyringFile) + "; keep a copy of it apart from your backups):")
			for _, line := range report {
				fmt.Println("  " + line)
			}
			fmt.Println("Enter each mini-program's AppSecret again in wechat_apps and tick enabled; users sign in as before.")
			return nil
		}),
	}
}

// exitOnError makes a failed command exit with status 1: PocketBase's
// Execute ignores a command's error, and scripts must see the failure.
// Nothing is left half-done: each command's change is one transaction.
func exitOnError(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := run(cmd, args); err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		return nil
	}
}
