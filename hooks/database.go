package hooks

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/picker"
	"github.com/pocketbase/pocketbase/tools/router"

	"wxbase/clouddb"
	"wxbase/cloudquery"
)

// The CloudBase database routes (/api/database/{collection}/...) serve the
// SDK's wx.cloud.database() facade: queries arrive as CloudBase writes
// them, MongoDB-style, and run under the collection's own API rules
// (package cloudquery).

// maxDatabaseLimit is CloudBase's largest page (its server SDK's cap).
const maxDatabaseLimit = 1000

// databaseCaller resolves the collection and the app a database request
// speaks for: appid names the mini-program whose openids _openid holds,
// and may be omitted when one app is enabled.
//
// _openid holds openids of that app, so a caller who is not a superuser
// gets them only for an app they signed in through: a user of another
// mini-program on the same server (or a guest) reads no openid of this
// one. A user naming an app they have no account in is refused, as on the
// other WeChat routes.
//
// It also checks the fields query parameter first, which e.JSON applies
// only once the request has done its work.
func (s *server) databaseCaller(e *core.RequestEvent, appID string) (*core.Collection, cloudquery.Caller, error) {
	if fields := e.Request.URL.Query().Get("fields"); fields != "" {
		if _, err := picker.Pick(map[string]any{}, fields); err != nil {
			return nil, cloudquery.Caller{Event: e}, e.BadRequestError("The fields query parameter cannot be parsed.", err)
		}
	}
	return s.callerOf(e, e.Request.PathValue("collection"), appID)
}

// callerOf is databaseCaller for the collection named, as pb_hooks'
// $database names it.
func (s *server) callerOf(e *core.RequestEvent, name, appID string) (*core.Collection, cloudquery.Caller, error) {
	caller := cloudquery.Caller{Event: e}
	collection, err := cloudquery.FindCollection(e.App, name)
	if err != nil {
		return nil, caller, e.NotFoundError("Missing collection context.", err)
	}
	if collection.IsView() {
		return nil, caller, databaseError(e, &cloudquery.Error{Code: "wxbase_unsupported",
			Message: "A view collection is read through the records API (/api/collections/" + collection.Name + "/records)."})
	}
	found, err := s.apps.find(e.App, appID)
	if err != nil {
		if appID != "" {
			return nil, caller, e.BadRequestError("An invalid appid.", err)
		}
		return collection, caller, nil
	}
	switch {
	case e.HasSuperuserAuth():
		caller.AppRef = found.id
	case e.Auth != nil && e.Auth.Collection().Name == usersCollection:
		openid, err := s.openids.OpenID(e.App, found.id, e.Auth.Id)
		if err != nil {
			return nil, caller, e.InternalServerError("Failed to find the WeChat account.", err)
		}
		if openid != "" {
			caller.AppRef = found.id
		} else if appID != "" {
			return nil, caller, wechatError(http.StatusBadRequest, codeWechatAccountMissing, 0,
				"This user has not signed in through that mini-program, so there is no WeChat account to use.", nil)
		}
	}
	return collection, caller, nil
}

// databaseError answers a refused or failed database request in
// PocketBase's error shape, with the SDK's code in data.code.
func databaseError(e *core.RequestEvent, err error) error {
	var refused *cloudquery.Error
	switch {
	case errors.As(err, &refused):
		status := refused.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		// Built whole: NewApiError would rewrite data as validation errors.
		return &router.ApiError{Status: status, Message: refused.Message, Data: map[string]any{"code": refused.Code}}
	case cloudquery.IsForbidden(err):
		return e.ForbiddenError("Only superusers can perform this action.", nil)
	}
	var apiErr *router.ApiError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return &router.ApiError{Status: http.StatusBadRequest, Message: "The query could not run: " + queryFailure(err), Data: map[string]any{"code": "wxbase_query_failed"}}
}

// queryFailure is what a failed query's error says, without the SQL
// PocketBase appends to it: that holds the collection's list rule, which
// is not the caller's to read.
func queryFailure(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "; failed query:")
	msg = strings.TrimPrefix(msg, "SQL logic error: ")
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		if _, err := strconv.Atoi(msg[i+2 : len(msg)-1]); err == nil {
			msg = msg[:i] // SQLite's result code
		}
	}
	return msg
}

// forgetOpenIDs drops the owners' openids known, after any change of an
// account.
func (s *server) forgetOpenIDs(e *core.RecordEvent) error {
	s.openids.Forget()
	return e.Next()
}

// watchDocuments makes a watch's documents as databaseGet does, for the
// realtime server (realtime.Options.Documents).
func (s *server) watchDocuments(e *core.RequestEvent, records []*core.Record, appID string) ([]map[string]any, error) {
	caller := cloudquery.Caller{Event: e}
	if found, err := s.apps.find(e.App, appID); err == nil {
		caller.AppRef = found.id
	}
	docs, err := cloudquery.Documents(e.App, caller, records, &s.openids)
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		docs[i], _ = clouddb.EncodeEJSON(doc).(map[string]any)
	}
	return docs, nil
}
