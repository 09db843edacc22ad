package exports

import (
	"slices"
	"strings"
)

// Credentials in an export are never imported, wherever they are: LeanCloud
// keeps authData (session keys, access tokens) and sessionToken on each
// _User, and apps copy them further, into other classes (a user object
// saved whole in a comment) or, on CloudBase, into their own collections (a
// login cloud function keeping session_key). A key is taken for a
// credential by its name, in any letter case and with any separators, at
// any depth of a record: its value is dropped, and its path is reported.

// credentialMarks are what the name of a key holding a credential
// contains, lower case, without separators.
var credentialMarks = []string{"authdata", "sessiontoken", "sessionkey", "accesstoken", "refreshtoken"}

// compactKey is a key lower case, with only its letters and digits.
func compactKey(key string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(key) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// IsCredentialKey says whether an export's key names a credential: its
// name holds authData, sessionToken, session_key, access_token or
// refresh_token, in any letter case and with any separators
// ("lc_sessionToken", "SessionKey", "sessionToken ").
func IsCredentialKey(key string) bool {
	compact := compactKey(key)
	for _, mark := range credentialMarks {
		if strings.Contains(compact, mark) {
			return true
		}
	}
	return false
}

// isPasswordKey says whether a _User key is LeanCloud's password hash or
// its salt, however spelt ("Password", "lc_salt").
func isPasswordKey(key string) bool {
	compact := strings.TrimPrefix(compactKey(key), "lc")
	return compact == "password" || compact == "salt"
}

// dropCredentials deletes from a record's fields, at any depth, the keys
// that name a credential (and, at the top, those secret says are), except
// the top-level keys of keep, and returns the paths of those deleted, in
// order ("user.sessionToken", "list[].authData").
func dropCredentials(fields map[string]any, secret func(string) bool, keep ...string) []string {
	var paths []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch t := v.(type) {
		case map[string]any:
			for key, x := range t {
				if IsCredentialKey(key) {
					delete(t, key)
					paths = append(paths, path+"."+key)
					continue
				}
				walk(x, path+"."+key)
			}
		case []any:
			for _, x := range t {
				walk(x, path+"[]")
			}
		}
	}
	for key, v := range fields {
		if slices.Contains(keep, key) {
			continue
		}
		if IsCredentialKey(key) || (secret != nil && secret(key)) {
			delete(fields, key)
			paths = append(paths, key)
			continue
		}
		walk(v, key)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}
