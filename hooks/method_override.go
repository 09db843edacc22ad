package hooks

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/pocketbase/pocketbase/tools/router"
)

// methodOverrideHeader lets a mini-program update a record: wx.request and
// wx.uploadFile cannot send PATCH, which PocketBase's record update needs.
const methodOverrideHeader = "X-HTTP-Method-Override"

// recordPath matches /api/collections/{collection}/records/{id}.
var recordPath = regexp.MustCompile(`^/api/collections/[^/]+/records/[^/]+$`)

// allowMethodOverride turns `POST` + `X-HTTP-Method-Override: PATCH` on a
// record route into the PATCH it stands for. It wraps the server's handler
// because http.ServeMux picks a route by method before any PocketBase
// middleware runs.
//
// This opens no CSRF hole: PocketBase authenticates by the Authorization
// header, never by a cookie, so a forged cross-site POST carries no identity,
// and a browser must pass a CORS preflight to send the custom header at all.
func allowMethodOverride(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		override := r.Header.Get(methodOverrideHeader)
		if override == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !strings.EqualFold(override, http.MethodPatch) {
			writeError(w, router.NewBadRequestError(methodOverrideHeader+" accepts only PATCH.", nil))
			return
		}
		if r.Method != http.MethodPost || !recordPath.MatchString(r.URL.Path) {
			writeError(w, router.NewBadRequestError(methodOverrideHeader+": PATCH is accepted only on POST /api/collections/{collection}/records/{id}.", nil))
			return
		}
		r.Method = http.MethodPatch
		r.Header.Del(methodOverrideHeader)
		next.ServeHTTP(w, r)
	})
}

// writeError answers in PocketBase's error shape from outside its router.
func writeError(w http.ResponseWriter, apiErr *router.ApiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(apiErr.Status)
	_ = json.NewEncoder(w).Encode(apiErr)
}
