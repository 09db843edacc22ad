package exports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeExport(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadLeanCloudExport(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"_User.0.jsonl": `{"objectId":"u1","username":"a","authData":{"lc_weapp":{"openid":"oAbCdEfGhIjKlMnOpQrStUvWxYz1","session_key":"k"}},"createdAt":"2020-01-01T00:00:00.000Z"}
{"objectId":"u2","username":"b","email":"b@example.com"}
`,
		"Post.0.jsonl": `{"objectId":"p1","title":"hi","author":{"__type":"Pointer","className":"_User","objectId":"u1"},"ACL":{"*":{"read":true},"u1":{"read":true,"write":true}},"createdAt":"2020-02-01T00:00:00.000Z","updatedAt":"2020-02-02T00:00:00.000Z"}
{"objectId":"p2","title":"private","ACL":{"u2":{"read":true,"write":true}},"cover":[{"__type":"Pointer","className":"_File","objectId":"f1"}]}
`,
		"sub/Post.1.json":       `{"results":[{"objectId":"p3","title":"old shape","pic":{"__type":"File","id":"f1"}}]}`,
		"_File.0.jsonl":         `{"objectId":"f1","name":"a.png","url":"https://files.example.com/a.png"}` + "\n",
		"_Installation.0.jsonl": "{\"objectId\":\"i1\"}\n{\"objectId\":\"i2\"}\n",
		"Post_schema.json":      `{"schema":{}}`,
	})
	x, err := ReadLeanCloud(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Users) != 2 || x.Users[0].MiniPrograms[0].OpenID != "oAbCdEfGhIjKlMnOpQrStUvWxYz1" || x.Users[1].Email != "b@example.com" {
		t.Errorf("users: %+v", x.Users)
	}
	posts := x.Classes["Post"]
	if posts == nil || len(posts.Records) != 3 || len(x.Classes) != 1 {
		t.Fatalf("classes: %+v", x.Classes)
	}
	p1 := posts.Records[0]
	if p1.ID != "p1" || p1.ACL.Owner != "u1" || !p1.ACL.PublicRead || p1.Created.Month() != 2 || p1.Fields["author"] != (Pointer{Class: "_User", ID: "u1"}) {
		t.Errorf("p1: %+v", p1)
	}
	if !strings.HasSuffix(p1.Source.String(), "Post.0.jsonl:1") || !strings.HasSuffix(posts.Records[2].Source.String(), "Post.1.json:1") {
		t.Errorf("sources: %s, %s", p1.Source, posts.Records[2].Source)
	}
	if x.Files["f1"].URL != "https://files.example.com/a.png" || x.Skipped["_Installation"] != 2 {
		t.Errorf("files %v, skipped %v", x.Files, x.Skipped)
	}
	// A File that names its _File record gets its URL and name, the
	// record read before (Post.0.jsonl) or after (sub/Post.1.json).
	f1 := File{ID: "f1", URL: "https://files.example.com/a.png", Name: "a.png"}
	if cover, _ := posts.Records[1].Fields["cover"].([]any); len(cover) != 1 || cover[0] != f1 {
		t.Errorf("the Files of p2: %+v", posts.Records[1].Fields["cover"])
	}
	if pic := posts.Records[2].Fields["pic"]; pic != f1 {
		t.Errorf("the File of p3: %+v", pic)
	}
	var kinds []string
	for _, f := range posts.Schema.Fields() {
		kinds = append(kinds, f.Name+":"+string(f.Kind))
	}
	if strings.Join(kinds, " ") != "author:relation cover:json pic:file title:text" {
		t.Errorf("fields: %v", kinds)
	}
}

func TestReadLeanCloudExportStopsAtTheFirstProblem(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"a duplicate record": {map[string]string{"Post.0.jsonl": "{\"objectId\":\"p1\"}\n{\"objectId\":\"p1\"}\n"}, "Post.0.jsonl:2: the Post record p1 is in the export twice (first at"},
		"a duplicate user":   {map[string]string{"_User.0.jsonl": "{\"objectId\":\"u1\"}\n\n{\"objectId\":\"u1\"}\n"}, "_User.0.jsonl:3: the user u1 is in the export twice"},
		"a bad value":        {map[string]string{"Post.0.jsonl": "{\"objectId\":\"p1\"}\n{\"objectId\":\"p2\",\"at\":{\"__type\":\"Date\",\"iso\":\"x\"}}\n"}, "Post.0.jsonl:2: at: \"x\" is not an ISO 8601 date"},
		"a bad ACL":          {map[string]string{"Post.0.jsonl": "{\"objectId\":\"p1\",\"ACL\":[]}\n"}, "Post.0.jsonl:1: ACL: an ACL is an object"},
		"no objectId":        {map[string]string{"Post.0.jsonl": "{\"title\":\"x\"}\n"}, "Post.0.jsonl:1: a record without an objectId"},
	} {
		_, err := ReadLeanCloud(writeExport(t, c.files), nil)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
