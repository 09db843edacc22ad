package importer

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/core"
)

// sourceIDField holds, on the records whose source id could not be kept,
// that id: the record answers to it through a query, and a later import of
// the same export finds it by it.
const sourceIDField = "source_id"

// recordIDs decides the id each record of one collection has here. A
// record keeps its source id, so that stored references, share links and
// doc(id) keep working, unless the collection cannot hold it: its id field
// takes other characters, or another record's id equals it but for letter
// case (ids are compared regardless of case here, as the collection's
// unique NOCASE index says). Such a record gets a new id and keeps its
// source id in source_id; Pointers to it follow.
type recordIDs struct {
	collection string
	pattern    *regexp.Regexp
	maxLen     int
	taken      map[string]string // lower-case id → the id holding it (stored or given)
	here       map[string]string // source id → id here, for every record of the export
	mapped     map[string]string // source id → id here, for the ids not kept
	stored     map[string]bool   // ids (here) the collection held before the import
	newly      []string          // source ids not kept, mapped by this import
}

// newRecordIDs reads the ids c holds, and the source ids of its records
// that could not keep theirs, from an earlier import.
func newRecordIDs(tx core.App, c *core.Collection) (*recordIDs, error) {
	ids := &recordIDs{collection: c.Name, taken: map[string]string{}, here: map[string]string{}, mapped: map[string]string{}, stored: map[string]bool{}}
	if f, ok := c.Fields.GetByName(core.FieldNameId).(*core.TextField); ok {
		ids.maxLen = f.Max
		if f.Pattern != "" {
			re, err := regexp.Compile(f.Pattern)
			if err != nil {
				return nil, err
			}
			ids.pattern = re
		}
	}
	var rows []struct {
		ID     string `db:"id"`
		Source string `db:"source"`
	}
	columns := []string{"id"}
	if c.Fields.GetByName(sourceIDField) != nil {
		columns = append(columns, sourceIDField+" AS source")
	}
	if err := tx.DB().Select(columns...).From(c.Name).All(&rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		ids.stored[r.ID] = true
		ids.taken[strings.ToLower(r.ID)] = r.ID
		if r.Source != "" {
			ids.here[r.Source] = r.ID
			ids.mapped[r.Source] = r.ID
		}
	}
	return ids, nil
}

// assign gives each source id, in the export's order, its id here.
func (ids *recordIDs) assign(sourceIDs []string) {
	for _, id := range sourceIDs {
		if _, done := ids.here[id]; done {
			continue // mapped by an earlier import
		}
		holder, clash := ids.taken[strings.ToLower(id)]
		if (!clash || holder == id) && ids.fits(id) {
			ids.here[id] = id
			ids.taken[strings.ToLower(id)] = id
			continue
		}
		var fresh string
		for {
			fresh = core.GenerateDefaultRandomId()
			if _, used := ids.taken[fresh]; !used {
				break
			}
		}
		ids.here[id] = fresh
		ids.mapped[id] = fresh
		ids.taken[fresh] = fresh
		ids.newly = append(ids.newly, id)
	}
}

func (ids *recordIDs) fits(id string) bool {
	return (ids.pattern == nil || ids.pattern.MatchString(id)) && (ids.maxLen == 0 || len(id) <= ids.maxLen)
}

// of is the id here of a source id of the export, and whether it has one.
func (ids *recordIDs) of(sourceID string) (string, bool) {
	id, ok := ids.here[sourceID]
	return id, ok
}

// exists says whether the collection held the record before the import.
func (ids *recordIDs) exists(sourceID string) bool {
	id, ok := ids.here[sourceID]
	return ok && ids.stored[id]
}

// addSourceField gives c the source_id field when some id is not kept.
func (ids *recordIDs) addSourceField(tx core.App, c *core.Collection) error {
	if len(ids.mapped) == 0 || c.Fields.GetByName(sourceIDField) != nil {
		return nil
	}
	c.Fields.Add(&core.TextField{Name: sourceIDField, Help: "The id this record had in the export, which ids here cannot hold (letter case, or characters)."})
	c.AddIndex("idx_"+c.Name+"_"+sourceIDField, false, sourceIDField, "")
	return tx.Save(c)
}

// setID sets a new record's id, and its source id when not kept.
func (ids *recordIDs) setID(record *core.Record, sourceID string) {
	record.Id = ids.here[sourceID]
	if record.Id != sourceID {
		record.Set(sourceIDField, sourceID)
	}
}

// report lists the ids not kept, with what doc(oldId) does now.
func (ids *recordIDs) report(report *Report) {
	for _, source := range ids.newly {
		id := ids.mapped[source]
		why := "another record's id equals it but for letter case, and ids here are compared regardless of case"
		if !ids.fits(source) {
			why = fmt.Sprintf("ids here match %s, %d characters at most", ids.pattern, ids.maxLen)
		}
		report.Problems = append(report.Problems, fmt.Sprintf(
			"%s %s: stored with the id %s, its source id in %s (%s); doc(%q) finds nothing, where({%s: %q}) finds it, and Pointers to it were made to point to %s",
			ids.collection, source, id, sourceIDField, why, source, sourceIDField, source, id))
	}
}
