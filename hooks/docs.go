package hooks

import (
	"io/fs"
	"net/http"
	"path"

	"github.com/pocketbase/pocketbase/core"
)

// serveDocs serves each Markdown file of docs as plain text at its own
// path, so a relative link from one document to another (README.md to
// docs/realtime.md, say) works on the server as it does in the repository.
func serveDocs(se *core.ServeEvent, docs fs.FS) error {
	if docs == nil {
		return nil
	}
	return fs.WalkDir(docs, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() || path.Ext(name) != ".md" {
			return err
		}
		content, err := fs.ReadFile(docs, name)
		if err != nil {
			return err
		}
		se.Router.GET("/"+name, func(e *core.RequestEvent) error {
			return e.Blob(http.StatusOK, "text/plain; charset=utf-8", content)
		})
		return nil
	})
}
