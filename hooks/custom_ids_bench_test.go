package hooks_test

import (
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/internal/testkit"
)

// BenchmarkCustomIDCreate times one record create (app.Save, validation
// included) in a collection of 200,000 records, with PocketBase's ids and
// with custom ids, on PocketBase alone and under wxbase. With custom ids
// PocketBase's duplicate check (id = ? COLLATE NOCASE) reads the whole
// table unless an index answers it, as wxbase's unique index on
// id COLLATE NOCASE does.
// go test ./hooks -run '^$' -bench CustomIDCreate -benchtime 200x
func BenchmarkCustomIDCreate(b *testing.B) {
	const stored = 200_000
	plain := func(b *testing.B) core.App {
		app, err := tests.NewTestApp(testkit.MigratedDataDir(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(app.Cleanup)
		return app
	}
	withWxbase := func(b *testing.B) core.App { return newEnv(b).app }
	for _, c := range []struct {
		name   string
		app    func(*testing.B) core.App
		custom bool
	}{
		{"PocketBase ids, PocketBase alone", plain, false},
		{"custom ids, PocketBase alone", plain, true},
		{"PocketBase ids, wxbase", withWxbase, false},
		{"custom ids, wxbase", withWxbase, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			app := c.app(b)
			collection := core.NewBaseCollection("profiles")
			collection.Fields.Add(&core.NumberField{Name: "n"})
			if c.custom {
				id := collection.Fields.GetByName(core.FieldNameId).(*core.TextField)
				id.Pattern, id.Min, id.Max = `^[A-Za-z0-9_-]+$`, 1, 64
			}
			if err := app.Save(collection); err != nil {
				b.Fatal(err)
			}
			// Ids of 28 characters, as openids, or PocketBase's 15.
			seed := "'o' || printf('%027d', x)"
			if !c.custom {
				seed = "printf('%015d', x)"
			}
			_, err := app.DB().NewQuery(fmt.Sprintf(
				"WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {:n}) INSERT INTO profiles (id, n) SELECT %s, x FROM seq", seed)).
				Bind(dbx.Params{"n": stored}).Execute()
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				record := core.NewRecord(collection)
				if c.custom {
					record.Set(core.FieldNameId, fmt.Sprintf("oNew_%023d", i))
				} else {
					record.Set(core.FieldNameId, fmt.Sprintf("n%014d", i))
				}
				if err := app.Save(record); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
