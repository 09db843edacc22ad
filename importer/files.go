package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"wxbase/exports"
)

// The files behind an export's file values: LeanCloud's Files (a Pointer
// to _File, {"__type": "File"}) and CloudBase's cloud:// ids. Neither
// export holds their bytes. Given --files, a directory of the files the
// operator downloaded (files_find.go says where each is looked for), a
// field whose files are found there becomes a file field, and each
// record's files are stored where PocketBase stores a record's uploads
// (<collection id>/<record id>/<name> in the app's storage, local or S3,
// named as PocketBase names an upload). The import writes them itself,
// at the end of its transaction and for the records it wrote, so that
// how records are inserted or updated does not matter, and deletes them
// again when the transaction does not commit; a dry run writes none.
//
// A later import of the same export finds the files it stored in the
// ledger below, and gives a record the file it holds when its export's
// file is the same: a file is stored once, and again only when the
// source names another.

// filesLedger notes each file an import stored: the record and field that
// hold it, and the export's file it is (sourceFile.id).
const filesLedger = "_wxbase_import_files"

// importFilesHelp begins the Help of the file fields an import makes.
const importFilesHelp = "Files an import brought from --files"

// isImportFileField says whether field is a file field an import made,
// which later imports of the same export fill again.
func isImportFileField(field core.Field) bool {
	f, ok := field.(*core.FileField)
	return ok && strings.HasPrefix(f.Help, importFilesHelp)
}

// fileImport places an import's files.
type fileImport struct {
	dir    string // --files, or ""
	dryRun bool
	report *Report
	index  *fileIndex
	// named are the files of the export that each file name may be.
	named   map[string]map[string]bool
	located map[string]located    // by sourceFile.id
	fields  map[string]*fileField // by collection id/field name
	pending []pendingFile
}

// fileField is a file field the import fills.
type fileField struct {
	collection *core.Collection
	name       string
	multiple   bool
	// companion is the field that keeps the URLs (cloud:// ids) of the
	// files not found, or "".
	companion string
	// stored are the files records hold from an earlier import: by record
	// id, the export's file (sourceFile.id) → the file's name here.
	stored map[string]map[string]string
	// sources are the export's files an earlier import stored.
	sources map[string]bool
}

// pendingFile is a file to store with its record.
type pendingFile struct {
	field  *fileField
	record string // its id
	source string // the export's file it is (sourceFile.id)
	path   string // where it is in --files
	file   *filesystem.File
}

func (p pendingFile) key() string {
	return p.field.collection.BaseFilesPath() + "/" + p.record + "/" + p.file.Name
}

// newFileImport indexes dir (no index when dir is ""); all are the values
// of the whole export, which say what file names are shared.
func newFileImport(dir string, dryRun bool, report *Report, all iter.Seq[any]) (*fileImport, error) {
	s := &fileImport{dir: dir, dryRun: dryRun, report: report, located: map[string]located{}, fields: map[string]*fileField{}}
	if dir == "" {
		return s, nil
	}
	index, err := indexFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("--files: %w", err)
	}
	s.index = index
	s.named = map[string]map[string]bool{}
	for v := range all {
		files, _, _ := filesOf(v)
		for _, f := range files {
			for _, name := range f.names {
				if s.named[name] == nil {
					s.named[name] = map[string]bool{}
				}
				s.named[name][f.id] = true
			}
		}
	}
	return s, nil
}

// fileScan is what a field's values are, as files.
type fileScan struct {
	files   int
	found   int // in --files
	known   int // not in --files, but stored by an earlier import
	largest int64
	longest int
	array   bool
	cloud   bool
}

// addFields is addFields for a collection whose records may hold files:
// a field whose values are files (LeanCloud Files, cloud:// ids, or arrays
// of them), some of them in --files, becomes a file field, with a field
// that keeps the URLs of the files not found (<name>_url) when there are
// any; so does a file field an earlier import made. Every other field is
// addFields'. names are the fields by key of records, as carriedNames
// gave them. Fields of files not carried are reported here, each file not
// found by set.
func (s *fileImport) addFields(tx core.App, c *core.Collection, inferred []exports.InferredField, targets map[string]string, names map[string]string, records iter.Seq2[string, map[string]any]) ([]FieldPlan, error) {
	keyOf := make(map[string]string, len(names))
	for key, name := range names {
		keyOf[name] = key
	}
	earlier := map[string]*fileField{} // by key: the file fields an earlier import made
	scans := map[string]*fileScan{}
	for _, f := range inferred {
		key := keyOf[f.Name]
		if existing := c.Fields.GetByName(f.Name); isImportFileField(existing) {
			ff, err := storedFiles(tx, c, existing.(*core.FileField))
			if err != nil {
				return nil, err
			}
			earlier[key] = ff
		}
		if f.Kind == exports.KindFile || f.Kind == exports.KindText || f.Kind == exports.KindJSON {
			scans[key] = &fileScan{}
		}
	}
	// One pass over the records, for the fields that may hold files.
	for _, fields := range records {
		for key, scan := range scans {
			files, array, ok := filesOf(fields[key])
			if !ok {
				delete(scans, key)
				continue
			}
			scan.array = scan.array || array
			scan.longest = max(scan.longest, len(files))
			for _, f := range files {
				scan.files++
				scan.cloud = scan.cloud || strings.HasPrefix(f.id, "cloud://")
				if s.index != nil {
					if at := s.locate(f); at.problem == "" {
						scan.found++
						scan.largest = max(scan.largest, at.size)
						continue
					}
				}
				if earlier[key] != nil && earlier[key].sources[f.id] {
					scan.known++
				}
			}
		}
	}
	var rest, files []exports.InferredField
	for _, f := range inferred {
		key := keyOf[f.Name]
		scan := scans[key]
		existing := c.Fields.GetByName(f.Name)
		switch {
		case earlier[key] != nil:
			// An earlier import's file field: this one fills it too.
		case scan == nil || scan.files == 0 || exports.FieldNameProblem(f.Name) != "":
			rest = append(rest, f)
			continue
		case s.index == nil:
			s.report.NotCarried = append(s.report.NotCarried, fmt.Sprintf("%s.%s: its %d files, which the export does not hold (--files takes them, downloaded); their %s are kept", c.Name, f.Name, scan.files, keptWhat(scan)))
			rest = append(rest, f)
			continue
		case existing != nil:
			s.report.NotCarried = append(s.report.NotCarried, fmt.Sprintf("%s.%s: its files, since an earlier import made it a %s field; their %s are kept", c.Name, f.Name, existing.Type(), keptWhat(scan)))
			rest = append(rest, f)
			continue
		case scan.found == 0:
			s.report.NotCarried = append(s.report.NotCarried, fmt.Sprintf("%s.%s: its %d files, none of which is in %s; their %s are kept", c.Name, f.Name, scan.files, s.dir, keptWhat(scan)))
			rest = append(rest, f)
			continue
		}
		files = append(files, f)
	}
	plan, err := addFields(tx, c, rest, targets)
	if err != nil || len(files) == 0 {
		return plan, err
	}
	changed := false
	for _, f := range files {
		key := keyOf[f.Name]
		scan := scans[key]
		if scan == nil {
			scan = &fileScan{}
		}
		ff := earlier[key]
		var field *core.FileField
		if ff != nil {
			field = c.Fields.GetByName(f.Name).(*core.FileField)
			if field.IsMultiple() && field.MaxSelect < scan.longest {
				field.MaxSelect, changed = scan.longest, true
			}
		} else {
			field = &core.FileField{Name: f.Name, MaxSelect: 1, Help: importFilesHelp + ": the export's " + key + "."}
			if scan.array {
				field.MaxSelect = max(scan.longest, 99)
			}
			c.Fields.Add(field)
			changed = true
			why := "its files, from " + s.dir
			if scan.found < scan.files {
				why = fmt.Sprintf("%d of its %d files, from %s", scan.found, scan.files, s.dir)
			}
			plan = append(plan, FieldPlan{Name: f.Name, Kind: "file", Why: why})
			ff = &fileField{name: f.Name}
		}
		ff.collection, ff.multiple = c, field.IsMultiple()
		if scan.largest > core.DefaultFileFieldMaxSize && scan.largest > field.MaxSize {
			field.MaxSize, changed = scan.largest, true
		}
		if scan.found+scan.known < scan.files {
			var added bool
			ff.companion, added = companion(c, f.Name, ff.multiple, keyOf)
			if added {
				changed = true
				kind := "text"
				if ff.multiple {
					kind = "json"
				}
				plan = append(plan, FieldPlan{Name: ff.companion, Kind: kind, Why: fmt.Sprintf("the %s of %s's files not in %s", keptWhat(scan), f.Name, s.dirOr("the export"))})
			}
		}
		s.fields[c.Id+"/"+f.Name] = ff
	}
	slices.SortFunc(plan, func(a, b FieldPlan) int { return strings.Compare(a.Name, b.Name) })
	if !changed {
		return plan, nil
	}
	return plan, tx.Save(c)
}

func (s *fileImport) dirOr(none string) string {
	if s.dir == "" {
		return none
	}
	return s.dir
}

func keptWhat(scan *fileScan) string {
	if scan.cloud {
		return "cloud:// ids"
	}
	return "URLs"
}

// companion finds or adds the field that keeps the URLs of name's files
// not found: name_url (text, or json for several files), unless the
// export or the collection has a field of that name for something else;
// then name_url2, and so on. It says whether it added the field.
func companion(c *core.Collection, name string, multiple bool, keyOf map[string]string) (string, bool) {
	want := core.FieldTypeText
	if multiple {
		want = core.FieldTypeJSON
	}
	for i := 1; ; i++ {
		candidate := name + "_url"
		if i > 1 {
			candidate += fmt.Sprint(i)
		}
		if exports.FieldNameProblem(candidate) != "" {
			return "", false
		}
		if _, inExport := keyOf[candidate]; inExport {
			continue
		}
		switch existing := c.Fields.GetByName(candidate); {
		case existing == nil:
			if multiple {
				c.Fields.Add(&core.JSONField{Name: candidate})
			} else {
				c.Fields.Add(&core.TextField{Name: candidate})
			}
			return candidate, true
		case existing.Type() == want:
			return candidate, false // an earlier import's
		}
	}
}

// companions are the fields of c that keep the URLs of files not found:
// fields the import sets, as importedColumns' own.
func (s *fileImport) companions(c *core.Collection) []string {
	var names []string
	for _, ff := range s.fields {
		if ff.collection.Id == c.Id && ff.companion != "" {
			names = append(names, ff.companion)
		}
	}
	slices.Sort(names)
	return names
}

// values is carry's value function for record: the import's file fields
// are set here (set), every other field by next.
func (s *fileImport) values(record *core.Record, next func(core.Field, string, any) (any, bool)) func(core.Field, string, any) (any, bool) {
	return func(field core.Field, key string, v any) (any, bool) {
		if s.set(record, field, v) {
			return nil, false
		}
		return next(field, key, v)
	}
}

// set stores v in record when field is one of the import's file fields,
// and says whether it did: a file an earlier import stored for the record
// stays; one found in --files goes with the record (store writes it); the
// URL of any other is kept in the field's companion, reported.
func (s *fileImport) set(record *core.Record, field core.Field, v any) bool {
	ff := s.fields[record.Collection().Id+"/"+field.GetName()]
	if ff == nil {
		return false
	}
	where := fmt.Sprintf("%s %s: %s", record.Collection().Name, record.Id, field.GetName())
	files, _, ok := filesOf(v)
	if !ok {
		s.report.NotCarried = append(s.report.NotCarried, fmt.Sprintf("%s: a value that is not a file (%s)", where, storedValueText(v)))
		return true
	}
	if !ff.multiple && len(files) > 1 {
		for _, f := range files[1:] {
			s.report.NotCarried = append(s.report.NotCarried, fmt.Sprintf("%s holds one file: %s is left out", where, f.kept))
		}
		files = files[:1]
	}
	var names, kept []string
	for _, f := range files {
		if name := ff.stored[record.Id][f.id]; name != "" {
			names = append(names, name)
			continue
		}
		problem := "not in the export: --files takes it, downloaded"
		if s.index != nil {
			at := s.locate(f)
			if problem = at.problem; problem == "" {
				file, err := filesystem.NewFileFromPath(at.path)
				if err == nil {
					names = append(names, file.Name)
					s.pending = append(s.pending, pendingFile{field: ff, record: record.Id, source: f.id, path: at.path, file: file})
					continue
				}
				problem = err.Error()
			}
		}
		kept = append(kept, f.kept)
		line := fmt.Sprintf("%s: the file %s (%s)", where, f.kept, problem)
		if ff.companion != "" {
			line += "; kept in " + ff.companion
		}
		s.report.NotCarried = append(s.report.NotCarried, line)
	}
	switch {
	case ff.multiple:
		record.Set(ff.name, names)
	case len(names) > 0:
		record.Set(ff.name, names[0])
	}
	switch {
	case ff.companion == "" || len(kept) == 0:
	case ff.multiple:
		record.Set(ff.companion, kept)
	default:
		record.Set(ff.companion, kept[0])
	}
	return true
}

func storedValueText(v any) string {
	b, _ := json.Marshal(jsonValue(v))
	return string(b)
}

// store writes, at the end of the import's transaction tx, the files set
// took for the records the import wrote (it leaves some as they are), and
// notes them in the ledger. Should the transaction not commit, they are
// deleted again. A dry run writes none.
func (s *fileImport) store(tx core.App) error {
	if len(s.pending) == 0 {
		return nil
	}
	held := map[*fileField]map[string][]string{}
	var written []pendingFile
	for _, p := range s.pending {
		names, ok := held[p.field]
		if !ok {
			var err error
			if names, err = heldFiles(tx, p.field.collection, p.field.name, p.field.multiple); err != nil {
				return err
			}
			held[p.field] = names
		}
		if slices.Contains(names[p.record], p.file.Name) {
			written = append(written, p)
		}
	}
	s.pending = nil
	if len(written) == 0 {
		return nil
	}
	s.report.Notes = append(s.report.Notes, fmt.Sprintf("files from %s that go with their records into file fields: %d", s.dir, len(written)))
	if s.dryRun {
		return nil
	}
	if err := ensureFilesLedger(tx); err != nil {
		return err
	}
	fsys, err := tx.NewFilesystem()
	if err != nil {
		return err
	}
	defer fsys.Close()
	var stored []string
	if info := tx.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				return nil
			}
			return removeFiles(tx, stored)
		})
	}
	for _, p := range written {
		if err := fsys.UploadFile(p.file, p.key()); err != nil {
			return fmt.Errorf("storing %s: %w", p.path, err)
		}
		stored = append(stored, p.key())
		_, err := tx.DB().NewQuery("INSERT OR REPLACE INTO `" + filesLedger + "` (`collection`, `record`, `field`, `source`, `name`) VALUES ({:c}, {:r}, {:f}, {:s}, {:n})").
			Bind(dbx.Params{"c": p.field.collection.Id, "r": p.record, "f": p.field.name, "s": p.source, "n": p.file.Name}).Execute()
		if err != nil {
			return err
		}
	}
	return nil
}

func ensureFilesLedger(tx core.App) error {
	_, err := tx.DB().NewQuery("CREATE TABLE IF NOT EXISTS `" + filesLedger + "` (`collection` TEXT NOT NULL, `record` TEXT NOT NULL, `field` TEXT NOT NULL, `source` TEXT NOT NULL, `name` TEXT NOT NULL, " +
		"PRIMARY KEY (`collection`, `record`, `field`, `source`))").Execute()
	return err
}

// storedFiles is an earlier import's file field of c: the files its
// records still hold, by the export's file they are.
func storedFiles(tx core.App, c *core.Collection, field *core.FileField) (*fileField, error) {
	ff := &fileField{name: field.Name, stored: map[string]map[string]string{}, sources: map[string]bool{}}
	if err := ensureFilesLedger(tx); err != nil {
		return nil, err
	}
	var rows []struct {
		Record string `db:"record"`
		Source string `db:"source"`
		Name   string `db:"name"`
	}
	err := tx.DB().Select("record", "source", "name").From(filesLedger).
		Where(dbx.HashExp{"collection": c.Id, "field": field.Name}).All(&rows)
	if err != nil {
		return nil, err
	}
	held, err := heldFiles(tx, c, field.Name, field.IsMultiple())
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if !slices.Contains(held[r.Record], r.Name) {
			continue // replaced or deleted here since
		}
		if ff.stored[r.Record] == nil {
			ff.stored[r.Record] = map[string]string{}
		}
		ff.stored[r.Record][r.Source] = r.Name
		ff.sources[r.Source] = true
	}
	return ff, nil
}

// heldFiles are the names of the files the records of c hold in a file
// field, by record id.
func heldFiles(tx core.App, c *core.Collection, field string, multiple bool) (map[string][]string, error) {
	var rows []dbx.NullStringMap
	if err := tx.DB().Select("id", field).From(c.Name).All(&rows); err != nil {
		return nil, err
	}
	held := make(map[string][]string, len(rows))
	for _, row := range rows {
		value := row[field].String
		switch {
		case value == "":
		case multiple:
			var names []string
			_ = json.Unmarshal([]byte(value), &names)
			held[row["id"].String] = names
		default:
			held[row["id"].String] = []string{value}
		}
	}
	return held, nil
}

// removeFiles deletes files stored for a transaction that did not commit,
// and the directories of their records and collections, when that leaves
// them empty.
func removeFiles(app core.App, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	fsys, err := app.NewFilesystem()
	if err != nil {
		return err
	}
	defer fsys.Close()
	var errs []error
	var dirs []string
	for _, key := range keys {
		if err := fsys.Delete(key); err != nil && !errors.Is(err, filesystem.ErrNotFound) {
			errs = append(errs, err)
		}
		collection, rest, _ := strings.Cut(key, "/")
		record, _, _ := strings.Cut(rest, "/")
		for _, dir := range []string{collection + "/" + record, collection} {
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
	}
	// Records' directories before their collection's.
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, dir := range dirs {
		if fsys.IsEmptyDir(dir) {
			if err := fsys.Delete(dir); err != nil && !errors.Is(err, filesystem.ErrNotFound) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing the files of the import that did not commit: %w", errors.Join(errs...))
	}
	return nil
}
