package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
)

// databaseRemove answers where(...).remove() and doc(id).remove():
// { removed }.
func (s *server) databaseRemove(e *core.RequestEvent) error {
	var req struct {
		AppID string         `json:"appid"`
		Query map[string]any `json:"query"`
	}
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	if req.Query == nil {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query", Message: "remove() needs a query: where({...}).remove()."})
	}
	removed, err := cloudquery.Remove(e.App, caller, collection, req.Query)
	if err != nil {
		return databaseError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"removed": removed})
}
