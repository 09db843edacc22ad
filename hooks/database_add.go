package hooks

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
)

// databaseAdd answers collection.add({ data }) — one document, or an array
// of them created all or none — with { ids }.
func (s *server) databaseAdd(e *core.RequestEvent) error {
	var req struct {
		AppID string          `json:"appid"`
		Data  json.RawMessage `json:"data"`
	}
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	var docs []map[string]any
	var one map[string]any
	if json.Unmarshal(req.Data, &one) == nil && one != nil {
		docs = []map[string]any{one}
	} else if json.Unmarshal(req.Data, &docs) != nil || len(docs) == 0 {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query",
			Message: "add() takes { data: { ... } } or { data: [{ ... }, ...] }."})
	}
	for _, doc := range docs {
		if doc == nil {
			return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query",
				Message: "add(): each document is an object; null is not one."})
		}
	}
	if len(docs) > cloudquery.MaxWrite {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_batch_too_large",
			Message: "add() creates at most 1000 documents at once."})
	}
	ids, err := cloudquery.Add(e.App, caller, collection, docs, time.Now())
	if err != nil {
		return databaseError(e, err)
	}
	return e.JSON(http.StatusOK, map[string]any{"ids": ids})
}
