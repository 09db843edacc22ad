package exports

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A LeanCloud _User record, read for an import: who the user is on WeChat
// (the mini-program openids of authData, their unionid), how they signed
// in otherwise (e-mail, phone, LeanCloud's password hash), and the rest of
// their fields. What a user's export holds that is a credential (authData
// itself, its session keys and access tokens, sessionToken) is read for
// the identities and never kept.

// MiniProgramIdentity is a user's openid in one mini-program.
type MiniProgramIdentity struct {
	// Platform is the authData key: "lc_weapp" (the app the LeanCloud
	// console configured) or a developer's own key for another
	// mini-program ("weapp2"), whose openid LeanCloud keeps in uid.
	Platform string
	OpenID   string
	UnionID  string // "" when WeChat gave none
}

// LeanCloudUser is what an import takes from a _User record.
type LeanCloudUser struct {
	ID               string
	Username         string
	Email            string
	EmailVerified    bool
	Phone            string
	PhoneVerified    bool
	PasswordSalt     string // LeanCloud's password hash, with its salt (LeanCloudPasswordMatches)
	PasswordHash     string
	Created, Updated time.Time
	MiniPrograms     []MiniProgramIdentity
	// MainUnionID is the unionid LeanCloud logs this user in by
	// (authData._weixin_unionid, or another _<platform>_unionid): two
	// users with one unionid resolve to the one holding it.
	MainUnionID string
	// Fields are the record's other fields, decoded (DecodeLeanCloud);
	// ACL stays among them.
	Fields map[string]any
	// NotCarried names the authData platforms that are not mini-program
	// logins (weixin app or web OAuth: another openid namespace; qq,
	// weibo, apple, anonymous), each with why.
	NotCarried []string
	// Credentials are the paths of the keys dropped as credentials
	// (IsCredentialKey) besides those every _User has (authData,
	// sessionToken, password, salt): "profile.sessionToken".
	Credentials []string
}

// leanCloudUserSecrets are the _User fields that are credentials.
var leanCloudUserSecrets = []string{"authData", "sessionToken", "password", "salt"}

// ReadLeanCloudUser reads a _User record. miniPrograms names the authData
// keys besides lc_weapp that are mini-program logins (with the openid in
// uid), as the import's --map says. The credentials are deleted from
// fields, at any depth: the password hash (however spelt) and each key
// IsCredentialKey names.
func ReadLeanCloudUser(fields map[string]any, miniPrograms []string) (LeanCloudUser, error) {
	u := LeanCloudUser{Fields: map[string]any{}}
	str := func(key string) string { s, _ := fields[key].(string); return s }
	flag := func(key string) bool { b, _ := fields[key].(bool); return b }
	u.ID = str("objectId")
	if u.ID == "" {
		return u, fmt.Errorf("a _User record without an objectId")
	}
	u.Username, u.Email, u.Phone = str("username"), str("email"), str("mobilePhoneNumber")
	u.EmailVerified, u.PhoneVerified = flag("emailVerified"), flag("mobilePhoneVerified")
	u.PasswordSalt, u.PasswordHash = str("salt"), str("password")
	var err error
	if u.Created, err = plainTime(fields["createdAt"]); err != nil {
		return u, fmt.Errorf("createdAt: %w", err)
	}
	if u.Updated, err = plainTime(fields["updatedAt"]); err != nil {
		return u, fmt.Errorf("updatedAt: %w", err)
	}
	if auth, ok := fields["authData"].(map[string]any); ok {
		if err := u.readAuthData(auth, miniPrograms); err != nil {
			return u, fmt.Errorf("authData: %w", err)
		}
	}
	for _, path := range dropCredentials(fields, isPasswordKey, "ACL") {
		if !slices.Contains(leanCloudUserSecrets, path) {
			u.Credentials = append(u.Credentials, path)
		}
	}
	for key, v := range fields {
		switch key {
		case "objectId", "username", "email", "emailVerified", "mobilePhoneNumber", "mobilePhoneVerified", "createdAt", "updatedAt":
			continue
		}
		d, err := DecodeLeanCloud(v)
		if err != nil {
			return u, fmt.Errorf("%s: %w", key, err)
		}
		u.Fields[key] = d
	}
	return u, nil
}

func (u *LeanCloudUser) readAuthData(auth map[string]any, miniPrograms []string) error {
	for _, platform := range sortedKeys(auth) {
		block, ok := auth[platform].(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not an object", platform)
		}
		str := func(key string) string { s, _ := block[key].(string); return s }
		switch {
		case strings.HasPrefix(platform, "_") && strings.HasSuffix(platform, "_unionid"):
			if uid := str("uid"); uid != "" {
				if u.MainUnionID != "" && u.MainUnionID != uid {
					return fmt.Errorf("two main unionids, %s and %s", u.MainUnionID, uid)
				}
				u.MainUnionID = uid
			}
		case platform == "lc_weapp":
			if str("openid") == "" {
				return fmt.Errorf("lc_weapp has no openid")
			}
			u.MiniPrograms = append(u.MiniPrograms, MiniProgramIdentity{Platform: platform, OpenID: str("openid"), UnionID: str("unionid")})
		case slices.Contains(miniPrograms, platform):
			openid := str("uid")
			if openid == "" {
				openid = str("openid")
			}
			if openid == "" {
				return fmt.Errorf("%s has no uid (its openid)", platform)
			}
			u.MiniPrograms = append(u.MiniPrograms, MiniProgramIdentity{Platform: platform, OpenID: openid, UnionID: str("unionid")})
		case platform == "weixin":
			u.NotCarried = append(u.NotCarried, "weixin: a WeChat app or website login, whose openids are not the mini-program's")
		default:
			u.NotCarried = append(u.NotCarried, platform+": not a mini-program login (name it in --map if it is one)")
		}
	}
	return nil
}

// plainTime reads LeanCloud's createdAt and updatedAt: a plain ISO string,
// or (rarely) a Date object; missing is the zero time.
func plainTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case string:
		return parseTime(t)
	}
	d, err := DecodeLeanCloud(v)
	if err != nil {
		return time.Time{}, err
	}
	if tm, ok := d.(time.Time); ok {
		return tm, nil
	}
	return time.Time{}, fmt.Errorf("not a date")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LooksLikeOpenID says whether s has the form of a WeChat openid: 28
// characters of base64url (they start with "o" in practice, which WeChat
// does not promise). CloudBase writes openids in _openid; an export that
// went through CloudBase's own LeanCloud script holds LeanCloud ids there
// instead (24 hex digits, or 10 letters and digits), which must not become
// WeChat accounts.
func LooksLikeOpenID(s string) bool {
	if len(s) != 28 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
