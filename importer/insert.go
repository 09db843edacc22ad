package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/core/validators"
	"github.com/pocketbase/pocketbase/tools/types"
)

// How an import writes its records. PocketBase's SaveNoValidate costs an
// import of 200,000 records most of its time: per record it builds and
// prepares a new INSERT (its SQL rewritten by regular expressions), runs
// four nested hooks, for a user reads and decodes every auth collection
// (its cross-collection id check), and keeps the record until the
// transaction ends, for the after-commit hooks.
//
// A recordWriter writes the row that save would, through PocketBase's
// model layer, at a fraction of the cost: the record's own hooks
// (OnRecordCreate: the field interceptors that set an empty id, a token
// key, the autodate times; wxbase's sealing of secrets), then the field
// interceptors of the write (InterceptorActionCreateExecute), then the
// columns of record.DBExport, as save stores them, through one INSERT
// prepared for the collection. What it leaves out, and why that is safe:
//
//   - Validation: SaveNoValidate skips it too; the importer has checked
//     the export (ids, duplicates, values).
//   - The handlers of OnModelCreate, OnModelCreateExecute and
//     OnRecordCreateExecute: PocketBase binds none that act on these
//     collections (its own relay to the record hooks, the auth id check
//     below, the _superusers handler), and neither does wxbase.
//   - The auth id check (a user's id must not be a record's of another
//     auth collection): done here, with one prepared query per other auth
//     collection instead of reading them all for every user.
//   - The after-commit hooks (OnModelAfterCreateSuccess,
//     OnRecordAfterCreateSuccess, and their Error twins): what binds them
//     in wxbase is realtime (no server runs during an import: no one
//     listens), and the caches of the serving process (of openids, of
//     apps), which an import, always run apart from the server, does not
//     have.
//   - Retrying on a locked database: the import holds the write
//     transaction.
//
// So that a handler someone else binds (a pb_hooks script's
// onRecordCreate or onRecordAfterCreateSuccess, say) still sees every
// imported record, the direct writes are only taken when the create hooks
// hold no more handlers than when wxbase bound its own (CreateHooks): else
// every record goes through SaveNoValidate, as before.
type recordWriter interface {
	// create writes a new record (the collection's writer's).
	create(record *core.Record) error
	// close releases the writer's prepared statements.
	close() error
}

// CreateHooks counts the handlers bound to the hooks a record's create
// runs. The import command counts them when it is made, after wxbase's own
// and before pb_hooks scripts load (Options.OwnHooks).
func CreateHooks(app core.App) int {
	return app.OnModelCreate().Length() + app.OnModelCreateExecute().Length() +
		app.OnModelAfterCreateSuccess().Length() + app.OnModelAfterCreateError().Length() +
		app.OnRecordCreate().Length() + app.OnRecordCreateExecute().Length() +
		app.OnRecordAfterCreateSuccess().Length() + app.OnRecordAfterCreateError().Length()
}

// directWrites says whether an import may write its records directly:
// no handler was bound to the create hooks beyond wxbase's own (own of
// them; 0 takes the ones bound now as wxbase's).
func directWrites(app core.App, own int) bool {
	return own == 0 || CreateHooks(app) <= own
}

// newRecordWriter returns the writer of c's new records in tx: direct
// (see recordWriter) or through SaveNoValidate.
func newRecordWriter(tx core.App, c *core.Collection, direct bool) (recordWriter, error) {
	if !direct || !directable(c) {
		return saveWriter{tx}, nil
	}
	return newDirectWriter(tx, c)
}

// saveWriter saves each record with PocketBase's SaveNoValidate.
type saveWriter struct{ tx core.App }

func (s saveWriter) create(record *core.Record) error { return s.tx.SaveNoValidate(record) }
func (saveWriter) close() error                       { return nil }

// directable says whether c's records may be written directly: a base or
// auth collection whose fields' interceptors are the ones whose work is
// done before or around the write itself, run here as save runs them (a
// text field's generated value, autodate times; a file field's uploads,
// though, are undone by an after-commit hook when the import fails, so a
// record with files to upload is saved: see create).
func directable(c *core.Collection) bool {
	if c.IsView() {
		return false
	}
	for _, f := range c.Fields {
		if _, intercepts := f.(core.RecordInterceptor); !intercepts {
			continue
		}
		switch f.(type) {
		case *core.TextField, *core.AutodateField, *core.PasswordField, *core.FileField:
		default:
			return false
		}
	}
	return true
}

// directWriter writes the records of one collection (see recordWriter).
type directWriter struct {
	tx      core.App
	c       *core.Collection
	columns []string // the collection's fields, as DBExport names them
	insert  *dbx.Query
	params  dbx.Params
	names   []string // the params' names, by column
	// otherAuth finds an id among another auth collection's records.
	otherAuth []*dbx.Query
}

func newDirectWriter(tx core.App, c *core.Collection) (*directWriter, error) {
	d := &directWriter{tx: tx, c: c, columns: c.Fields.FieldNames(), params: dbx.Params{}}
	quoted := make([]string, len(d.columns))
	placeholders := make([]string, len(d.columns))
	for i, name := range d.columns {
		quoted[i] = "[[" + name + "]]"
		d.names = append(d.names, fmt.Sprintf("p%d", i))
		placeholders[i] = "{:" + d.names[i] + "}"
	}
	d.insert = tx.NonconcurrentDB().NewQuery(fmt.Sprintf("INSERT INTO {{%s}} (%s) VALUES (%s)",
		c.Name, strings.Join(quoted, ", "), strings.Join(placeholders, ", "))).Prepare()
	if d.insert.LastError != nil {
		return nil, d.insert.LastError
	}
	d.insert.Bind(d.params) // the statement reads d.params, set for each record

	if c.IsAuth() {
		others, err := tx.FindAllCollections(core.CollectionTypeAuth)
		if err != nil {
			return nil, fmt.Errorf("unable to fetch the auth collections for cross-id unique check: %w", err)
		}
		for _, other := range others {
			if other.Id == c.Id {
				continue
			}
			q := tx.NonconcurrentDB().NewQuery(fmt.Sprintf("SELECT count(*) FROM {{%s}} WHERE [[id]] = {:id}", other.Name)).Prepare()
			if q.LastError != nil {
				d.close()
				return nil, q.LastError
			}
			d.otherAuth = append(d.otherAuth, q)
		}
	}
	return d, nil
}

func (d *directWriter) close() error {
	var errs []error
	for _, q := range append(d.otherAuth, d.insert) {
		errs = append(errs, q.Close())
	}
	return errors.Join(errs...)
}

func (d *directWriter) create(record *core.Record) error {
	if !record.IsNew() || record.Collection().Id != d.c.Id {
		return fmt.Errorf("the import's writer of %s takes new records of it only", d.c.Name)
	}
	if uploads(record) {
		return d.tx.SaveNoValidate(record)
	}
	event := new(core.RecordEvent)
	event.App = d.tx
	event.Context = context.Background()
	event.Type = core.ModelEventTypeCreate
	event.Record = record
	return d.tx.OnRecordCreate().Trigger(event, func(e *core.RecordEvent) error {
		return interceptExecute(e.Context, e.App, e.Record, func() error {
			return d.write(e.Record)
		})
	})
}

// interceptExecute runs the field interceptors of the record's write
// (InterceptorActionCreateExecute) around fn, as PocketBase's record hooks
// do, leaving out those that do nothing there for the records written
// here (directable's fields; files to upload take SaveNoValidate):
//
//   - a text field's, which acts on Validate and Create only;
//   - a password field's, which acts after the create only;
//   - a file field's, which uploads the files a record holds and forgets
//     the ones it replaced: a new record without uploads has neither;
//   - an autodate field's, when its value is set: on a new record it sets
//     the time of the write only to a field left empty (its "last known"
//     value, PocketBase's own bookkeeping, is empty on a new record, and
//     a set time differs from it). Reading that value costs a copy of the
//     record (Record.Original) each time, a tenth of an import's time.
func interceptExecute(ctx context.Context, app core.App, record *core.Record, fn func() error) error {
	for _, field := range record.Collection().Fields {
		f, ok := field.(core.RecordInterceptor)
		if !ok {
			continue
		}
		switch field.(type) {
		case *core.TextField, *core.PasswordField, *core.FileField:
			continue
		case *core.AutodateField:
			if t, set := record.GetRaw(field.GetName()).(types.DateTime); set && !t.IsZero() {
				continue
			}
		}
		next := fn
		fn = func() error { return f.Intercept(ctx, app, record, core.InterceptorActionCreateExecute, next) }
	}
	return fn()
}

// write inserts the record's row, as onRecordSaveExecute and the model
// layer's create do.
func (d *directWriter) write(record *core.Record) error {
	for _, q := range d.otherAuth {
		var n int
		if err := q.Bind(dbx.Params{"id": record.Id}).Row(&n); err != nil {
			return err
		}
		if n > 0 {
			return validation.Errors{
				core.FieldNameId: validation.NewError("validation_invalid_auth_id", "Invalid or duplicated auth record id."),
			}
		}
	}
	data, err := record.DBExport(d.tx)
	if err != nil {
		return err
	}
	if _, ok := data[core.FieldNameId]; !ok {
		data[core.FieldNameId] = record.PK()
	}
	if id, _ := data[core.FieldNameId].(string); id == "" {
		return errors.New("empty primary key is not allowed when using the DBExporter interface")
	}
	if len(data) == len(d.columns) {
		for i, name := range d.columns {
			v, ok := data[name]
			if _, expression := v.(dbx.Expression); !ok || expression {
				return d.insertEach(record, data)
			}
			d.params[d.names[i]] = v
		}
		_, err = d.insert.Execute()
	} else {
		return d.insertEach(record, data)
	}
	if err != nil {
		return validators.NormalizeUniqueIndexError(err, d.c.Name, d.c.Fields.FieldNames())
	}
	record.MarkAsNotNew()
	return nil
}

// insertEach writes a row whose columns are not the prepared statement's,
// as the model layer does.
func (d *directWriter) insertEach(record *core.Record, data map[string]any) error {
	if _, err := d.tx.NonconcurrentDB().Insert(d.c.Name, data).Execute(); err != nil {
		return validators.NormalizeUniqueIndexError(err, d.c.Name, d.c.Fields.FieldNames())
	}
	record.MarkAsNotNew()
	return nil
}

// uploads says whether a record may hold files to upload: a file field's
// value that is not file names.
func uploads(record *core.Record) bool {
	for _, f := range record.Collection().Fields {
		if _, ok := f.(*core.FileField); !ok {
			continue
		}
		switch record.GetRaw(f.GetName()).(type) {
		case nil, string, []string:
		default:
			return true
		}
	}
	return false
}

// accountHolders are the users of the WeChat accounts here, by app and
// openid, read at once: asking for each imported openid would cost a
// query each.
func accountHolders(tx core.App) (map[[2]string]string, error) {
	var rows []struct {
		App    string `db:"app"`
		OpenID string `db:"openid"`
		User   string `db:"user"`
	}
	if err := tx.DB().Select("app", "openid", "user").From("wechat_accounts").All(&rows); err != nil {
		return nil, err
	}
	held := make(map[[2]string]string, len(rows))
	for _, r := range rows {
		held[[2]string{r.App, r.OpenID}] = r.User
	}
	return held, nil
}
