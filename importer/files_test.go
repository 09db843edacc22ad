package importer_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/exports"
	"wxbase/importer"
)

// writeFiles makes a directory of downloaded files: path → content.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// inStorage lists what the app's local storage holds below it: files and
// directories.
func inStorage(t *testing.T, app core.App) []string {
	t.Helper()
	root := filepath.Join(app.DataDir(), core.LocalStorageDirName)
	var found []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		found = append(found, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// storedFile reads a record's file from the app's storage.
func storedFile(t *testing.T, app core.App, r *core.Record, name string) string {
	t.Helper()
	fsys, err := app.NewFilesystem()
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	f, err := fsys.GetReader(r.BaseFilesPath() + "/" + name)
	if err != nil {
		t.Fatalf("the file %s of %s: %v", name, r.Id, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

const (
	imgA = "https://lc.example.com/Ab12Cd34/apple.png"
	imgB = "https://lc.example.com/b.jpg"
	imgC = "https://lc.example.com/gone/c.png"
)

// filesExport has Files in every form LeanCloud writes them: Pointers to
// _File, the write form {"__type": "File", "id"}, the SDK's full form,
// arrays of them, and a user's avatar; the _File class after the classes.
var filesExport = map[string]string{
	"_User.0.jsonl": `{"objectId":"u0000000000000000000000a","avatar":{"__type":"Pointer","className":"_File","objectId":"f2"}}` + "\n",
	"Post.0.jsonl": `{"objectId":"p0000000000000000000001a","image":{"__type":"Pointer","className":"_File","objectId":"f1"},"gallery":[{"__type":"File","objectId":"f2","url":"` + imgB + `","name":"b.jpg"},{"__type":"Pointer","className":"_File","objectId":"f3"}]}
{"objectId":"p0000000000000000000002b","image":{"__type":"File","id":"f3"},"gallery":[]}
{"objectId":"p0000000000000000000003c","image":null,"title":"no picture"}
{"objectId":"p0000000000000000000004d","image":{"__type":"File","id":"f4"}}
`,
	"_File.0.jsonl": `{"objectId":"f1","name":"apple.png","url":"` + imgA + `"}
{"objectId":"f2","name":"b.jpg","url":"` + imgB + `"}
{"objectId":"f3","name":"c.png","url":"` + imgC + `"}
{"objectId":"f4","name":"same.png","url":"https://lc.example.com/x/same.png"}
{"objectId":"f5","name":"same.png","url":"https://lc.example.com/y/same.png"}
`,
}

func TestLeanCloudFilesGoIntoFileFields(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, filesExport), nil)
	if err != nil {
		t.Fatal(err)
	}
	// apple.png kept its URL's path; b.jpg was saved under its URL's last
	// segment; c.png was never downloaded; same.png is two files of the
	// export, and the one here (by name) could be either.
	big := strings.Repeat("B", int(core.DefaultFileFieldMaxSize)+10)
	dir := writeFiles(t, map[string]string{"Ab12Cd34/apple.png": "the bytes of a", "downloads/b.jpg": big, "same.png": "which?"})
	opts := importer.Options{AppID: appID, NoPasswordHash: "!no-password", Files: dir}

	// A dry run says what it would do, and writes no file.
	dry := opts
	dry.DryRun = true
	plan, err := importer.LeanCloud(app, x, dry)
	if err != nil {
		t.Fatal(err)
	}
	if got := inStorage(t, app); len(got) > 0 {
		t.Fatalf("the dry run wrote %v", got)
	}
	if notes := strings.Join(plan.Notes, "\n"); !strings.Contains(notes, "files from "+dir+" that go with their records into file fields: 3") {
		t.Errorf("the dry run's notes: %s", notes)
	}

	report, err := importer.LeanCloud(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.NotCarried, report.NotCarried) {
		t.Errorf("the dry run said %q, the import %q", plan.NotCarried, report.NotCarried)
	}
	posts, _ := app.FindCollectionByNameOrId("Post")
	image, _ := posts.Fields.GetByName("image").(*core.FileField)
	gallery, _ := posts.Fields.GetByName("gallery").(*core.FileField)
	if image == nil || image.IsMultiple() || gallery == nil || !gallery.IsMultiple() {
		t.Fatalf("the fields: %v", posts.Fields)
	}
	if gallery.MaxSize < int64(len(big)) {
		t.Errorf("gallery's MaxSize %d does not fit a file of %d bytes", gallery.MaxSize, len(big))
	}
	if posts.Fields.GetByName("image_url").Type() != core.FieldTypeText || posts.Fields.GetByName("gallery_url").Type() != core.FieldTypeJSON {
		t.Errorf("the fields keeping the URLs of files not found: %v", posts.Fields)
	}

	p1, _ := app.FindRecordById("Post", "p0000000000000000000001a")
	if got := storedFile(t, app, p1, p1.GetString("image")); got != "the bytes of a" {
		t.Errorf("p1's image holds %q", got)
	}
	if !strings.HasPrefix(p1.GetString("image"), "apple_") || !strings.HasSuffix(p1.GetString("image"), ".png") {
		t.Errorf("p1's image is named %q, not as PocketBase names an upload", p1.GetString("image"))
	}
	if g := p1.GetStringSlice("gallery"); len(g) != 1 || storedFile(t, app, p1, g[0]) != big {
		t.Errorf("p1's gallery: %v", g)
	}
	if got := p1.GetString("gallery_url"); got != `["`+imgC+`"]` {
		t.Errorf("p1's gallery_url: %s", got)
	}
	p2, _ := app.FindRecordById("Post", "p0000000000000000000002b")
	if p2.GetString("image") != "" || p2.GetString("image_url") != imgC {
		t.Errorf("p2: %v", p2.FieldsData())
	}
	p4, _ := app.FindRecordById("Post", "p0000000000000000000004d")
	if p4.GetString("image") != "" || p4.GetString("image_url") != "https://lc.example.com/x/same.png" {
		t.Errorf("p4: %v", p4.FieldsData())
	}
	// The user's avatar: users has an avatar of its own (images of 5 MB
	// at most), so the export's is lc_avatar.
	user, _ := app.FindRecordById("users", "u0000000000000000000000a")
	if name := user.GetString("lc_avatar"); name == "" || storedFile(t, app, user, name) != big {
		t.Errorf("the user's avatar: %v", user.FieldsData())
	}
	notCarried := strings.Join(report.NotCarried, "\n")
	for _, want := range []string{
		"Post p0000000000000000000001a: gallery: the file " + imgC + " (not in " + dir + "); kept in gallery_url",
		"Post p0000000000000000000002b: image: the file " + imgC + " (not in " + dir + "); kept in image_url",
		"Post p0000000000000000000004d: image: the file https://lc.example.com/x/same.png (same.png in " + dir + " may be it, but 2 files of the export are named same.png: it is not taken); kept in image_url",
	} {
		if !strings.Contains(notCarried, want) {
			t.Errorf("not reported: %s\nin:\n%s", want, notCarried)
		}
	}

	// Again: the records are here, and so are their files: none is stored
	// twice.
	before := inStorage(t, app)
	if _, err := importer.LeanCloud(app, x, opts); err != nil {
		t.Fatal(err)
	}
	if after := inStorage(t, app); !slices.Equal(before, after) {
		t.Errorf("a second import changed the storage from %v to %v", before, after)
	}
}

func TestLeanCloudFilesWithoutFilesKeepTheirURLs(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, filesExport), nil)
	if err != nil {
		t.Fatal(err)
	}
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, NoPasswordHash: "!no-password"})
	if err != nil {
		t.Fatal(err)
	}
	posts, _ := app.FindCollectionByNameOrId("Post")
	if f := posts.Fields.GetByName("image"); f == nil || f.Type() != core.FieldTypeURL {
		t.Fatalf("image: %v", f)
	}
	// A Pointer to _File keeps its _File's URL, not its objectId.
	p1, _ := app.FindRecordById("Post", "p0000000000000000000001a")
	if p1.GetString("image") != imgA {
		t.Errorf("p1's image: %q", p1.GetString("image"))
	}
	if notCarried := strings.Join(report.NotCarried, "\n"); !strings.Contains(notCarried, "Post.image: its 3 files, which the export does not hold (--files takes them, downloaded); their URLs are kept") {
		t.Errorf("not reported: %s", notCarried)
	}
	if got := inStorage(t, app); len(got) > 0 {
		t.Errorf("the storage holds %v", got)
	}
}

// cloudBaseFiles: a single cloud:// id, an array of them, and one whose
// file was not downloaded; the storage was downloaded from its root
// (photos/...), one file from its bucket (<bucket>/photos/...).
var cloudBaseFiles = map[string]string{
	"todos.json": `{"_id": "t1", "_openid": "` + alice + `", "photo": "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/a.jpg", "more": ["cloud://env-1a2b.656e-env-1a2b-1250000000/photos/b.jpg"]}
{"_id": "t2", "_openid": "` + alice + `", "photo": "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/lost.jpg", "more": []}
{"_id": "t3", "_openid": "` + alice + `", "photo": "", "title": "none"}
`,
}

func TestCloudBaseFileIDsGoIntoFileFields(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadCloudBase(writeExport(t, cloudBaseFiles), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"photos/a.jpg": "AAA", "656e-env-1a2b-1250000000/photos/b.jpg": "BBB"})
	opts := importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password", Files: dir, DryRun: true}
	if _, err := importer.CloudBase(app, x, opts); err != nil {
		t.Fatal(err)
	}
	if got := inStorage(t, app); len(got) > 0 {
		t.Fatalf("the dry run wrote %v", got)
	}
	opts.DryRun = false
	report, err := importer.CloudBase(app, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := app.FindRecordById("todos", "t1")
	if storedFile(t, app, t1, t1.GetString("photo")) != "AAA" {
		t.Errorf("t1's photo: %v", t1.FieldsData())
	}
	if more := t1.GetStringSlice("more"); len(more) != 1 || storedFile(t, app, t1, more[0]) != "BBB" {
		t.Errorf("t1's more: %v", more)
	}
	t2, _ := app.FindRecordById("todos", "t2")
	const lost = "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/lost.jpg"
	if t2.GetString("photo") != "" || t2.GetString("photo_url") != lost {
		t.Errorf("t2: %v", t2.FieldsData())
	}
	if notCarried := strings.Join(report.NotCarried, "\n"); !strings.Contains(notCarried, "todos t2: photo: the file "+lost+" (not in "+dir+"); kept in photo_url") {
		t.Errorf("not reported: %s", notCarried)
	}

	// Without --files the ids stay text, as the export has them, reported.
	other := newApp(t)
	opts.Files = ""
	report, err = importer.CloudBase(other, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	t1, _ = other.FindRecordById("todos", "t1")
	if t1.GetString("photo") != "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/a.jpg" {
		t.Errorf("t1 without --files: %v", t1.FieldsData())
	}
	if notCarried := strings.Join(report.NotCarried, "\n"); !strings.Contains(notCarried, "todos.photo: its 2 files, which the export does not hold (--files takes them, downloaded); their cloud:// ids are kept") {
		t.Errorf("not reported: %s", notCarried)
	}
}

// A name two files below --files have is reported, never picked.
func TestAFileNameOfSeveralFilesIsNotPicked(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadCloudBase(writeExport(t, cloudBaseFiles), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"one/a.jpg": "1", "two/a.jpg": "2", "photos/b.jpg": "BBB", "photos/lost.jpg": "found"})
	report, err := importer.CloudBase(app, x, importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password", Files: dir})
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := app.FindRecordById("todos", "t1")
	if t1.GetString("photo") != "" || !strings.HasSuffix(t1.GetString("photo_url"), "/photos/a.jpg") {
		t.Errorf("t1: %v", t1.FieldsData())
	}
	if notCarried := strings.Join(report.NotCarried, "\n"); !strings.Contains(notCarried, "its name a.jpg fits several files of "+dir+" (one/a.jpg, two/a.jpg): none is taken") {
		t.Errorf("not reported: %s", notCarried)
	}
}

// Files stored for a transaction that does not commit are deleted again,
// with the directories they made.
func TestFilesOfAnImportThatDoesNotCommitAreRemoved(t *testing.T) {
	app := newApp(t)
	x, err := exports.ReadCloudBase(writeExport(t, cloudBaseFiles), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"photos/a.jpg": "AAA", "photos/b.jpg": "BBB"})
	opts := importer.CloudBaseOptions{AppID: appID, NoPasswordHash: "!no-password", Files: dir}

	// The import is part of a larger transaction, which fails after it.
	err = app.RunInTransaction(func(tx core.App) error {
		if _, err := importer.CloudBase(tx, x, opts); err != nil {
			return err
		}
		if got := inStorage(t, app); len(got) == 0 {
			t.Error("no file was stored")
		}
		return errors.New("a later step fails")
	})
	if err == nil || err.Error() != "a later step fails" {
		t.Fatal(err)
	}
	if got := inStorage(t, app); len(got) > 0 {
		t.Fatalf("the rolled back import left %v", got)
	}

	// Storing a file fails (something is in the way of t2's directory)
	// after t1's files were stored: none is left.
	if _, err := importer.CloudBase(app, x, opts); err != nil {
		t.Fatal(err)
	}
	todos, _ := app.FindCollectionByNameOrId("todos")
	more := map[string]string{"todos.json": `{"_id": "t4", "_openid": "` + alice + `", "photo": "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/a.jpg"}
{"_id": "t5", "_openid": "` + alice + `", "photo": "cloud://env-1a2b.656e-env-1a2b-1250000000/photos/b.jpg"}
`}
	x, err = exports.ReadCloudBase(writeExport(t, more), nil)
	if err != nil {
		t.Fatal(err)
	}
	before := inStorage(t, app)
	blocker := filepath.Join(app.DataDir(), core.LocalStorageDirName, todos.Id, "t5")
	if err := os.WriteFile(blocker, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.CloudBase(app, x, opts); err == nil || !strings.Contains(err.Error(), "storing "+filepath.Join(dir, "photos", "b.jpg")) {
		t.Fatalf("an import whose file cannot be stored: %v", err)
	}
	os.Remove(blocker)
	if after := inStorage(t, app); !slices.Equal(before, after) {
		t.Errorf("the failed import changed the storage from %v to %v", before, after)
	}
	if _, err := app.FindRecordById("todos", "t4"); err == nil {
		t.Error("the failed import wrote t4")
	}
}

// Each place a download may have put a file is found.
func TestWhereFilesAreFound(t *testing.T) {
	const host = "https://lc.example.com/"
	var posts, fileRecords strings.Builder
	lc := []struct{ url, name, saved string }{
		{host + "k1/one.png", "one.png", "k1/one.png"},                // the URL's path
		{host + "k2/two.png", "two.png", "lc.example.com/k2/two.png"}, // host and path
		{host + "k3/three.png", "three.png", "f3.png"},                // the objectId
		{host + "k4/four.png", "four.png", "f4/four.png"},             // objectId/name
		{host + "k5/five-key.png", "five.png", "flat/five-key.png"},   // the URL's last segment
		{host + "k6/aBcDeF", "six.png", "by-name/six.png"},            // the name
		{host + "k7/%E5%9B%BE%20a.png", "图 a.png", "k7/图 a.png"},      // an escaped URL
		{host + "k8/eight.png", "eight.png", "k8/eight.png"},          // empty: a failed download
	}
	files := map[string]string{}
	for i, f := range lc {
		n := i + 1
		fmt.Fprintf(&posts, `{"objectId":"p%d","image":{"__type":"Pointer","className":"_File","objectId":"f%d"}}`+"\n", n, n)
		fmt.Fprintf(&fileRecords, `{"objectId":"f%d","name":%q,"url":%q}`+"\n", n, f.name, f.url)
		files[f.saved] = fmt.Sprint("file ", n)
	}
	files["k8/eight.png"] = ""
	app := newApp(t)
	x, err := exports.ReadLeanCloud(writeExport(t, map[string]string{"Post.0.jsonl": posts.String(), "_File.0.jsonl": fileRecords.String()}), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, files)
	report, err := importer.LeanCloud(app, x, importer.Options{AppID: appID, Files: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lc[:7] {
		r, err := app.FindRecordById("Post", fmt.Sprint("p", i+1))
		if err != nil || r.GetString("image") == "" || storedFile(t, app, r, r.GetString("image")) != fmt.Sprint("file ", i+1) {
			t.Errorf("the file saved as %s: %v %v", lc[i].saved, r, err)
		}
	}
	if notCarried := strings.Join(report.NotCarried, "\n"); !strings.Contains(notCarried, "Post p8: image: the file "+host+"k8/eight.png (k8/eight.png in "+dir+" is empty); kept in image_url") {
		t.Errorf("not reported: %s", notCarried)
	}

	// CloudBase: below the bucket, below <env>.<bucket>, below the bucket's
	// name, or by its file name.
	const id = "cloud://env-1a2b.656e-env-1a2b-1250000000/"
	var todos strings.Builder
	for i, p := range []string{"a/one.jpg", "a/two.jpg", "b/three.jpg", "c/four.jpg"} {
		fmt.Fprintf(&todos, `{"_id": "t%d", "photo": %q}`+"\n", i+1, id+p)
	}
	cx, err := exports.ReadCloudBase(writeExport(t, map[string]string{"todos.json": todos.String()}), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir = writeFiles(t, map[string]string{
		"a/one.jpg": "1", "env-1a2b.656e-env-1a2b-1250000000/a/two.jpg": "2",
		"656e-env-1a2b-1250000000/b/three.jpg": "3", "elsewhere/four.jpg": "4",
	})
	if _, err := importer.CloudBase(app, cx, importer.CloudBaseOptions{AppID: appID, Files: dir}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		r, err := app.FindRecordById("todos", fmt.Sprint("t", i+1))
		if err != nil || r.GetString("photo") == "" || storedFile(t, app, r, r.GetString("photo")) != fmt.Sprint(i+1) {
			t.Errorf("t%d: %v %v", i+1, r, err)
		}
	}
}

// A later export stores again only the files that changed at the source:
// the same export, with or without --files, keeps every file as it is; a
// record whose File is another gets that file, and its old one is
// deleted; a record changed here keeps its own.
func TestALaterExportStoresOnlyTheFilesThatChanged(t *testing.T) {
	app := newApp(t)
	dir := writeFiles(t, map[string]string{"k/apple.png": "apple", "k/banana.png": "banana", "k/cherry.png": "cherry"})
	post := func(id, file, updated string) string {
		return `{"objectId":"` + id + `","image":{"__type":"Pointer","className":"_File","objectId":"` + file + `"},"createdAt":"2021-01-01T00:00:00.000Z","updatedAt":"` + updated + `"}`
	}
	export := func(posts ...string) map[string]string {
		return map[string]string{
			"_User.jsonl": `{"objectId":"u0000000000000000000000a","cover":{"__type":"Pointer","className":"_File","objectId":"fa"},"updatedAt":"2021-01-01T00:00:00.000Z"}` + "\n",
			"Post.jsonl":  strings.Join(posts, "\n") + "\n",
			"_File.jsonl": `{"objectId":"fa","name":"apple.png","url":"https://lc.example.com/k/apple.png"}
{"objectId":"fb","name":"banana.png","url":"https://lc.example.com/k/banana.png"}
{"objectId":"fc","name":"cherry.png","url":"https://lc.example.com/k/cherry.png"}
`,
		}
	}
	run := func(files map[string]string, withFiles bool) *importer.Report {
		t.Helper()
		x, err := exports.ReadLeanCloud(writeExport(t, files), nil)
		if err != nil {
			t.Fatal(err)
		}
		opts := importer.Options{AppID: appID, NoPasswordHash: "!no-password"}
		if withFiles {
			opts.Files = dir
		}
		report, err := importer.LeanCloud(app, x, opts)
		if err != nil {
			t.Fatal(err)
		}
		return report
	}
	image := func(id string) string {
		r, err := app.FindRecordById("Post", id)
		if err != nil {
			t.Fatal(err)
		}
		return storedFile(t, app, r, r.GetString("image"))
	}
	first := export(post("p0000000000000000000001a", "fa", "2021-01-01T00:00:00.000Z"), post("p0000000000000000000002b", "fb", "2021-01-01T00:00:00.000Z"))
	run(first, true)
	stored := inStorage(t, app)

	// The same export again, with --files and without: nothing changes.
	for _, withFiles := range []bool{true, false} {
		report := run(first, withFiles)
		if after := inStorage(t, app); !slices.Equal(stored, after) {
			t.Fatalf("the same export again (--files %v) changed the storage from %v to %v", withFiles, stored, after)
		}
		if said := strings.Join(report.Notes, "\n"); !strings.Contains(said, "Post: 2 records already here are as in the export") || !strings.Contains(said, "users: 1 records already here are as in the export") {
			t.Errorf("the same export again (--files %v): %s\n%s", withFiles, said, strings.Join(report.NotCarried, "\n"))
		}
	}
	users, _ := app.FindCollectionByNameOrId("users")
	if users.Fields.GetByName("lc_cover") != nil || !strings.HasPrefix(users.Fields.GetByName("cover").(*core.FileField).Help, "Files an import brought") {
		t.Errorf("the user's cover is not the one file field it was: %v", users.Fields)
	}

	// Here, p2 is edited; at the source, p1 and p2 now show cherry.
	p2, _ := app.FindRecordById("Post", "p0000000000000000000002b")
	if err := app.Save(p2); err != nil { // a save here moves updated on
		t.Fatal(err)
	}
	p1, _ := app.FindRecordById("Post", "p0000000000000000000001a")
	apple := p1.BaseFilesPath() + "/" + p1.GetString("image")
	run(export(post("p0000000000000000000001a", "fc", "2022-01-01T00:00:00.000Z"), post("p0000000000000000000002b", "fc", "2022-01-01T00:00:00.000Z")), true)
	if got := image("p0000000000000000000001a"); got != "cherry" {
		t.Errorf("p1's image, changed at the source: %q", got)
	}
	if got := image("p0000000000000000000002b"); got != "banana" {
		t.Errorf("p2's image, changed here: %q", got)
	}
	after := inStorage(t, app)
	if slices.Contains(after, apple) {
		t.Errorf("p1's old image is still stored: %v", after)
	}
	if len(after) != len(stored) {
		t.Errorf("the storage held %v, and now %v", stored, after)
	}
}
