package hooks

import (
	"context"
	"errors"
	"fmt"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// A first login saves two records, the user and their account. Through
// app.Save each went down PocketBase's chain of model and record events,
// and a user's save read and decoded every auth collection from the
// database to check that no other holds its id: most of a first login's
// cost. directCreates saves them the same way without the events, while
// no one but PocketBase and wxbase listens to them.
//
// What a save does is kept, in the same order: the fields' interceptors
// (ids, token keys, dates), wxbase's own handlers on those events (the
// session_key sealed, writes refused once the replica's lease is lost),
// every field's validation, the cross-collection id check (from the cached
// collections), the row from the record's own DBExport, inserted in the
// transaction, and the after-create events once it commits, which
// PocketBase's and wxbase's realtime, and any other listener, get.
type directCreates struct {
	// bound counts the handlers of the events skipped, as bound when
	// Register returned. Once a pb_hooks script or Go code binds another
	// (onRecordCreate, say), logins save through app.Save.
	bound createHookCounts
}

// createHookCounts are the lengths of the hooks a record's create triggers
// before its commit.
type createHookCounts struct {
	modelValidate, modelCreate, modelExecute    int
	recordValidate, recordCreate, recordExecute int
}

func countCreateHooks(app core.App) createHookCounts {
	return createHookCounts{
		modelValidate:  app.OnModelValidate().Length(),
		modelCreate:    app.OnModelCreate().Length(),
		modelExecute:   app.OnModelCreateExecute().Length(),
		recordValidate: app.OnRecordValidate().Length(),
		recordCreate:   app.OnRecordCreate().Length(),
		recordExecute:  app.OnRecordCreateExecute().Length(),
	}
}

// newDirectCreates is given the hooks as they were before Register bound
// wxbase's handlers and after. wxbase's own handlers on those events must
// be the ones createDirectly carries out, or skipping the events would skip
// one: a handler added to Register alone stops every start (and test) here.
func newDirectCreates(before, after createHookCounts, replicating bool) directCreates {
	own := createHookCounts{recordCreate: 1} // the vault's SealOnSave
	if replicating {
		own.modelCreate = 1 // refuseWritesWhenLost
	}
	added := createHookCounts{
		modelValidate:  after.modelValidate - before.modelValidate,
		modelCreate:    after.modelCreate - before.modelCreate,
		modelExecute:   after.modelExecute - before.modelExecute,
		recordValidate: after.recordValidate - before.recordValidate,
		recordCreate:   after.recordCreate - before.recordCreate,
		recordExecute:  after.recordExecute - before.recordExecute,
	}
	if added != own {
		panic(fmt.Sprintf("wxbase binds %+v handlers on a record's create events, and createDirectly carries out %+v: make them agree", added, own))
	}
	return directCreates{bound: after}
}

// possible reports whether records of app may be created directly now.
func (d *directCreates) possible(app core.App) bool {
	return countCreateHooks(app) == d.bound
}

// createDirectly inserts the new record in the transaction tx as
// tx.Save(record) would, but for the events before its commit (see
// directCreates); afterCreate finishes once tx commits, undoCreates once it
// rolls back.
// Its statements are those prepareDirectCreates prepared.
func (s *server) createDirectly(tx core.App, record *core.Record) error {
	if err := s.insertDirectly(tx, record); err != nil {
		// New again, as after a failed save. Its file fields deleted what
		// they uploaded (their interceptors saw the failure). No error event
		// fires: the caller saves it again through app.Save, whose own
		// failure, if it fails too, fires them once.
		record.MarkAsNew()
		return err
	}
	return nil
}

func (s *server) insertDirectly(tx core.App, record *core.Record) error {
	ctx := context.Background()
	return intercept(ctx, tx, record, core.InterceptorActionCreate, func() error {
		if err := s.vault.Seal(record); err != nil {
			return err
		}
		if s.replication != nil {
			if err := s.replication.refuseIfLost(record.TableName()); err != nil {
				return err
			}
		}
		if err := intercept(ctx, tx, record, core.InterceptorActionValidate, func() error {
			return validateFields(ctx, tx, record)
		}); err != nil {
			return err
		}
		return intercept(ctx, tx, record, core.InterceptorActionCreateExecute, func() error {
			if record.Collection().IsAuth() {
				if err := s.checkAuthIDUnused(tx, record); err != nil {
					return err
				}
			}
			data, err := record.DBExport(tx)
			if err != nil {
				return err
			}
			if err := s.writer.insert(tx, record.TableName(), data); err != nil {
				return err
			}
			record.MarkAsNotNew()
			return nil
		})
	})
}

// afterCreate fires the after-create events of records, created directly
// in a transaction that committed, as PocketBase does for a saved one.
func afterCreate(app core.App, records ...*core.Record) error {
	var errs []error
	for _, record := range records {
		if err := app.OnModelAfterCreateSuccess().Trigger(createEvent(app, record)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// undoCreates makes records, created directly in a transaction that then
// rolled back, new again, and runs their fields' after-create-error
// interceptors with app, which began it: file fields delete the files
// uploaded for them, as for a save whose transaction failed. No error event
// fires: the caller saves them again through app.Save, which fires its own.
func undoCreates(app core.App, records ...*core.Record) {
	for _, record := range records {
		record.MarkAsNew()
		_ = intercept(context.Background(), app, record, core.InterceptorActionAfterCreateError, func() error { return nil })
	}
}

func createEvent(app core.App, record *core.Record) *core.ModelEvent {
	event := new(core.ModelEvent)
	event.App = app
	event.Context = context.Background()
	event.Type = core.ModelEventTypeCreate
	event.Model = record
	return event
}

// intercept runs action inside the interceptors of record's fields for
// actionName, as PocketBase's record events do.
func intercept(ctx context.Context, app core.App, record *core.Record, actionName string, action func() error) error {
	for _, field := range record.Collection().Fields {
		if interceptor, ok := field.(core.RecordInterceptor); ok {
			next := action
			action = func() error { return interceptor.Intercept(ctx, app, record, actionName, next) }
		}
	}
	return action()
}

// validateFields validates every field of record, as PocketBase's record
// validation does.
func validateFields(ctx context.Context, app core.App, record *core.Record) error {
	errs := validation.Errors{}
	for _, field := range record.Collection().Fields {
		if err := field.ValidateValue(ctx, app, record); err != nil {
			errs[field.GetName()] = err
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkAuthIDUnused is PocketBase's check that no other auth collection
// holds a new auth record's id, over the cached collections (which every
// collection change reloads) instead of all of them read and decoded again.
func (s *server) checkAuthIDUnused(tx core.App, record *core.Record) error {
	for _, collection := range otherAuthCollections(tx, record.Collection()) {
		if found, _ := s.writer.exists(tx, existsSQL(tx, collection.Name, core.FieldNameId), record.Id); found {
			return validation.Errors{core.FieldNameId: validation.NewError("validation_invalid_auth_id", "Invalid or duplicated auth record id.")}
		}
	}
	return nil
}

// otherAuthCollections are the cached auth collections but collection.
func otherAuthCollections(app core.App, collection *core.Collection) []*core.Collection {
	collections, _ := app.Store().Get(core.StoreKeyCachedCollections).([]*core.Collection)
	var others []*core.Collection
	for _, c := range collections {
		if c.IsAuth() && c.Id != collection.Id {
			others = append(others, c)
		}
	}
	return others
}

// prepareDirectCreates prepares queries and what creating records of
// collections directly runs: their INSERTs and, for an auth collection, the
// id checks of the other auth collections.
func (s *server) prepareDirectCreates(app core.App, queries []string, collections ...*core.Collection) error {
	if collections, _ := app.Store().Get(core.StoreKeyCachedCollections).([]*core.Collection); collections == nil {
		return errors.New("the collections are not cached yet")
	}
	for _, collection := range collections {
		queries = append(queries, insertSQL(app, collection))
		if collection.IsAuth() {
			for _, other := range otherAuthCollections(app, collection) {
				queries = append(queries, existsSQL(app, other.Name, core.FieldNameId))
			}
		}
	}
	return s.writer.prepare(app, queries...)
}
