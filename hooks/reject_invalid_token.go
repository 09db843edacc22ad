package hooks

import (
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

const codeAuthTokenInvalid = "auth_token_invalid"

// rejectInvalidToken answers 401 when a request sends an Authorization
// header that PocketBase could not turn into a user. PocketBase itself
// treats such a request as a guest's, so an owner-only record answers 404
// and a client cannot tell "logged out" from "gone"; with a 401 the SDK
// knows to log in again. It runs right after PocketBase loads the token.
func rejectInvalidToken() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "wxbaseRejectInvalidToken",
		Priority: apis.DefaultLoadAuthTokenMiddlewarePriority + 1,
		Func: func(e *core.RequestEvent) error {
			if e.Auth != nil || strings.TrimSpace(e.Request.Header.Get("Authorization")) == "" || ignoresBadToken(e.Request.URL.Path) {
				return e.Next()
			}
			apiErr := e.UnauthorizedError("The auth token is invalid or expired; log in again.", nil)
			apiErr.Data["code"] = codeAuthTokenInvalid
			return apiErr
		},
	}
}

// ignoresBadToken lists the routes where a stale token must count as none:
// signing in (or else a client holding an expired token could never log in
// again), the guest-only account flows, the health check and anything
// outside the API, such as the dashboard's files.
func ignoresBadToken(path string) bool {
	if !strings.HasPrefix(path, "/api/") || path == "/api/health" || path == "/api/oauth2-redirect" {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/api/collections/")
	if !ok {
		return false
	}
	_, action, _ := strings.Cut(rest, "/")
	switch {
	case strings.HasPrefix(action, "auth-with-"), action == "auth-methods",
		strings.HasPrefix(action, "request-"), strings.HasPrefix(action, "confirm-"):
		return true
	}
	return false
}
