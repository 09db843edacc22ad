package exports

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadCloudBaseExport(t *testing.T) {
	const alice, bob = "oAbCdEfGhIjKlMnOpQrStUvWxYz1", "oBbCdEfGhIjKlMnOpQrStUvWxYz2"
	dir := writeExport(t, map[string]string{
		// Pretty-printed, as CloudBase's own documentation shows its files.
		"todos.json": `{
  "_id": "t1",
  "_openid": "` + alice + `",
  "due": {"$date": "2018-08-31T17:30:00.882Z"},
  "done": false
}
{
  "_id": "t2",
  "_openid": "` + bob + `",
  "done": true
}
{"_id": "t3", "_openid": "` + alice + `"}
`,
		// Keyed by openid, as apps keep their own users.
		"users.json": `{"_id": "` + alice + `", "_openid": "` + alice + `", "nickName": "Ann"}` + "\n",
		// Through CloudBase's LeanCloud script: LeanCloud ids in _openid.
		"posts.json": `{"_id": "558e20cbe4b060308e3eb36c", "_openid": "558e20cbe4b060308e3eb36c"}` + "\n" + `{"_id": "p2", "_openid": "558e20cbe4b060308e3eb36c"}` + "\n",
	})
	x, err := ReadCloudBase(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(x.CollectionNames()); got != "[posts todos users]" {
		t.Errorf("collections: %s", got)
	}
	if got := fmt.Sprint(x.OpenIDs); got != "["+alice+" "+bob+"]" && got != "["+bob+" "+alice+"]" {
		t.Errorf("openids: %s", got)
	}
	if x.ForeignOpenIDs["558e20cbe4b060308e3eb36c"] != 2 {
		t.Errorf("foreign openids: %v", x.ForeignOpenIDs)
	}
	todos := x.Collections["todos"]
	if len(todos.Records) != 3 || !strings.HasSuffix(todos.Sources[1], "todos.json:7") || todos.Records[0].OpenID != alice {
		t.Errorf("todos: %+v %v", todos.Records, todos.Sources)
	}
	var kinds []string
	for _, f := range todos.Schema.Fields() {
		kinds = append(kinds, f.Name+":"+string(f.Kind))
	}
	if strings.Join(kinds, " ") != "done:bool due:date" {
		t.Errorf("fields: %v", kinds)
	}
	dup := writeExport(t, map[string]string{"a.json": "{\"_id\":\"x\"}\n{\"_id\":\"x\"}\n"})
	if _, err := ReadCloudBase(dup, nil); err == nil || !strings.Contains(err.Error(), "a.json:2: the a record x is in the export twice") {
		t.Errorf("a duplicate: %v", err)
	}
}
