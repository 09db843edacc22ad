package exports

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walked lists "class <- path: records" for each data file of root.
func walked(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := Walk(root, func(src Source, r io.Reader) error {
		n := 0
		if err := ReadRecords(src.Path, r, func(Record) error { n++; return nil }); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s <- %s: %d", src.Class, strings.TrimPrefix(src.Path, root), n))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var exportFiles = []struct{ name, body string }{
	{"app-export/_User.0.jsonl", "{\"objectId\":\"u1\"}\n{\"objectId\":\"u2\"}\n"},
	{"app-export/deep/Post.0.jsonl", "{\"objectId\":\"p1\"}\n"},
	{"app-export/deep/Post.1.json", `{"results":[{"objectId":"p2"},{"objectId":"p3"}]}`},
	{"app-export/Post_schema.json", `{"schema":{}}`},
	{"app-export/README.txt", "not data"},
	{"app-export/.hidden/x.jsonl", "{}"},
}

func TestWalkAnArchive(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range exportFiles {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	gz.Close()
	archive := filepath.Join(t.TempDir(), "app-export.tar.gz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(walked(t, archive))
	want := "[_User <- :app-export/_User.0.jsonl: 2 Post <- :app-export/deep/Post.0.jsonl: 1 Post <- :app-export/deep/Post.1.json: 2]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestWalkADirectoryAndAFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range exportFiles {
		p := filepath.Join(dir, f.name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := fmt.Sprint(walked(t, dir))
	want := "[_User <- /app-export/_User.0.jsonl: 2 Post <- /app-export/deep/Post.0.jsonl: 1 Post <- /app-export/deep/Post.1.json: 2]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	one := filepath.Join(dir, "app-export", "_User.0.jsonl")
	if got := fmt.Sprint(walked(t, one)); got != "[_User <- : 2]" {
		t.Fatalf("one file: %s", got)
	}
	if err := Walk(filepath.Join(dir, "app-export", "README.txt"), func(Source, io.Reader) error { return nil }); err == nil {
		t.Fatal("a .txt file was taken for an export")
	}
}
