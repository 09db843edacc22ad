package hooks

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
	"wxbase/cloudquery"
)

// getRequest is a CloudBase read: collection.where(...).orderBy(...)
// .skip(n).limit(n).field({...}).get().
type getRequest struct {
	AppID      string             `json:"appid"`
	Query      map[string]any     `json:"query"`
	Order      []cloudquery.Order `json:"order"`
	Skip       int                `json:"skip"`
	Limit      *int               `json:"limit"`
	Projection map[string]any     `json:"projection"`
}

// databaseGet answers { data: [documents] }, values in EJSON ({"$date"}).
// Without a limit a page holds 20 documents, the mini-program side's
// default.
func (s *server) databaseGet(e *core.RequestEvent) error {
	var req getRequest
	if err := e.BindBody(&req); err != nil {
		return e.BadRequestError("The request body could not be read.", err)
	}
	collection, caller, err := s.databaseCaller(e, req.AppID)
	if err != nil {
		return err
	}
	limit := 20
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > maxDatabaseLimit || req.Skip < 0 {
		return databaseError(e, &cloudquery.Error{Code: "wxbase_invalid_query",
			Message: "limit() takes a whole number from 1 to 1000 and skip() one of 0 or more."})
	}
	docs, err := cloudquery.Find(e.App, caller, collection, cloudquery.Query{
		Where: req.Query, Order: req.Order, Skip: req.Skip, Limit: limit, Projection: req.Projection,
	}, &s.openids)
	if err != nil {
		return databaseError(e, err)
	}
	data := make([]any, len(docs))
	for i, doc := range docs {
		// Each document is this request's own map: its values are encoded
		// in place, not into a copy of it.
		for key, value := range doc {
			doc[key] = clouddb.EncodeEJSON(value)
		}
		data[i] = doc
	}
	return e.JSON(http.StatusOK, map[string]any{"data": data})
}
