package hooks

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"wxbase/internal/testkit"
)

// Inside a transaction, the writer's statements run prepared once prepare
// made them, and through dbx before: the same rows either way, each
// statement logged where dbx logs it.
func TestWriterStatementsRunPreparedOrThroughDbx(t *testing.T) {
	t.Parallel()
	app := newMigratedApp(t)
	things := core.NewBaseCollection("things")
	things.Fields.Add(&core.TextField{Name: "title"}, &core.NumberField{Name: "n"})
	if err := app.Save(things); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logged []string
	writer := app.NonconcurrentDB().(*dbx.DB)
	writer.ExecLogFunc = func(_ context.Context, _ time.Duration, sql string, _ sql.Result, _ error) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, sql)
	}
	writer.QueryLogFunc = func(_ context.Context, _ time.Duration, sql string, _ *sql.Rows, _ error) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, sql)
	}

	w := &writerStatements{}
	exists := existsSQL(app, "things", "title")
	run := func(id, title string) (found, other bool) {
		t.Helper()
		err := app.RunInTransaction(func(tx core.App) error {
			if err := w.insert(tx, "things", map[string]any{"id": id, "title": title, "n": 2.5}); err != nil {
				return err
			}
			var err error
			if found, err = w.exists(tx, exists, title); err != nil {
				return err
			}
			other, err = w.exists(tx, exists, "not "+title)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return found, other
	}

	if found, other := run("thingthroughdbx", "first"); !found || other {
		t.Fatalf("through dbx: exists %v, other %v", found, other)
	}
	mu.Lock()
	if len(logged) != 3 || strings.Contains(logged[0], "?") {
		t.Fatalf("through dbx, logged %q", logged)
	}
	logged = nil
	mu.Unlock()

	if err := w.prepare(app, insertSQL(app, things), exists); err != nil {
		t.Fatal(err)
	}
	if found, other := run("thingprepared00", "second"); !found || other {
		t.Fatalf("prepared: exists %v, other %v", found, other)
	}
	mu.Lock()
	if len(logged) != 3 || logged[0] != insertSQL(app, things) || logged[1] != exists {
		t.Fatalf("prepared, logged %q", logged)
	}
	mu.Unlock()

	for id, title := range map[string]string{"thingthroughdbx": "first", "thingprepared00": "second"} {
		record, err := app.FindRecordById("things", id)
		if err != nil || record.GetString("title") != title || record.GetFloat("n") != 2.5 {
			t.Fatalf("row %s: %v, %v", id, record, err)
		}
	}
}

// A login preparing a statement waits for the writer's connection, which
// another login's transaction holds; that transaction's next statement
// must not wait for the first login in turn.
func TestWriterStatementsPrepareWhileATransactionRuns(t *testing.T) {
	t.Parallel()
	app, err := tests.NewTestApp(testkit.MigratedDataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	things := core.NewBaseCollection("things")
	things.Fields.Add(&core.TextField{Name: "title"})
	if err := app.Save(things); err != nil {
		t.Fatal(err)
	}
	w := &writerStatements{}
	old := existsSQL(app, "things", "title")
	if err := w.prepare(app, old); err != nil { // prepared by an earlier login
		t.Fatal(err)
	}
	inTx, proceed, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { // login A, in its transaction
		done <- app.RunInTransaction(func(tx core.App) error {
			close(inTx)
			<-proceed
			_, err := w.exists(tx, old, "x")
			return err
		})
	}()
	<-inTx
	prepared := make(chan error, 1)
	// Login B, after a schema change: a statement not prepared yet.
	go func() { prepared <- w.prepare(app, existsSQL(app, "things", "id")) }()
	time.Sleep(200 * time.Millisecond)
	close(proceed)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		panic("deadlock: the transaction waits for the statements' lock, prepare for the writer connection")
	}
	if err := <-prepared; err != nil {
		t.Fatal(err)
	}
	app.Cleanup()
}
