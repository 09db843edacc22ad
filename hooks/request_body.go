package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
)

// Routes that call WeChat or write check the whole request first, with
// readRequest: a mistake found after the side effect would answer an error
// for work already done, such as a consumed login code or a session key
// WeChat has replaced.

var (
	errNotJSON       = errors.New("the Content-Type is not application/json")
	errNotJSONObject = errors.New("the body is not one JSON object")
)

// readRequest reads the body, which must be one JSON object sent as
// application/json, or nothing, into form; usage is the sentence a developer
// gets when it is not. It also checks the fields query parameter, which
// e.JSON applies only once the route has done its work. Afterwards
// PocketBase's parsed request info is in place, so apis.EnrichRecord and
// apis.RecordAuthResponse, which read it, cannot fail on the body.
func readRequest(e *core.RequestEvent, form any, usage string) error {
	if err := bindJSONObject(e, form); err != nil {
		return e.BadRequestError(usage, err)
	}
	if _, err := e.RequestInfo(); err != nil {
		return e.BadRequestError(usage, err)
	}
	if fields := e.Request.URL.Query().Get("fields"); fields != "" {
		if _, err := picker.Pick(map[string]any{}, fields); err != nil {
			return e.BadRequestError("The fields query parameter cannot be parsed.", err)
		}
	}
	return nil
}

// readNoBody is readRequest for a route that takes nothing: no body, or {}.
func readNoBody(e *core.RequestEvent) error {
	const usage = "This route takes no body: send none, or {}."
	var members map[string]json.RawMessage
	if err := readRequest(e, &members, usage); err != nil {
		return err
	}
	if len(members) > 0 {
		return e.BadRequestError(usage, nil)
	}
	return nil
}

// bindJSONObject decodes the whole body into form. An empty body leaves
// form as it is. The body is put back for PocketBase to parse again.
func bindJSONObject(e *core.RequestEvent, form any) error {
	raw, err := io.ReadAll(e.Request.Body)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		// Whatever the Content-Type, nothing was sent; say so to PocketBase,
		// which would otherwise refuse a chunked empty body of another type.
		e.Request.Body, e.Request.ContentLength = http.NoBody, 0
		return nil
	}
	e.Request.Body, e.Request.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
	mediaType, _, _ := mime.ParseMediaType(e.Request.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return errNotJSON
	}
	// json.Valid also refuses anything after the object, which a decoder
	// reading one value would ignore.
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return errNotJSONObject
	}
	return json.Unmarshal(trimmed, form)
}
