package main_test

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"wxbase/internal/testkit"
)

// markdownLink matches the target of a Markdown link: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestServedDocsLinkOnlyToPagesTheServerHas follows every relative link
// from /README.md, document to document, on the real binary: the landing
// page sends a new user there, and a link that works in the repository
// must work on the server too.
func TestServedDocsLinkOnlyToPagesTheServerHas(t *testing.T) {
	t.Parallel()
	server := start(t, t.TempDir()+"/pb_data", nil, "--dev=false")
	seen := map[string]bool{}
	queue := []string{"/README.md"}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		if seen[page] {
			continue
		}
		seen[page] = true
		status, body, _ := testkit.CallJSON(t, http.MethodGet, server.Base+page, "", "")
		if status != http.StatusOK {
			t.Errorf("%s: %d", page, status)
			continue
		}
		for _, match := range markdownLink.FindAllStringSubmatch(body, -1) {
			target, _, _ := strings.Cut(match[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue // an anchor in the same page, or another site
			}
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(page), target)
			}
			if !seen[target] {
				queue = append(queue, target)
			}
		}
	}
	if len(seen) < 4 {
		t.Fatalf("followed only %v: the README's links to the other documents were not found", seen)
	}
}

// readmeCollectionBody is the JSON body of the README's example of making a
// collection through the API.
var readmeCollectionBody = regexp.MustCompile(`(?s)curl -s -X POST http://127\.0\.0\.1:8090/api/collections -H "Authorization: \$SU" \\\n\s+-H 'Content-Type: application/json' -d '(\{.*?\n  \})'`)

// TestReadmeCollectionExampleWorks sends the README's collection, as
// written, to the real binary, then uses it as a signed-in user would:
// create a record (owner stamped) and list it sorted by its autodate field.
func TestReadmeCollectionExampleWorks(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	match := readmeCollectionBody.FindSubmatch(readme)
	if match == nil {
		t.Fatal("the README's collection example was not found")
	}
	dataDir := filepath.Join(t.TempDir(), "pb_data")
	server := start(t, dataDir, nil, "--wechat-mock")
	token := testkit.ServerSuperuserToken(t, binary, server)
	if status, body, _ := testkit.CallJSON(t, http.MethodPost, server.Base+"/api/collections", token, string(match[1])); status != http.StatusOK {
		t.Fatalf("the README's collection: %d %s", status, body)
	}
	status, body, auth := login(t, server.Base, "mock:alice")
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	user := auth["record"].(map[string]any)["id"].(string)
	userToken := auth["token"].(string)
	status, body, created := testkit.CallJSON(t, http.MethodPost, server.Base+"/api/collections/todos/records", userToken, `{"title":"milk"}`)
	if status != http.StatusOK || created["owner"] != user || created["created"] == "" {
		t.Fatalf("create: %d %s", status, body)
	}
	status, body, list := testkit.CallJSON(t, http.MethodGet, server.Base+"/api/collections/todos/records?sort=-created", userToken, "")
	if status != http.StatusOK || list["totalItems"] != float64(1) {
		t.Fatalf("list sorted by created: %d %s", status, body)
	}
}

// readmeCustomIDMigration is the README's JS migration that opts a
// collection into custom ids, and its file name.
var readmeCustomIDMigration = regexp.MustCompile("(?s)```js\n// pb_migrations/([0-9]+_profiles_custom_ids\\.js)\n(.*?)```")

// TestReadmeCustomIDMigrationWorks applies the README's migration, as
// written, to a stored collection on the real binary: the collection then
// holds openids as ids, with its unique index on id COLLATE NOCASE.
func TestReadmeCustomIDMigrationWorks(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	match := readmeCustomIDMigration.FindSubmatch(readme)
	if match == nil {
		t.Fatal("the README's custom ids migration was not found")
	}
	root := t.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	first := start(t, dataDir, nil, "--wechat-mock")
	token := testkit.ServerSuperuserToken(t, binary, first)
	if status, body, _ := testkit.CallJSON(t, http.MethodPost, first.Base+"/api/collections", token, `{"name": "profiles", "type": "base",
		"fields": [{"name": "nickname", "type": "text"}, {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}],
		"listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id", "createRule": "@request.auth.id != \"\"",
		"updateRule": "owner = @request.auth.id", "deleteRule": "owner = @request.auth.id"}`); status != http.StatusOK {
		t.Fatalf("create profiles: %d %s", status, body)
	}
	first.Stop()

	// The next start applies pb_migrations/ beside pb_data.
	if err := os.MkdirAll(filepath.Join(root, "pb_migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "pb_migrations", string(match[1])), match[2], 0o644); err != nil {
		t.Fatal(err)
	}
	server := start(t, dataDir, nil, "--wechat-mock")
	token = testkit.ServerSuperuserToken(t, binary, server)
	status, body, collection := testkit.CallJSON(t, http.MethodGet, server.Base+"/api/collections/profiles", token, "")
	if status != http.StatusOK || !strings.Contains(body, `"pattern":"^[A-Za-z0-9_-]+$"`) || !strings.Contains(body, "COLLATE NOCASE") {
		t.Fatalf("after the migration: %d %v", status, collection)
	}
	status, body, auth := login(t, server.Base, "mock:alice")
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	openid := auth["meta"].(map[string]any)["openid"].(string)
	status, body, _ = testkit.CallJSON(t, http.MethodPost, server.Base+"/api/database/profiles/set", auth["token"].(string),
		`{"id": "`+openid+`", "data": {"nickname": "alice"}}`)
	if status != http.StatusOK || !strings.Contains(body, `"created":1`) {
		t.Fatalf("doc(openid).set(): %d %s", status, body)
	}
}
