package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
)

// databaseCount answers collection.where(...).count(): { total }.
func (s *server) databaseCount(e *core.RequestEvent) error {
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
	total, err := cloudquery.Count(e.App, caller, collection, req.Query)
	if err != nil {
		return databaseError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"total": total})
}
