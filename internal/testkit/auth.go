package testkit

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"wxbase/internal/wxbaseproc"
)

// The superuser the tests sign in as.
const (
	SuperuserEmail    = "admin@example.com"
	SuperuserPassword = "correct-horse-battery"
)

// superuserPassword is SuperuserPassword as PocketBase stores it, hashed
// once per process: bcrypt costs a quarter of a second under -race, and
// no test signs in with the password of a superuser made in process.
var superuserPassword struct {
	sync.Mutex
	hashed *core.PasswordFieldValue
}

// SuperuserToken creates the tests' superuser in app and returns an auth
// token for it.
func SuperuserToken(t testing.TB, app core.App) string {
	t.Helper()
	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	record := core.NewRecord(superusers)
	record.SetEmail(SuperuserEmail)
	superuserPassword.Lock()
	if superuserPassword.hashed == nil {
		record.SetPassword(SuperuserPassword)
		if hashed, ok := record.GetRaw(core.FieldNamePassword).(*core.PasswordFieldValue); ok && hashed.LastError == nil {
			copied := *hashed
			superuserPassword.hashed = &copied
		}
	} else {
		copied := *superuserPassword.hashed
		record.SetRaw(core.FieldNamePassword, &copied)
	}
	superuserPassword.Unlock()
	if err := app.Save(record); err != nil {
		t.Fatal(err)
	}
	token, err := record.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// ServerSuperuserToken creates or updates the tests' superuser with the
// binary's CLI, as the README says to, and signs it in on server; env is
// added to the CLI's environment (an encryption key, say).
func ServerSuperuserToken(t testing.TB, binary string, server *wxbaseproc.Server, env ...string) string {
	t.Helper()
	if err := wxbaseproc.UpsertSuperuser(binary, server.DataDir, SuperuserEmail, SuperuserPassword, env...); err != nil {
		t.Fatal(err)
	}
	status, body, res := CallJSON(t, http.MethodPost, server.Base+"/api/collections/_superusers/auth-with-password", "",
		`{"identity":"`+SuperuserEmail+`","password":"`+SuperuserPassword+`"}`)
	token, _ := res["token"].(string)
	if status != 200 || token == "" {
		t.Fatalf("superuser login: %d %s", status, body)
	}
	return token
}

// ExpiredAuthToken is an auth token of record that expired a minute ago:
// signed as PocketBase signs record.NewStaticAuthToken, with the record's
// key and its collection's token secret, so only its expiry makes it
// invalid.
func ExpiredAuthToken(t testing.TB, record *core.Record) string {
	t.Helper()
	claims := map[string]any{
		core.TokenClaimType:         core.TokenTypeAuth,
		core.TokenClaimId:           record.Id,
		core.TokenClaimCollectionId: record.Collection().Id,
		core.TokenClaimRefreshable:  false,
	}
	token, err := security.NewJWT(claims, record.TokenKey()+record.Collection().AuthToken.Secret, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
