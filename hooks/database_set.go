package hooks

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
)

// databaseSet answers doc(id).set({ data }): the document replaced, or
// created with that id. { created, updated } as counts.
func (s *server) databaseSet(e *core.RequestEvent) error {
	var req struct {
		AppID string         `json:"appid"`
		ID    any            `json:"id"`
		Data  map[string]any `json:"data"`
	}
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	if req.ID == nil || req.ID == "" || req.Data == nil {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query", Message: "set() takes doc(id) and { data: { ... } }."})
	}
	id, err := cloudquery.DocumentID(req.ID, "set()")
	if err != nil {
		return databaseError(e, err)
	}
	created, err := cloudquery.Set(e.App, caller, collection, id, req.Data, time.Now())
	if err != nil {
		return databaseError(e, err)
	}
	result := map[string]any{"_id": id, "created": 0, "updated": 1}
	if created {
		result["created"], result["updated"] = 1, 0
	}
	return e.JSON(http.StatusOK, result)
}
