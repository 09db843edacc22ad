package hooks

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
)

// databaseUpdate answers where(...).update({ data }) and doc(id).update()
// (a where on _id): { updated }, the records changed.
func (s *server) databaseUpdate(e *core.RequestEvent) error {
	var req struct {
		AppID string         `json:"appid"`
		Query map[string]any `json:"query"`
		Data  map[string]any `json:"data"`
	}
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	if req.Query == nil || len(req.Data) == 0 {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query",
			Message: "update() takes a query and { data: { ... } } with at least one field."})
	}
	updated, err := cloudquery.Update(e.App, caller, collection, req.Query, req.Data, time.Now())
	if err != nil {
		return databaseError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"updated": updated})
}
