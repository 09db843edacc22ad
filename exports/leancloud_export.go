package exports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// LeanCloudExport is a whole LeanCloud export, read and checked: every
// class's records, its users, its files' metadata. Reading it all before
// writing anything is what lets an import be all or nothing, and a dry run
// tell everything an import would do.
type LeanCloudExport struct {
	Users   []LeanCloudUser
	Classes map[string]*LeanCloudClass // by class name, _User and _File left out
	Files   map[string]File            // _File by objectId: name and URL
	// Skipped are the system classes an import does not carry (roles,
	// push devices, IM conversations), each with its record count.
	Skipped map[string]int
	// Joins are the members of Relation columns, from the export's join
	// tables (_Join:<column>:<Class>): by class, column and owning
	// record, the related records' ids.
	Joins map[string]map[string]map[string][]string
}

// Members are the related ids of a record's Relation column, and whether
// the export has the column's join table.
func (x *LeanCloudExport) Members(class, column, owningID string) ([]string, bool) {
	rows, ok := x.Joins[class][column]
	if !ok {
		return nil, false
	}
	return rows[owningID], true
}

// LeanCloudClass is the records of one class.
type LeanCloudClass struct {
	Name    string
	Records []LeanCloudRecord
	Schema  Schema
}

// LeanCloudRecord is one record of a class: its id, times, ACL and other
// fields, decoded.
type LeanCloudRecord struct {
	Source           At // for reports
	ID               string
	Created, Updated time.Time
	ACL              *LeanCloudACL
	// RawACL is the ACL as the export holds it, as JSON (json.Marshal of
	// the object read: keys sorted), or nil.
	RawACL any
	Fields map[string]any
	// Credentials are the paths of the keys dropped as credentials
	// (IsCredentialKey), at any depth: "user.sessionToken".
	Credentials []string
}

// At is where a record starts in an export: a file and a line. It prints
// as file:line.
type At struct {
	File string
	Line int
}

func (a At) String() string { return a.File + ":" + strconv.Itoa(a.Line) }

// isSystemClass says whether a class is one of LeanCloud's own (their
// names start with _, which apps' class names cannot) other than _User and
// _File: roles (_Role, whose grants an import does not carry), push
// devices (_Installation), IM (_Conversation), the follow graph of its
// status API (_Followee, _Follower, _Status), and any other. None has a
// counterpart here: their records are counted, not imported.
func isSystemClass(class string) bool {
	return strings.HasPrefix(class, "_") && class != "_User" && class != "_File"
}

// ReadLeanCloud reads the export at root (Walk's forms). miniPrograms are
// the authData keys besides lc_weapp that are mini-program logins. The
// first malformed record stops it with an *Error naming its file and line;
// so does an objectId given twice in one class.
func ReadLeanCloud(root string, miniPrograms []string) (*LeanCloudExport, error) {
	x := &LeanCloudExport{Classes: map[string]*LeanCloudClass{}, Files: map[string]File{}, Skipped: map[string]int{}, Joins: map[string]map[string]map[string][]string{}}
	userAt := map[string]At{}
	recordAt := map[string]map[string]At{}
	err := Walk(root, func(src Source, r io.Reader) error {
		class := src.Class
		return ReadRecords(src.Path, r, func(rec Record) error {
			at := At{File: src.Path, Line: rec.Line}
			fail := func(err error) error { return &Error{File: src.Path, Line: rec.Line, What: err.Error()} }
			switch {
			case class == "_User":
				u, err := ReadLeanCloudUser(rec.Fields, miniPrograms)
				if err != nil {
					return fail(err)
				}
				if first, dup := userAt[u.ID]; dup {
					return fail(fmt.Errorf("the user %s is in the export twice (first at %s)", u.ID, first))
				}
				userAt[u.ID] = at
				x.Users = append(x.Users, u)
			case class == "_File":
				id, _ := rec.Fields["objectId"].(string)
				url, _ := rec.Fields["url"].(string)
				name, _ := rec.Fields["name"].(string)
				if id == "" {
					return fail(fmt.Errorf("a _File record without an objectId"))
				}
				x.Files[id] = File{ID: id, URL: url, Name: name}
			case strings.HasPrefix(class, "_Join:"):
				// LeanCloud keeps a Relation's members as rows of
				// _Join:<column>:<Class>, each an owningId and a relatedId.
				_, rest, _ := strings.Cut(class, ":")
				column, owner, ok := strings.Cut(rest, ":")
				if !ok || column == "" || owner == "" {
					return fail(fmt.Errorf("a join table is named _Join:<column>:<Class>, not %s", class))
				}
				owning, _ := rec.Fields["owningId"].(string)
				related, _ := rec.Fields["relatedId"].(string)
				if owning == "" || related == "" {
					return fail(fmt.Errorf("a row of %s needs owningId and relatedId", class))
				}
				if x.Joins[owner] == nil {
					x.Joins[owner] = map[string]map[string][]string{}
				}
				if x.Joins[owner][column] == nil {
					x.Joins[owner][column] = map[string][]string{}
				}
				x.Joins[owner][column][owning] = append(x.Joins[owner][column][owning], related)
			case isSystemClass(class):
				x.Skipped[class]++
			default:
				r, err := readLeanCloudRecord(rec.Fields)
				if err != nil {
					return fail(err)
				}
				r.Source = at
				c := x.Classes[class]
				if c == nil {
					c = &LeanCloudClass{Name: class}
					x.Classes[class] = c
					recordAt[class] = map[string]At{}
				}
				if first, dup := recordAt[class][r.ID]; dup {
					return fail(fmt.Errorf("the %s record %s is in the export twice (first at %s)", class, r.ID, first))
				}
				recordAt[class][r.ID] = at
				c.Records = append(c.Records, r)
				c.Schema.Add(r.Fields)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	x.resolveFiles()
	return x, nil
}

// resolveFiles gives each File value that names a _File record (a Pointer
// to _File, the write form {"__type": "File", "id"}) that record's URL and
// name, which the value itself lacks.
func (x *LeanCloudExport) resolveFiles() {
	if len(x.Files) == 0 {
		return
	}
	var resolve func(v any) any
	resolve = func(v any) any {
		switch t := v.(type) {
		case File:
			if meta, ok := x.Files[t.ID]; ok && t.ID != "" {
				if t.URL == "" {
					t.URL = meta.URL
				}
				if t.Name == "" {
					t.Name = meta.Name
				}
			}
			return t
		case []any:
			for i, e := range t {
				t[i] = resolve(e)
			}
		case map[string]any:
			for k, e := range t {
				t[k] = resolve(e)
			}
		}
		return v
	}
	for _, u := range x.Users {
		resolve(u.Fields)
	}
	for _, c := range x.Classes {
		for _, r := range c.Records {
			resolve(r.Fields)
		}
	}
}

// readLeanCloudRecord reads a record of an application class.
func readLeanCloudRecord(fields map[string]any) (LeanCloudRecord, error) {
	var r LeanCloudRecord
	r.ID, _ = fields["objectId"].(string)
	if r.ID == "" {
		return r, fmt.Errorf("a record without an objectId")
	}
	var err error
	if r.Created, err = plainTime(fields["createdAt"]); err != nil {
		return r, fmt.Errorf("createdAt: %w", err)
	}
	if r.Updated, err = plainTime(fields["updatedAt"]); err != nil {
		return r, fmt.Errorf("updatedAt: %w", err)
	}
	if r.ACL, err = ReadLeanCloudACL(fields["ACL"]); err != nil {
		return r, fmt.Errorf("ACL: %w", err)
	}
	r.Credentials = dropCredentials(fields, nil, "ACL")
	if r.ACL != nil {
		// Kept as JSON: a few bytes the collector need not walk, where
		// the object read is a map of maps.
		raw, err := json.Marshal(fields["ACL"])
		if err != nil {
			return r, fmt.Errorf("ACL: %w", err)
		}
		r.RawACL = json.RawMessage(raw)
	}
	// A map of the record's other fields alone is smaller (a map of up
	// to 8 is one group); the values read are the record's own, decoded
	// where they are.
	n := len(fields)
	for _, key := range []string{"objectId", "createdAt", "updatedAt", "ACL"} {
		if _, ok := fields[key]; ok {
			n--
		}
	}
	r.Fields = make(map[string]any, n)
	for key, v := range fields {
		switch key {
		case "objectId", "createdAt", "updatedAt", "ACL":
			continue
		}
		d, err := decodeLeanCloudInPlace(v)
		if err != nil {
			return r, fmt.Errorf("%s: %w", key, err)
		}
		r.Fields[key] = d
	}
	return r, nil
}
