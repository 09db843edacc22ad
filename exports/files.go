package exports

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Source is one file of an export: where it is, and the class (LeanCloud)
// or collection (CloudBase) it holds, its name up to the first '.'
// ("Post.0.jsonl" holds Post).
type Source struct {
	Path  string
	Class string
}

// metadataSuffixes mark the files of a schema export beside the data
// (<Class>_schema.json and so on): they hold no records.
var metadataSuffixes = []string{"_schema", "_permissions", "_indexes", "_all"}

// Walk calls fn with each data file of an export, in order: path is a
// .tar.gz (or .tgz) archive, a directory, each with files at any depth,
// or one .json or .jsonl file. Files of other kinds, hidden ones and the
// schema files of a schema export are passed over; fn may stop the walk
// with an error.
func Walk(root string, fn func(Source, io.Reader) error) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	switch {
	case info.IsDir():
		return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			src, ok := dataFile(p)
			if d.IsDir() || !ok {
				return nil
			}
			return openAnd(p, func(f io.Reader) error { return fn(src, f) })
		})
	case strings.HasSuffix(root, ".tar.gz") || strings.HasSuffix(root, ".tgz"):
		return openAnd(root, func(f io.Reader) error { return walkArchive(root, f, fn) })
	}
	src, ok := dataFile(root)
	if !ok {
		return fmt.Errorf("%s: an export is a .tar.gz archive, a directory, or a .json or .jsonl file", root)
	}
	return openAnd(root, func(f io.Reader) error { return fn(src, f) })
}

func openAnd(p string, use func(io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return use(f)
}

func walkArchive(name string, r io.Reader, fn func(Source, io.Reader) error) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: not a gzip archive: %w", name, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		parts := strings.Split(h.Name, "/")
		if path.IsAbs(h.Name) || slices.Contains(parts, "..") {
			return fmt.Errorf("%s: %s: a name outside the archive's directory: this is no export", name, h.Name)
		}
		src, ok := dataFile(h.Name)
		if ok && (h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink) {
			return fmt.Errorf("%s: %s: a link, not a file: an export holds its records in files", name, h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		hidden := false
		for _, part := range strings.Split(path.Clean(h.Name), "/") {
			hidden = hidden || strings.HasPrefix(part, ".")
		}
		if !ok || hidden {
			continue
		}
		src.Path = name + ":" + h.Name
		if err := fn(src, tr); err != nil {
			return err
		}
	}
}

// dataFile says whether the file at p holds records, and of which class.
func dataFile(p string) (Source, bool) {
	base := path.Base(filepath.ToSlash(p))
	if strings.HasPrefix(base, ".") || !(strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".jsonl")) {
		return Source{}, false
	}
	class, _, _ := strings.Cut(base, ".")
	for _, suffix := range metadataSuffixes {
		if strings.HasSuffix(class, suffix) {
			return Source{}, false
		}
	}
	return Source{Path: p, Class: class}, class != ""
}
