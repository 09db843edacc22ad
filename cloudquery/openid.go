package cloudquery

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// CloudBase's _openid is the WeChat openid of the user who created a
// record, in the mini-program the SDK runs in. wxbase records the user in
// the owner relation; an openid is the user's account in one app
// (wechat_accounts), so _openid is read through that account, in queries
// and in documents, and '{openid}' stands for the caller.

const (
	accountsTable = "wechat_accounts"
	ownerColumn   = "owner"
	callerOpenID  = "{openid}"
)

// openid translates a condition on _openid: equality and membership with
// openids, null and $exists.
func (t *translator) openid(cond any) (string, error) {
	if !t.owner.hasOwner {
		return "", t.unknownField("where()", "_openid (the collection has no owner relation to users)")
	}
	t.used[ownerColumn] = true
	ops := operators(cond)
	if ops == nil {
		ops = map[string]any{"$eq": cond}
	}
	names := slices.Sorted(maps.Keys(ops))
	var parts []string
	for _, op := range names {
		var part string
		var err error
		switch op {
		case "$eq", "$ne":
			part, err = t.openidIn(op, []any{ops[op]}, op == "$ne")
		case "$in", "$nin":
			list, ok := ops[op].([]any)
			if !ok {
				return "", invalid("where(): _openid %s takes an array.", op)
			}
			part, err = t.openidIn(op, list, op == "$nin")
		case "$exists":
			exists, ok := ops[op].(bool)
			if !ok {
				return "", invalid("where(): $exists takes true or false.")
			}
			part = fmt.Sprintf("(%s %s '')", t.col(ownerColumn), map[bool]string{true: "!=", false: "="}[exists])
		default:
			return "", unsupported("where(): _openid is compared for equality only (a value, _.in(), _.neq(), _.nin(), _.exists()), not with %s.", op)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

func (t *translator) openidIn(op string, values []any, negate bool) (string, error) {
	var parts []string
	var openids []string
	for _, v := range values {
		switch x := v.(type) {
		case nil:
			parts = append(parts, fmt.Sprintf("(%s = '')", t.col(ownerColumn)))
		case string:
			if x == callerOpenID {
				if t.owner.authID == "" {
					parts = append(parts, sqlFalse)
				} else {
					parts = append(parts, fmt.Sprintf("(%s = %s)", t.col(ownerColumn), t.param(t.owner.authID)))
				}
				continue
			}
			openids = append(openids, x)
		default:
			return "", invalid("where(): _openid %s compares with openid strings, not %T.", op, v)
		}
	}
	if len(openids) > 0 {
		if t.owner.appRef == "" {
			return "", invalid("where(): _openid names a WeChat user of one mini-program: the request must say which (the SDK sends its appid), and come from a user signed in through it.")
		}
		placeholders := make([]string, len(openids))
		for i, o := range openids {
			placeholders[i] = t.param(o)
		}
		parts = append(parts, fmt.Sprintf("(%s IN (SELECT [[wxa.user]] FROM {{%s}} wxa WHERE [[wxa.app]] = %s AND [[wxa.openid]] IN (%s)))",
			t.col(ownerColumn), accountsTable, t.param(t.owner.appRef), strings.Join(placeholders, ", ")))
	}
	expr := sqlFalse
	if len(parts) > 0 {
		expr = "(" + strings.Join(parts, " OR ") + ")"
	}
	if negate {
		return "(NOT " + expr + ")", nil
	}
	return expr, nil
}

// OpenIDs maps users to their openid in one app, for the _openid of the
// documents a read returns: one query for the users not known yet. A
// user's openid in an app never changes; the cache forgets an account
// that is deleted or changed (Forget).
type OpenIDs struct {
	mu    sync.Mutex
	known map[[2]string]string // (app, user) → openid; "" for no account
}

// maxKnownOpenIDs bounds the cache; it starts over when full.
const maxKnownOpenIDs = 100_000

// Forget drops the cache; bound to changes of wechat_accounts.
func (o *OpenIDs) Forget() {
	o.mu.Lock()
	o.known = nil
	o.mu.Unlock()
}

// OpenID returns user's openid in the app whose wechat_apps record is
// appRef, or "" when the user has no account there.
func (o *OpenIDs) OpenID(app core.App, appRef, user string) (string, error) {
	found, err := o.lookup(app, appRef, []string{user})
	if err != nil {
		return "", err
	}
	return found[user], nil
}

// lookup returns the openids of users in app.
func (o *OpenIDs) lookup(app core.App, appRef string, users []string) (map[string]string, error) {
	result := make(map[string]string, len(users))
	var missing []any
	o.mu.Lock()
	for _, user := range users {
		if openid, ok := o.known[[2]string{appRef, user}]; ok {
			result[user] = openid
		} else {
			missing = append(missing, user)
		}
	}
	o.mu.Unlock()
	if len(missing) == 0 {
		return result, nil
	}
	var rows []struct {
		User   string `db:"user"`
		OpenID string `db:"openid"`
	}
	err := app.ConcurrentDB().Select("user", "openid").From(accountsTable).
		Where(dbx.HashExp{"app": appRef}).
		AndWhere(dbx.In("user", missing...)).
		All(&rows)
	if err != nil {
		return nil, err
	}
	found := map[string]string{}
	for _, row := range rows {
		found[row.User] = row.OpenID
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.known == nil || len(o.known)+len(missing) > maxKnownOpenIDs {
		o.known = map[[2]string]string{}
	}
	for _, user := range missing {
		u := user.(string)
		o.known[[2]string{appRef, u}] = found[u]
		result[u] = found[u]
	}
	return result, nil
}
