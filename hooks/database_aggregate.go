package hooks

import (
	"encoding/json"
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
	"wxbase/cloudquery"
)

// databaseAggregate answers collection.aggregate()...end(): { list:
// [documents] }, values in EJSON ({"$date"}). The body is
// {"appid": ..., "pipeline": [{"$match": {...}}, ...]}; docs/database.md
// documents the stages, the operators and the caps.
func (s *server) databaseAggregate(e *core.RequestEvent) error {
	var req struct {
		AppID    string          `json:"appid"`
		Pipeline json.RawMessage `json:"pipeline"`
	}
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	list, err := s.aggregate(e, collection, caller, req.Pipeline)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"list": list})
}

// aggregate runs a pipeline given as JSON and returns its documents in
// EJSON, or the error to answer with.
func (s *server) aggregate(e *core.RequestEvent, collection *core.Collection, caller cloudquery.Caller, pipeline json.RawMessage) ([]any, error) {
	stages, err := cloudquery.DecodePipeline(pipeline)
	if err != nil {
		return nil, databaseError(e, err)
	}
	docs, err := cloudquery.Aggregate(e.App, caller, collection, cloudquery.Aggregation{
		Stages: stages,
		Limits: s.cfg.Aggregate,
		// wxbase's own enrich and list hooks hide only fields the pipeline
		// may not name; one bound since (a pb_hooks script's) could change
		// what SQL reads.
		GroupInSQL: e.App.OnRecordEnrich().Length() == s.enrichHooks && e.App.OnRecordsListRequest().Length() == s.listHooks,
	}, &s.openids)
	if err != nil {
		return nil, databaseError(e, err)
	}
	list := make([]any, len(docs))
	for i, doc := range docs {
		list[i] = clouddb.EncodeEJSON(doc)
	}
	return list, nil
}
