package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/exports"
	"wxbase/secrets"
)

// upgradeLeanCloudPassword lets a user imported from LeanCloud sign in with
// their LeanCloud password: when the password matches the sealed LeanCloud
// hash their import kept (iterated SHA-512, not bcrypt), it becomes their
// password here (bcrypt) and the old hash is dropped, before PocketBase
// checks it. A password that does not match changes nothing.
func (s *server) upgradeLeanCloudPassword(e *core.RecordAuthWithPasswordRequestEvent) error {
	r := e.Record
	if r == nil || r.Collection().Fields.GetByName(secrets.LeanCloudPasswordField) == nil || r.GetString(secrets.LeanCloudPasswordField) == "" {
		return e.Next()
	}
	stored, err := s.vault.Read(r)
	if err != nil {
		return e.Next() // unreadable (a lost key): the password reset remains
	}
	salt, hash, ok := strings.Cut(stored, "$")
	if ok && exports.LeanCloudPasswordMatches(salt, hash, e.Password) {
		r.SetPassword(e.Password)
		r.Set(secrets.LeanCloudPasswordField, "")
		if err := e.App.Save(r); err != nil {
			return err
		}
	}
	return e.Next()
}
