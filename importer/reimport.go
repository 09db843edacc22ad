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
// last import, but never what changed here: the ledger says when each
// collection was last imported into, and a record saved here after that
// (its updated time is later) is wxbase's to keep.

// ledgerTable is where imports note, per collection, when they wrote it
// and the latest source time they carried.
const ledgerTable = "_wxbase_imports"

// lastImport is a collection's entry in the ledger.
type lastImport struct {
	At      types.DateTime // when the import committed (at the latest)
	Through types.DateTime // the latest createdAt/updatedAt of its records
}

func ensureLedger(tx core.App) error {
	_, err := tx.DB().NewQuery("CREATE TABLE IF NOT EXISTS `" + ledgerTable + "` (" +
		"`collection` TEXT PRIMARY KEY NOT NULL, `source` TEXT NOT NULL, `at` TEXT NOT NULL, `through` TEXT NOT NULL DEFAULT '')").Execute()
	return err
}

// readLedger is c's entry, if an import wrote c since imports keep one.
func readLedger(tx core.App, c *core.Collection) (*lastImport, error) {
	if err := ensureLedger(tx); err != nil {
		return nil, err
	}
	var row struct {
		At      string `db:"at"`
		Through string `db:"through"`
	}
	err := tx.DB().Select("at", "through").From(ledgerTable).Where(dbx.HashExp{"collection": c.Id}).One(&row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	at, _ := types.ParseDateTime(row.At)
	through, _ := types.ParseDateTime(row.Through)
	return &lastImport{At: at, Through: through}, nil
}

// writeLedger notes that c was imported into now (or at through, when a
// source time is later than this machine's clock), carrying source times
// up to through.
func writeLedger(tx core.App, c *core.Collection, source string, through time.Time) error {
	at := time.Now().UTC()
	if through.After(at) {
		at = through
	}
	var throughText string
	if !through.IsZero() {
		d, _ := types.ParseDateTime(through)
		throughText = d.String()
	}
	atDate, _ := types.ParseDateTime(at)
	_, err := tx.DB().NewQuery("INSERT INTO `" + ledgerTable + "` (`collection`, `source`, `at`, `through`) VALUES ({:c}, {:s}, {:at}, {:through}) " +
		"ON CONFLICT (`collection`) DO UPDATE SET `source` = excluded.`source`, `at` = excluded.`at`, " +
		"`through` = CASE WHEN excluded.`through` > `through` THEN excluded.`through` ELSE `through` END").
		Bind(dbx.Params{"c": c.Id, "s": source, "at": atDate.String(), "through": throughText}).Execute()
	return err
}

// refresh is what a re-import did with the records already here.
type refresh struct {
	collection string
	last       *lastImport
	columns    []string // the fields an import sets; the others are wxbase's
	unchanged  int
	updated    int
	keptHere   []string // changed here and at the source: kept as here
	older      []string // the export's copy is no later than the one here: kept as here
	unknown    int      // no import on record: left as they are
	deleted    []string // deleted here since the last import: not made again
}

// apply brings stored up to fresh, the same record as the export holds it
// now, unless it was changed here since the last import. updated is the
// source's time of the change, or zero for now.
func (r *refresh) apply(tx core.App, stored, fresh *core.Record, updated time.Time) error {
	if r.same(tx, stored, fresh) {
		r.unchanged++
		return nil
	}
	if r.last == nil {
		r.unknown++
		return nil
	}
	if stored.GetDateTime("updated").After(r.last.At) {
		r.keptHere = append(r.keptHere, stored.Id)
		return nil
	}
	if !updated.IsZero() && !updated.After(stored.GetDateTime("updated").Time()) {
		// An older export than the one imported last (its records'
		// updatedAt tells): it would undo what changed at the source.
		r.older = append(r.older, stored.Id)
		return nil
	}
	for _, name := range r.columns {
		stored.SetRaw(name, fresh.GetRaw(name))
	}
	when := types.NowDateTime()
	if !updated.IsZero() {
		when, _ = types.ParseDateTime(updated)
	}
	stored.SetRaw("updated", when)
	if err := tx.SaveNoValidate(stored); err != nil {
		return fmt.Errorf("%s: %w", stored.Id, err)
	}
	r.updated++
	return nil
}

// deletedHere says whether a record of the export, not here, was here
// after the last import: created at the source before the latest time that
// import carried. A record without a creation time is taken as new.
func (r *refresh) deletedHere(sourceID string, created time.Time) bool {
	if r.last == nil || r.last.Through.IsZero() || created.IsZero() || created.After(r.last.Through.Time()) {
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

// note reports what the re-import did with the records already here.
func (r *refresh) note(report *Report) {
	if r.unchanged > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records already here are as in the export", r.collection, r.unchanged))
	}
	if r.updated > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records changed at the source since the last import were updated", r.collection, r.updated))
	}
	if r.unknown > 0 {
		report.Problems = append(report.Problems, fmt.Sprintf("%s: %d records here differ from the export, and no earlier import into %s is on record to tell whether they changed here since: left as they are", r.collection, r.unknown, r.collection))
	}
	if len(r.deleted) > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records of the export were deleted here since the last import, and are not made again: %s", r.collection, len(r.deleted), strings.Join(r.deleted, ", ")))
	}
	if len(r.older) > 0 {
		report.Problems = append(report.Problems, fmt.Sprintf("%s: %d records differ from the export, whose copy is no later than the one here (its updatedAt): an older export, left as they are: %s", r.collection, len(r.older), strings.Join(firstOf(r.older, 20), ", ")))
	}
	for _, id := range r.keptHere {
		report.Problems = append(report.Problems, fmt.Sprintf("%s %s: changed here since the last import, and at the source: kept as it is here", r.collection, id))
	}
}
