package hooks

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/internal/testkit"
)

// The prepared reads must load exactly the record PocketBase's own query
// would, for every kind of field, across schema changes and a reopened
// database.
func TestPreparedReadsLoadWhatFindRecordByIdLoads(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()

	things := core.NewBaseCollection("things")
	things.Fields.Add(
		&core.TextField{Name: "title"},
		&core.NumberField{Name: "n"},
		&core.BoolField{Name: "done"},
		&core.JSONField{Name: "meta"},
		&core.DateField{Name: "due"},
		&core.SelectField{Name: "tags", Values: []string{"a", "b", "c"}, MaxSelect: 3},
		&core.EmailField{Name: "contact"},
		&core.FileField{Name: "files", MaxSelect: 2, MaxSize: 1 << 20},
		&core.AutodateField{Name: "created", OnCreate: true},
	)
	if err := app.Save(things); err != nil {
		t.Fatal(err)
	}
	thing := core.NewRecord(things)
	thing.Load(map[string]any{
		"title": "milk", "n": 2.5, "done": true, "meta": map[string]any{"k": []int{1, 2}},
		"due": types.NowDateTime(), "tags": []string{"a", "c"}, "contact": "x@example.com",
	})
	if err := app.Save(thing); err != nil {
		t.Fatal(err)
	}
	empty := core.NewRecord(things)
	if err := app.Save(empty); err != nil {
		t.Fatal(err)
	}

	reads := &preparedReads{}
	same := func(id string) {
		t.Helper()
		things, err := app.FindCachedCollectionByNameOrId("things")
		if err != nil {
			t.Fatal(err)
		}
		got, err := reads.user(app, things, id)
		if err != nil {
			t.Fatal(err)
		}
		want, err := app.FindRecordById(things, id)
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got.FieldsData())
		wantJSON, _ := json.Marshal(want.FieldsData())
		if string(gotJSON) != string(wantJSON) || got.IsNew() || got.Id != id {
			t.Fatalf("prepared read:\n%s (new %v)\nPocketBase's:\n%s", gotJSON, got.IsNew(), wantJSON)
		}
		originalJSON, _ := json.Marshal(got.Original().FieldsData())
		if string(originalJSON) != string(wantJSON) {
			t.Fatalf("original state:\n%s\nwant\n%s", originalJSON, wantJSON)
		}
	}
	same(thing.Id)
	same(empty.Id)
	if _, err := reads.user(app, things, "missing"); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("a missing record: %v, want sql.ErrNoRows", err)
	}

	// A field added in the dashboard shows on the next read.
	things.Fields.Add(&core.TextField{Name: "note"})
	if err := app.Save(things); err != nil {
		t.Fatal(err)
	}
	thing.Set("note", "added later")
	if err := app.Save(thing); err != nil {
		t.Fatal(err)
	}
	same(thing.Id)

	// PocketBase reopens its database after a restore: new statements.
	if err := app.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	same(thing.Id)
}

// A user read through the prepared query is PocketBase's own record, password
// hash included: saving it is no password change, so the user's auth origins
// (and MFA) survive the save.
func TestPreparedUserReadKeepsThePasswordHash(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	users, err := app.FindCachedCollectionByNameOrId(usersCollection)
	if err != nil {
		t.Fatal(err)
	}
	user := core.NewRecord(users)
	user.SetPassword("a-long-password-1")
	if err := app.Save(user); err != nil {
		t.Fatal(err)
	}
	origin := core.NewAuthOrigin(app)
	origin.SetCollectionRef(users.Id)
	origin.SetRecordRef(user.Id)
	origin.SetFingerprint("a-device")
	if err := app.Save(origin); err != nil {
		t.Fatal(err)
	}

	reads := &preparedReads{}
	got, err := reads.user(app, users, user.Id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ValidatePassword("a-long-password-1") {
		t.Fatal("the read user's password hash is not the stored one")
	}
	got.Set("name", "renamed")
	if err := app.Save(got); err != nil {
		t.Fatal(err)
	}
	if origins, err := app.FindAllAuthOriginsByRecord(got); err != nil || len(origins) != 1 {
		t.Fatalf("after saving the read user: %d auth origins (%v), want the one it had", len(origins), err)
	}
}

// A first login through another app finds the user of the unionid's
// oldest account, from the prepared read as from PocketBase's query.
func TestPreparedUnionIDReadFindsTheOldestAccountsUser(t *testing.T) {
	t.Parallel()
	app := newMigratedApp(t)
	users, err := app.FindCachedCollectionByNameOrId(usersCollection)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := app.FindCachedCollectionByNameOrId(accountsCollection)
	if err != nil {
		t.Fatal(err)
	}
	save := func(r *core.Record) *core.Record {
		t.Helper()
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	account := func(openID, unionID, user string, created types.DateTime) {
		t.Helper()
		a := core.NewRecord(accounts)
		a.Load(map[string]any{"openid": openID, "unionid": unionID, "user": user})
		save(a)
		// Autodate fields are set on save; their order is the test's.
		if _, err := app.DB().Update(accountsCollection, map[string]any{"created": created}, dbx.HashExp{"id": a.Id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	user := func() *core.Record {
		u := core.NewRecord(users)
		u.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: noPasswordHash})
		return save(u)
	}
	first, second, other := user(), user(), user()
	at := func(s string) types.DateTime { d, _ := types.ParseDateTime(s); return d }
	account("o-later", "u-1", second.Id, at("2026-02-01 00:00:00.000Z"))
	account("o-first", "u-1", first.Id, at("2026-01-01 00:00:00.000Z"))
	account("o-other", "u-2", other.Id, at("2025-01-01 00:00:00.000Z"))
	account("o-none", "", other.Id, at("2024-01-01 00:00:00.000Z"))

	reads := &preparedReads{}
	for _, c := range []struct{ unionID, want string }{{"u-1", first.Id}, {"u-2", other.Id}} {
		for range 2 { // the second time from the pool
			got, err := reads.userOfUnionID(app, users, c.unionID)
			if err != nil || got.Id != c.want {
				t.Fatalf("prepared read of %s: %v, %v; want user %s", c.unionID, got, err, c.want)
			}
			want, err := findUserByUnionID(app, users, c.unionID)
			if err != nil || want.Id != c.want {
				t.Fatalf("PocketBase's read of %s: %v, %v; want user %s", c.unionID, want, err, c.want)
			}
		}
	}
	if _, err := reads.userOfUnionID(app, users, "u-missing"); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("an unknown unionid: %v, want sql.ErrNoRows", err)
	}
}
