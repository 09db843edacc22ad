package exports

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// archive writes a .tar.gz of headers (and bodies for regular files).
func archive(t *testing.T, entries ...tar.Header) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte(`{"objectId":"p1"}` + "\n")
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		h.Mode = 0o644
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	gz.Close()
	name := filepath.Join(t.TempDir(), "export.tar.gz")
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// An archive whose names leave its directory, or whose data files are
// links, is no export: it is refused, never passed over in silence.
func TestArchivesThatAreNoExport(t *testing.T) {
	for _, c := range []struct {
		entry tar.Header
		want  string
	}{
		{tar.Header{Name: "../../etc/Post.json", Typeflag: tar.TypeReg}, "../../etc/Post.json: a name outside the archive's directory"},
		{tar.Header{Name: "export/../../Post.json", Typeflag: tar.TypeReg}, "a name outside the archive's directory"},
		{tar.Header{Name: "/etc/Post.json", Typeflag: tar.TypeReg}, "/etc/Post.json: a name outside the archive's directory"},
		{tar.Header{Name: "export/Post.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, "export/Post.json: a link, not a file"},
		{tar.Header{Name: "export/Post.json", Typeflag: tar.TypeLink, Linkname: "export/_User.json"}, "export/Post.json: a link, not a file"},
	} {
		name := archive(t, tar.Header{Name: "export/_User.json", Typeflag: tar.TypeReg}, c.entry)
		err := Walk(name, func(src Source, r io.Reader) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.entry.Name, err)
		}
	}
	// Links to other files, and directories, are no data.
	name := archive(t, tar.Header{Name: "export/", Typeflag: tar.TypeDir}, tar.Header{Name: "export/README", Typeflag: tar.TypeSymlink, Linkname: "x"},
		tar.Header{Name: "export/Post.json", Typeflag: tar.TypeReg})
	if got := walked(t, name); len(got) != 1 {
		t.Errorf("walked %v", got)
	}
}

// A record longer than any export's (a corrupt file, a compression bomb)
// stops the reading at its line, before it fills the memory.
func TestARecordTooLongToBeAnExports(t *testing.T) {
	defer func(n int) { maxRecordBytes = n }(maxRecordBytes)
	maxRecordBytes = 1 << 20
	long := `{"objectId":"p1"}` + "\n" + `{"objectId":"p2","t":"` + strings.Repeat("a", 2<<20) + `"}` + "\n"
	err := ReadRecords("Post.jsonl", strings.NewReader(long), func(Record) error { return nil })
	if err == nil || err.Error() != "Post.jsonl:2: the record starting here is longer than 1 MB: no LeanCloud or CloudBase record is (they are MongoDB documents, 16 MB at most)" {
		t.Errorf("%v", err)
	}
	// Nor a value that is not an object, however long.
	err = ReadRecords("Post.jsonl", strings.NewReader(strings.Repeat("\x00", 2<<20)), func(Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "Post.jsonl:1: the record starting here is longer than 1 MB") {
		t.Errorf("%v", err)
	}
	// A record up to the bound is read.
	ok := `{"t":"` + strings.Repeat("a", 1<<20-8) + `"}`
	if err := ReadRecords("Post.jsonl", strings.NewReader(ok), func(Record) error { return nil }); err != nil {
		t.Error(err)
	}
}
