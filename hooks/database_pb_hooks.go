package hooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"

	"github.com/dop251/goja"
	"github.com/pocketbase/pocketbase/core"
)

// The database in pb_hooks: $database.aggregate(collection, pipeline, e)
// runs an aggregation pipeline, exactly as POST
// /api/database/{collection}/aggregate does, as the caller of the request
// e (a routerAdd handler's), under the collection's list rule. Without e
// it runs as a superuser, as $app.findRecordsByFilter reads past the
// rules; sealed fields stay refused either way. It returns the documents
// (dates as {"$date": ...}) and throws the route's error message.
func (s *server) bindDatabase(vm *goja.Runtime) *goja.Object {
	api := vm.NewObject()
	err := api.Set("aggregate", func(collection string, pipeline goja.Value, e *core.RequestEvent) ([]any, error) {
		// JSON.stringify keeps the order of $sort's keys, which a Go map
		// would lose.
		stringify, ok := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("stringify"))
		if !ok {
			return nil, errors.New("JSON.stringify is missing")
		}
		text, err := stringify(goja.Undefined(), pipeline)
		if err != nil {
			return nil, err
		}
		if e == nil {
			if e, err = superuserEvent(s.wechat.app); err != nil {
				return nil, err
			}
		}
		c, caller, err := s.callerOf(e, collection, "")
		if err != nil {
			return nil, err
		}
		return s.aggregate(e, c, caller, json.RawMessage(text.String()))
	})
	if err != nil {
		panic(err) // only a programming error here can fail
	}
	return api
}

// superuserEvent is a request by a superuser, for server code that runs
// outside of one.
func superuserEvent(app core.App) (*core.RequestEvent, error) {
	superusers, err := app.FindCachedCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(http.MethodGet, "/", http.NoBody)
	if err != nil {
		return nil, err
	}
	e := &core.RequestEvent{}
	e.App = app
	e.Auth = core.NewRecord(superusers)
	e.Request = r
	e.Response = httptest.NewRecorder() // what no client reads
	return e, nil
}
