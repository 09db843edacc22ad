package cloudquery

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/search"
)

// runListHooks runs the collection's list request hooks (OnRecordsListRequest,
// pb_hooks' onRecordsListRequest) on records read for the caller, as the
// list API runs them on a page before answering: a hook may refuse the
// request, hide or change fields of the records, or replace the result's
// items and total. It returns the records and total the list API would
// answer with. A hook that answers the request itself, which these routes
// cannot pass on, refuses it.
func runListHooks(caller Caller, collection *core.Collection, records []*core.Record, total int) ([]*core.Record, int, error) {
	event := new(core.RecordsListRequestEvent)
	event.RequestEvent = listEvent(caller.Event)
	// What a hook writes does not reach this route's client.
	event.Response = discardResponse{header: http.Header{}}
	event.Collection = collection
	event.Records = records
	event.Result = &search.Result{Page: 1, PerPage: len(records), TotalItems: total, TotalPages: 1, Items: records}
	reached := false
	err := caller.Event.App.OnRecordsListRequest().Trigger(event, func(e *core.RecordsListRequestEvent) error {
		reached = true
		records, total = e.Records, e.Result.TotalItems
		switch items := e.Result.Items.(type) {
		case []*core.Record:
			records = items
		case *[]*core.Record:
			records = *items
		default:
			return unsupported("An onRecordsListRequest hook of %s set result items that are not records; read the collection through the records API.", collection.Name)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if !reached {
		return nil, 0, unsupported("An onRecordsListRequest hook of %s answers list requests itself; read the collection through the records API (/api/collections/%s/records).", collection.Name, collection.Name)
	}
	return records, total, nil
}

// discardResponse is a response no client reads.
type discardResponse struct{ header http.Header }

func (d discardResponse) Header() http.Header         { return d.header }
func (d discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d discardResponse) WriteHeader(int)             {}
