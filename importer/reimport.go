package importer

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A later export of the same source updates what changed there since the
// last import, but never what changed here. Each record an import writes
// carries, in import_updated, the updated time the import gave it: any
// save here moves updated on, so a record whose two times differ was
// changed here since.

// importedField is the hidden date field holding the updated time an
// import gave a record.
const importedField = "import_updated"

// ensureImportedField gives c the import_updated field.
func ensureImportedField(tx core.App, c *core.Collection) error {
	if c.Fields.GetByName(importedField) != nil {
		return nil
	}
	c.Fields.Add(importedDateField())
	return tx.Save(c)
}

func importedDateField() *core.DateField {
	return &core.DateField{Name: importedField, Hidden: true,
		Help: "The updated time an import gave this record: when updated differs, the record was changed here since, and a later import leaves it as it is."}
}

// stamp sets a new or refreshed record's updated time (the source's, or
// now) and notes it as the import's.
func stamp(record *core.Record, updated time.Time) {
	when := types.NowDateTime()
	if !updated.IsZero() {
		when, _ = types.ParseDateTime(updated)
	}
	record.SetRaw("updated", when)
	record.SetRaw(importedField, when)
}

// ledgerTable is where LeanCloud imports note, per collection, the latest
// source time they carried: a record of a later export created before it
// was in the earlier one, so one missing here was deleted here.
const ledgerTable = "_wxbase_imports"

// readThrough is the latest source time an import carried into c.
func readThrough(tx core.App, c *core.Collection) (time.Time, error) {
	if _, err := tx.DB().NewQuery("CREATE TABLE IF NOT EXISTS `" + ledgerTable + "` (`collection` TEXT PRIMARY KEY NOT NULL, `through` TEXT NOT NULL)").Execute(); err != nil {
		return time.Time{}, err
	}
	var through string
	err := tx.DB().Select("through").From(ledgerTable).Where(dbx.HashExp{"collection": c.Id}).Row(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	d, _ := types.ParseDateTime(through)
	return d.Time(), nil
}

// writeThrough notes through as the latest source time carried into c,
// when it is later than the one noted: an import that carries nothing
// new writes nothing.
func writeThrough(tx core.App, c *core.Collection, before, through time.Time) error {
	if !through.After(before) {
		return nil
	}
	d, _ := types.ParseDateTime(through)
	_, err := tx.DB().NewQuery("INSERT INTO `" + ledgerTable + "` (`collection`, `through`) VALUES ({:c}, {:through}) " +
		"ON CONFLICT (`collection`) DO UPDATE SET `through` = excluded.`through`").
		Bind(dbx.Params{"c": c.Id, "through": d.String()}).Execute()
	return err
}

// refresh is what an import did with the records already here.
type refresh struct {
	collection  string
	through     time.Time // the latest source time an earlier import carried
	columns     []string  // the fields an import sets; the others are wxbase's
	created     int       // records new here
	unchanged   int
	updated     int
	changedHere int      // changed here only: kept as here
	keptHere    []string // changed here, and the export differs: kept as here
	unknown     int      // written here, not by an import: left as they are
	deleted     []string // deleted here since an earlier import: not made again
}

// apply brings stored up to fresh, the same record as the export holds it
// now, unless it was changed here since an import wrote it. updated is the
// source's time of the change, or zero for now.
func (r *refresh) apply(tx core.App, stored, fresh *core.Record, updated time.Time) error {
	if r.same(tx, stored, fresh) {
		r.unchanged++
		return nil
	}
	mark := stored.GetDateTime(importedField)
	if mark.IsZero() {
		r.unknown++
		return nil
	}
	if !stored.GetDateTime("updated").Equal(mark) {
		// Changed here. The source changed it too unless its time is still
		// the one the import carried (a CloudBase export has none to say).
		if source, _ := types.ParseDateTime(updated); !updated.IsZero() && source.Equal(mark) {
			r.changedHere++
		} else {
			r.keptHere = append(r.keptHere, stored.Id)
		}
		return nil
	}
	for _, name := range r.columns {
		stored.SetRaw(name, fresh.GetRaw(name))
	}
	stamp(stored, updated)
	if err := tx.SaveNoValidate(stored); err != nil {
		return fmt.Errorf("%s: %w", stored.Id, err)
	}
	r.updated++
	return nil
}

// deletedHere says whether a record of the export, not here, was here
// after an earlier import: created at the source before the latest time
// that import carried. A record without a creation time is taken as new.
func (r *refresh) deletedHere(sourceID string, created time.Time) bool {
	if r.through.IsZero() || created.IsZero() || created.After(r.through) {
		return false
	}
	r.deleted = append(r.deleted, sourceID)
	return true
}

// same says whether stored holds what fresh does in every imported field,
// compared as the database stores them.
func (r *refresh) same(tx core.App, stored, fresh *core.Record) bool {
	a, errA := stored.DBExport(tx)
	b, errB := fresh.DBExport(tx)
	if errA != nil || errB != nil {
		return false
	}
	for _, name := range r.columns {
		if !reflect.DeepEqual(a[name], b[name]) {
			return false
		}
	}
	return true
}

// note reports what the import did with the collection's records.
func (r *refresh) note(report *Report) {
	for i := range report.Collections {
		if report.Collections[i].Name == r.collection {
			report.Collections[i].New, report.Collections[i].Updated = r.created, r.updated
		}
	}
	if r.unchanged > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records already here are as in the export", r.collection, r.unchanged))
	}
	if r.updated > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records changed at the source since the last import were updated", r.collection, r.updated))
	}
	if r.unknown > 0 {
		report.Problems = append(report.Problems, fmt.Sprintf("%s: %d records here, with the export's ids, differ from the export and were not written by an import: left as they are", r.collection, r.unknown))
	}
	if len(r.deleted) > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records of the export were deleted here since the last import, and are not made again: %s", r.collection, len(r.deleted), strings.Join(firstOf(r.deleted, 20), ", ")))
	}
	if r.changedHere > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records changed here since the last import, and not in the export since, are kept as they are here", r.collection, r.changedHere))
	}
	for _, id := range r.keptHere {
		report.Problems = append(report.Problems, fmt.Sprintf("%s %s: changed here since the last import, and the export holds other values: kept as it is here", r.collection, id))
	}
}
