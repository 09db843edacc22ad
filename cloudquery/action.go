package cloudquery

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

// recordAction runs one record create, update or delete through
// PocketBase's own handler (the one its batch API runs), on app (a
// transaction), as the caller of base: the collection's create, update or
// delete rule with this body, validation, the request hooks (the owner
// stamp, pb_hooks), the model hooks, and realtime once committed. It
// returns the record saved or deleted.
func recordAction(app core.App, base *core.RequestEvent, method, url string, body map[string]any) (*core.Record, error) {
	var handle apis.HandleFunc
	var params map[string]string
	var saved *core.Record
	finalize := func(data any) error {
		saved, _ = data.(*core.Record)
		return nil
	}
	ir := &core.InternalRequest{Method: method, URL: url, Body: body}
	for pattern, action := range apis.ValidBatchActions {
		if p, ok := namedMatches(pattern, method+" "+url); ok {
			params = p
			handle = action(app, ir, params, finalize)
			break
		}
	}
	if handle == nil {
		return nil, errors.New("no record action for " + method + " " + url)
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(method, url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	for k, v := range params {
		r.SetPathValue(k, v)
	}
	r.RemoteAddr = base.Request.RemoteAddr
	r.Host = base.Request.Host
	r.Header = base.Request.Header.Clone()
	r.Header.Set("Content-Type", "application/json")
	r.Header.Del("Content-Length")

	event := &core.RequestEvent{}
	event.App = app
	event.Auth = base.Auth
	event.SetAll(base.GetAll())
	event.Request = r
	event.Request.Body = &router.RereadableReadCloser{ReadCloser: r.Body}
	event.Response = &router.ResponseWriter{ResponseWriter: httptest.NewRecorder()}
	if err := handle(event); err != nil {
		return nil, err
	}
	return saved, nil
}

// namedMatches gives the path values of url, unescaped as a router's are:
// a custom id may hold characters recordsURL escapes.
func namedMatches(re *regexp.Regexp, s string) (map[string]string, bool) {
	match := re.FindStringSubmatch(s)
	if match == nil {
		return nil, false
	}
	result := map[string]string{}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		value, err := url.PathUnescape(match[i])
		if err != nil {
			return nil, false
		}
		result[name] = value
	}
	return result, true
}
