package importer

import (
	"fmt"
	"io/fs"
	"iter"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"wxbase/exports"
)

// Where a file of an export is looked for below --files (the first place
// that has it):
//
//   - LeanCloud: at its URL's path, with or without the host
//     (https://host/a/b.png: a/b.png or host/a/b.png, as a download that
//     keeps paths writes it, or one rebuilt from _File's key); as
//     <objectId> with any extension, or <objectId>/<name>; then by the
//     last segment of its URL, then by its name, anywhere below.
//   - CloudBase: cloud://<env>.<bucket>/<path> at <path> (what a download
//     of the storage's root keeps), <env>.<bucket>/<path> or
//     <bucket>/<path>; then by its file name, anywhere below.
//
// A file name counts only when one file below the directory has it and
// one file of the export may be it: a name that fits several is reported,
// never picked. Hidden files are passed over.

// sourceFile is a file an export names.
type sourceFile struct {
	id   string // what tells it apart: its URL, cloud:// id or _File objectId
	kept string // what is kept when it is not found: its URL or cloud:// id
	// paths are the places below --files that can only be this file, in
	// order; stem is an objectId it may be stored under, with any
	// extension; names are file names it may share with other files.
	paths []string
	stem  string
	names []string
}

// located is where a file was found, or why it was not.
type located struct {
	path    string
	size    int64
	problem string
}

// leanCloudValues are the values of a LeanCloud export that may be files:
// every _File record, and the users' and classes' fields.
func leanCloudValues(x *exports.LeanCloudExport) iter.Seq[any] {
	return func(yield func(any) bool) {
		for _, f := range x.Files {
			if !yield(f) {
				return
			}
		}
		for _, u := range x.Users {
			for _, v := range u.Fields {
				if !yield(v) {
					return
				}
			}
		}
		for _, c := range x.Classes {
			for _, r := range c.Records {
				for _, v := range r.Fields {
					if !yield(v) {
						return
					}
				}
			}
		}
	}
}

// cloudBaseValues are the values of a CloudBase export's records.
func cloudBaseValues(x *exports.CloudBaseExport) iter.Seq[any] {
	return func(yield func(any) bool) {
		for _, c := range x.Collections {
			for _, r := range c.Records {
				for _, v := range r.Fields {
					if !yield(v) {
						return
					}
				}
			}
		}
	}
}

// sourceRecords are an export's records for a collection: id and fields.
type sourceRecords = iter.Seq2[string, map[string]any]

func leanCloudRecords(records []exports.LeanCloudRecord) sourceRecords {
	return func(yield func(string, map[string]any) bool) {
		for _, r := range records {
			if !yield(r.ID, r.Fields) {
				return
			}
		}
	}
}

func leanCloudUserRecords(users []exports.LeanCloudUser) sourceRecords {
	return func(yield func(string, map[string]any) bool) {
		for _, u := range users {
			if !yield(u.ID, u.Fields) {
				return
			}
		}
	}
}

func cloudBaseRecords(records []exports.CloudBaseRecord) sourceRecords {
	return func(yield func(string, map[string]any) bool) {
		for _, r := range records {
			if !yield(r.ID, r.Fields) {
				return
			}
		}
	}
}

// filesOf reads a value as files: a LeanCloud File, a cloud:// id, or an
// array of them (array). Nulls and empty strings are no file; ok is false
// when v holds anything else.
func filesOf(v any) (files []sourceFile, array, ok bool) {
	one := func(x any) (sourceFile, bool, bool) {
		switch t := x.(type) {
		case nil:
			return sourceFile{}, false, true
		case exports.File:
			return leanCloudFile(t), true, true
		case string:
			if t == "" {
				return sourceFile{}, false, true
			}
			f, ok := cloudFile(t)
			return f, ok, ok
		}
		return sourceFile{}, false, false
	}
	list, array := v.([]any)
	if !array {
		list = []any{v}
	}
	for _, x := range list {
		f, some, ok := one(x)
		if !ok {
			return nil, false, false
		}
		if some {
			files = append(files, f)
		}
	}
	return files, array, true
}

// leanCloudFile is where a LeanCloud File may be.
func leanCloudFile(f exports.File) sourceFile {
	s := sourceFile{id: f.URL, kept: f.URL, stem: f.ID}
	if s.id == "" {
		s.id, s.kept = "_File "+f.ID, f.ID
	}
	if u, err := url.Parse(f.URL); err == nil && f.URL != "" {
		for _, p := range []string{u.Path, u.EscapedPath()} {
			p = strings.TrimPrefix(path.Clean("/"+p), "/")
			if p == "" {
				continue
			}
			s.paths = append(s.paths, p, u.Host+"/"+p)
			s.names = append(s.names, path.Base(p))
		}
	}
	if f.ID != "" && f.Name != "" {
		s.paths = append(s.paths, f.ID+"/"+f.Name)
	}
	if f.Name != "" {
		s.names = append(s.names, path.Base(f.Name))
	}
	s.paths, s.names = uniques(s.paths), uniques(s.names)
	return s
}

// cloudFile is where the file of a cloud:// id may be, if id is one.
func cloudFile(id string) (sourceFile, bool) {
	rest, ok := strings.CutPrefix(id, "cloud://")
	host, p, _ := strings.Cut(rest, "/")
	_, bucket, _ := strings.Cut(host, ".")
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if !ok || bucket == "" || p == "" {
		return sourceFile{}, false
	}
	return sourceFile{id: id, kept: id, paths: []string{p, host + "/" + p, bucket + "/" + p}, names: []string{path.Base(p)}}, true
}

func uniques(list []string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// fileIndex is what --files holds: each file by its path below it, by its
// name, and by its name less the extension.
type fileIndex struct {
	dir   string
	paths map[string]indexedFile
	names map[string][]string
	stems map[string][]string
}

type indexedFile struct {
	path string
	size int64
}

func indexFiles(dir string) (*fileIndex, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	x := &fileIndex{dir: dir, paths: map[string]indexedFile{}, names: map[string][]string{}, stems: map[string][]string{}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := p != dir && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case d.IsDir() || hidden:
			return nil
		}
		info, err := os.Stat(p) // a link to a file is the file
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := path.Base(rel)
		x.paths[rel] = indexedFile{path: p, size: info.Size()}
		x.names[name] = append(x.names[name], rel)
		stem := strings.TrimSuffix(name, path.Ext(name))
		x.stems[stem] = append(x.stems[stem], rel)
		return nil
	})
	return x, err
}

// locate finds f in --files.
func (s *fileImport) locate(f sourceFile) located {
	if at, ok := s.located[f.id]; ok {
		return at
	}
	at := s.find(f)
	s.located[f.id] = at
	return at
}

func (s *fileImport) find(f sourceFile) located {
	x := s.index
	found := func(rel string) located {
		if x.paths[rel].size == 0 {
			return located{problem: rel + " in " + x.dir + " is empty"}
		}
		return located{path: x.paths[rel].path, size: x.paths[rel].size}
	}
	several := func(what string, list []string) located {
		if len(list) > 3 {
			list = append(list[:3:3], "…")
		}
		return located{problem: fmt.Sprintf("%s fits several files of %s (%s): none is taken", what, x.dir, strings.Join(list, ", "))}
	}
	for _, p := range f.paths {
		if _, ok := x.paths[p]; ok {
			return found(p)
		}
	}
	if f.stem != "" {
		switch list := x.stems[f.stem]; {
		case len(list) == 1:
			return found(list[0])
		case len(list) > 1:
			return several("its objectId "+f.stem, list)
		}
	}
	for _, name := range f.names {
		list := x.names[name]
		switch {
		case len(list) == 0:
			continue
		case len(list) > 1:
			return several("its name "+name, list)
		case len(s.named[name]) > 1:
			return located{problem: fmt.Sprintf("%s in %s may be it, but %d files of the export are named %s: it is not taken", list[0], x.dir, len(s.named[name]), name)}
		}
		return found(list[0])
	}
	return located{problem: "not in " + x.dir}
}
