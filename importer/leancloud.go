// Package importer writes a LeanCloud or CloudBase export (read by package
// exports) into wxbase: users with their WeChat accounts, so that each
// WeChat user who logs in lands on their own account, and their records,
// under rules that keep who may read and write them.
package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/exports"
	"wxbase/secrets"
)

// Options are what the operator says that the export cannot.
type Options struct {
	// AppID is the wechat_apps appid the export's mini-program openids
	// (LeanCloud's lc_weapp) belong to.
	AppID string
	// MiniPrograms maps the other authData keys that are mini-program
	// logins ("weapp2") to their appid.
	MiniPrograms map[string]string
	// NoPasswordHash is the password hash of users who have none: what a
	// WeChat sign-up stores, which no password matches.
	NoPasswordHash string
	// EnvApp, when set, first creates or updates the mini-program of
	// WECHAT_APPID and WECHAT_SECRET, as the server does at start (within
	// the import's transaction).
	EnvApp func(core.App) error
	// DryRun plans the import and writes nothing.
	DryRun bool
	// OwnHooks is how many handlers wxbase binds to the hooks of a
	// record's create (CreateHooks, as NewCommand counts them): with more
	// bound at the import (a pb_hooks script's, say), every record is
	// saved by PocketBase's SaveNoValidate, so that they run; else records
	// are written directly (recordWriter). 0 takes the handlers bound at
	// the import as wxbase's own.
	OwnHooks int
}

// Report is what an import did, or would do.
type Report struct {
	Users       int               `json:"users"`
	Passwords   int               `json:"leanCloudPasswords"`
	Accounts    int               `json:"accounts"`
	Collections []CollectionPlan  `json:"collections"`
	Skipped     map[string]int    `json:"skippedClasses,omitempty"`
	Notes       []string          `json:"notes"`
	Problems    []string          `json:"problems"`
	NotCarried  []string          `json:"notCarried"`
	Rules       map[string]string `json:"rules"`
}

// CollectionPlan is one class's collection.
type CollectionPlan struct {
	Name    string      `json:"name"`
	Class   string      `json:"class"`
	Records int         `json:"records"`
	Created bool        `json:"created"`
	Fields  []FieldPlan `json:"fields"`
}

// FieldPlan is a field an import adds.
type FieldPlan struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
	Why    string `json:"why,omitempty"`
}

// The fields an import adds to every collection of a LeanCloud class.
const (
	ownerField      = "owner"       // the one user the ACL lets write
	publicReadField = "public_read" // the ACL lets everyone read
	aclField        = "leancloud_acl"
)

// leanCloudRules are the rules of an imported class: what its ACLs said,
// as far as rules can say it.
var leanCloudRules = map[string]string{
	"list":   `owner = @request.auth.id || public_read = true`,
	"view":   `owner = @request.auth.id || public_read = true`,
	"create": `@request.auth.id != ""`,
	"update": `owner = @request.auth.id`,
	"delete": `owner = @request.auth.id`,
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// LeanCloud imports x. Everything is written in one transaction, or
// nothing; a dry run runs the same work and rolls it back, so its report
// is exactly what the import would do.
func LeanCloud(app core.App, x *exports.LeanCloudExport, opts Options) (*Report, error) {
	report := &Report{Skipped: x.Skipped, Rules: leanCloudRules, Notes: []string{}, Problems: []string{}, NotCarried: []string{}}
	err := app.RunInTransaction(func(tx core.App) error {
		if opts.EnvApp != nil {
			if err := opts.EnvApp(tx); err != nil {
				return fmt.Errorf("the mini-program of WECHAT_APPID: %w", err)
			}
		}
		w := &leanCloudWrite{tx: tx, x: x, opts: opts, report: report, imported: map[string]map[string]bool{}}
		if err := w.users(); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if err := w.classes(); err != nil {
			return err
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return report, nil
}

type leanCloudWrite struct {
	tx       core.App
	x        *exports.LeanCloudExport
	opts     Options
	report   *Report
	imported map[string]map[string]bool // class ("_User" for users) → ids written
}

func (w *leanCloudWrite) problem(format string, args ...any) {
	w.report.Problems = append(w.report.Problems, fmt.Sprintf(format, args...))
}

// appRecord finds the wechat_apps row of appid.
func (w *leanCloudWrite) appRecord(appid string) (*core.Record, error) {
	app, err := w.tx.FindFirstRecordByData("wechat_apps", "appid", appid)
	if err != nil {
		return nil, fmt.Errorf("no mini-program %s in wechat_apps: add it in the dashboard, or start wxbase once with WECHAT_APPID and WECHAT_SECRET", appid)
	}
	return app, nil
}

// users writes the _User records and their WeChat accounts.
func (w *leanCloudWrite) users() error {
	if len(w.x.Users) == 0 {
		return nil
	}
	users, err := w.tx.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	appOf := map[string]*core.Record{}
	platformApp := func(platform string) (*core.Record, error) {
		appid := w.opts.AppID
		if platform != "lc_weapp" {
			appid = w.opts.MiniPrograms[platform]
		}
		if appOf[appid] == nil {
			a, err := w.appRecord(appid)
			if err != nil {
				return nil, err
			}
			appOf[appid] = a
		}
		return appOf[appid], nil
	}
	if err := widenIDs(w.tx, users, userIDs(w.x.Users)); err != nil {
		return err
	}
	// Users who signed in with an e-mail and a password keep doing so:
	// password sign-in (by e-mail), off for WeChat-only users, is turned on.
	withPassword := 0
	for _, u := range w.x.Users {
		switch {
		case u.PasswordHash != "" && u.Email != "":
			withPassword++
		case u.PasswordHash != "":
			w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: a LeanCloud password without an e-mail to sign in with (sign in by WeChat, or a superuser sets an e-mail)", u.ID))
		}
	}
	if withPassword > 0 && !users.PasswordAuth.Enabled {
		users.PasswordAuth.Enabled = true
		users.PasswordAuth.IdentityFields = []string{core.FieldNameEmail}
		if err := w.tx.Save(users); err != nil {
			return err
		}
		w.report.Notes = append(w.report.Notes, fmt.Sprintf("password sign-in by e-mail is turned on for users: %d imported users had a LeanCloud password and an e-mail; each one's first password login checks the LeanCloud hash and sets a password of its own", withPassword))
	}
	// Fields of the users' profiles the users collection lacks.
	var profile exports.Schema
	for _, u := range w.x.Users {
		fields := maps(u.Fields)
		delete(fields, "ACL")
		profile.Add(fields)
	}
	inferred, userNames := carriedNames(users, profile.Fields(), "lc_", ownedByUsers, w.report)
	plan, err := addFields(w.tx, users, inferred, nil)
	if err != nil {
		return err
	}
	w.report.Collections = append(w.report.Collections, CollectionPlan{Name: "users", Class: "_User", Records: len(w.x.Users), Fields: plan})

	// A unionid shared by several users is kept by the one LeanCloud logs
	// in by it (its main unionid).
	mainOf := map[string]string{}
	for _, u := range w.x.Users {
		if u.MainUnionID != "" {
			mainOf[u.MainUnionID] = u.ID
		}
	}
	holders := map[string][]string{}
	for _, u := range w.x.Users {
		for _, id := range u.MiniPrograms {
			if id.UnionID != "" && !slices.Contains(holders[id.UnionID], u.ID) {
				holders[id.UnionID] = append(holders[id.UnionID], u.ID)
			}
		}
	}
	accounts, err := w.tx.FindCollectionByNameOrId("wechat_accounts")
	if err != nil {
		return err
	}
	w.imported["_User"] = map[string]bool{}
	storedUsers, err := storedIDs(w.tx, users)
	if err != nil {
		return err
	}
	heldBy, err := accountHolders(w.tx)
	if err != nil {
		return err
	}
	userWriter, err := newRecordWriter(w.tx, users, directWrites(w.tx, w.opts.OwnHooks))
	if err != nil {
		return err
	}
	defer userWriter.close()
	accountWriter, err := newRecordWriter(w.tx, accounts, directWrites(w.tx, w.opts.OwnHooks))
	if err != nil {
		return err
	}
	defer accountWriter.close()
	keptUsers := 0
	phones := map[string]string{}
	defer func() {
		if keptUsers > 0 {
			w.report.Notes = append(w.report.Notes, fmt.Sprintf("users: %d users already here (from an earlier import) were left as they are", keptUsers))
		}
	}()
	for _, u := range w.x.Users {
		for _, n := range u.NotCarried {
			w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: %s", u.ID, n))
		}
		// An openid that already has an account here stays with it.
		taken := false
		for _, id := range u.MiniPrograms {
			a, err := platformApp(id.Platform)
			if err != nil {
				return err
			}
			holder, held := heldBy[[2]string{a.Id, id.OpenID}]
			if held && holder != u.ID {
				w.problem("user %s: the openid %s already has an account here (user %s); the user is not imported", u.ID, id.OpenID, holder)
				taken = true
			}
		}
		if taken {
			continue
		}
		if storedUsers[u.ID] {
			w.imported["_User"][u.ID] = true
			keptUsers++
			continue
		}
		record := core.NewRecord(users)
		record.Id = u.ID
		if u.Email != "" {
			record.SetEmail(u.Email)
			record.SetVerified(u.EmailVerified)
		}
		if phone, ok := users.Fields.GetByName("phone").(*core.TextField); ok && u.Phone != "" {
			// The phone field takes E.164 numbers, each held by one user.
			switch {
			case phone.ValidatePlainValue(u.Phone) != nil:
				w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: the phone number %s, not in E.164 form (+ and the country code); the user binds it again with WeChat's phone button", u.ID, u.Phone))
			case phones[u.Phone] != "":
				w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: the phone number %s, which user %s holds too", u.ID, u.Phone, phones[u.Phone]))
			default:
				phones[u.Phone] = u.ID
				record.Set("phone", u.Phone)
			}
		}
		record.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: w.opts.NoPasswordHash})
		if u.PasswordHash != "" && u.Email != "" {
			// Kept sealed; the first password login checks it and
			// replaces it with a password of PocketBase's own.
			record.Set(secrets.LeanCloudPasswordField, u.PasswordSalt+"$"+u.PasswordHash)
			w.report.Passwords++
		}
		for key, v := range u.Fields {
			name, ok := userNames[key]
			if key == "ACL" || !ok || users.Fields.GetByName(name) == nil {
				continue
			}
			record.Set(name, storedValue(v))
		}
		setTimes(record, u.Created, u.Updated)
		if err := userWriter.create(record); err != nil {
			return fmt.Errorf("user %s: %w", u.ID, err)
		}
		w.imported["_User"][u.ID] = true
		w.report.Users++
		for _, id := range u.MiniPrograms {
			a, _ := platformApp(id.Platform)
			unionid := id.UnionID
			if main, shared := mainOf[unionid], len(holders[unionid]) > 1; shared && main != u.ID {
				if main == "" {
					w.problem("user %s: the unionid %s is shared by users %s, none of which logs in by it; it is left out", u.ID, unionid, strings.Join(holders[unionid], ", "))
				} else {
					w.problem("user %s: the unionid %s belongs to user %s, who logs in by it; it is left out here", u.ID, unionid, main)
				}
				unionid = ""
			}
			account := core.NewRecord(accounts)
			account.Set("app", a.Id)
			account.Set("openid", id.OpenID)
			account.Set("unionid", unionid)
			account.Set("user", u.ID)
			if err := accountWriter.create(account); err != nil {
				return fmt.Errorf("user %s: the account of %s: %w", u.ID, id.OpenID, err)
			}
			heldBy[[2]string{a.Id, id.OpenID}] = u.ID
			w.report.Accounts++
		}
	}
	return nil
}

// classes writes each class's collection and records.
func (w *leanCloudWrite) classes() error {
	names := make([]string, 0, len(w.x.Classes))
	for name := range w.x.Classes {
		names = append(names, name)
	}
	slices.Sort(names)
	collections := map[string]*core.Collection{}
	// The collections first, then their fields: Pointers may point to a
	// class that comes later, or to their own.
	for _, name := range names {
		c, created, err := w.collection(name)
		if err != nil {
			return err
		}
		collections[name] = c
		w.report.Collections = append(w.report.Collections, CollectionPlan{Name: c.Name, Class: name, Records: len(w.x.Classes[name].Records), Created: created})
	}
	targets := map[string]string{"_User": "users"}
	for name, c := range collections {
		targets[name] = c.Id
	}
	carried := map[string]map[string]string{}
	for i, name := range names {
		inferred, fieldNames := carriedNames(collections[name], w.x.Classes[name].Schema.Fields(), "lc_", ownedByImport, w.report)
		carried[name] = fieldNames
		plan, err := addFields(w.tx, collections[name], inferred, targets)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		w.report.Collections[len(w.report.Collections)-len(names)+i].Fields = plan
		w.imported[name] = map[string]bool{}
		for _, r := range w.x.Classes[name].Records {
			w.imported[name][r.ID] = true
		}
	}
	for _, name := range names {
		if err := w.records(collections[name], w.x.Classes[name], carried[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// collection finds the collection an earlier import of the class made,
// or makes it.
func (w *leanCloudWrite) collection(class string) (*core.Collection, bool, error) {
	if problem := exports.FieldNameProblem(class); problem != "" || strings.HasPrefix(class, "_") {
		return nil, false, fmt.Errorf("the class %s cannot be a collection's name here", class)
	}
	existing, err := w.tx.FindCollectionByNameOrId(class)
	if err == nil {
		if existing.Fields.GetByName(aclField) == nil {
			return nil, false, fmt.Errorf("a collection %s is already here, and not from an import of LeanCloud: rename one of them first", class)
		}
		return existing, false, nil
	}
	c := core.NewBaseCollection(class)
	users, err := w.tx.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, false, err
	}
	c.Fields.Add(
		&core.RelationField{Name: ownerField, CollectionId: users.Id, MaxSelect: 1},
		&core.BoolField{Name: publicReadField},
		&core.JSONField{Name: aclField},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	c.ListRule = types.Pointer(leanCloudRules["list"])
	c.ViewRule = types.Pointer(leanCloudRules["view"])
	c.CreateRule = types.Pointer(leanCloudRules["create"])
	c.UpdateRule = types.Pointer(leanCloudRules["update"])
	c.DeleteRule = types.Pointer(leanCloudRules["delete"])
	var ids []string
	for _, r := range w.x.Classes[class].Records {
		ids = append(ids, r.ID)
	}
	setIDField(c, ids)
	if err := w.tx.Save(c); err != nil {
		return nil, false, fmt.Errorf("making the collection %s: %w", class, err)
	}
	return c, true, nil
}

// records writes a class's records.
func (w *leanCloudWrite) records(c *core.Collection, class *exports.LeanCloudClass, names map[string]string) error {
	kept := 0
	defer func() {
		if kept > 0 {
			w.report.Notes = append(w.report.Notes, fmt.Sprintf("%s: %d records already here (from an earlier import) were left as they are; a later export's changes to them are not applied", c.Name, kept))
		}
	}()
	stored, err := storedIDs(w.tx, c)
	if err != nil {
		return err
	}
	writer, err := newRecordWriter(w.tx, c, directWrites(w.tx, w.opts.OwnHooks))
	if err != nil {
		return err
	}
	defer writer.close()
	for _, r := range class.Records {
		if stored[r.ID] {
			kept++
			continue
		}
		record := core.NewRecord(c)
		record.Id = r.ID
		if r.ACL != nil {
			acl, _ := json.Marshal(r.RawACL) // verbatim
			record.Set(aclField, types.JSONRaw(acl))
			record.Set(publicReadField, r.ACL.PublicRead)
			switch {
			case r.ACL.Owner != "" && w.imported["_User"][r.ACL.Owner]:
				record.Set(ownerField, r.ACL.Owner)
			case r.ACL.Owner != "":
				w.problem("%s %s (%s): its owner %s is not an imported user", class.Name, r.ID, r.Source, r.ACL.Owner)
			}
			for _, g := range r.ACL.NotExpressed {
				w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s %s: the ACL grant %s", class.Name, r.ID, g))
			}
		} else {
			record.Set(publicReadField, true) // no ACL: LeanCloud lets everyone in
		}
		for key, v := range r.Fields {
			field := c.Fields.GetByName(names[key])
			if field == nil {
				continue
			}
			value, ok := w.fieldValue(field, v, class.Name, r)
			if ok {
				record.Set(field.GetName(), value)
			}
		}
		setTimes(record, r.Created, r.Updated)
		if err := writer.create(record); err != nil {
			return fmt.Errorf("%s (%s): %w", r.ID, r.Source, err)
		}
	}
	return nil
}

// fieldValue is v as field stores it.
func (w *leanCloudWrite) fieldValue(field core.Field, v any, class string, r exports.LeanCloudRecord) (any, bool) {
	rel, isRelation := field.(*core.RelationField)
	if !isRelation {
		return storedValue(v), true
	}
	var pointers []exports.Pointer
	switch t := v.(type) {
	case exports.Pointer:
		pointers = []exports.Pointer{t}
	case []any:
		for _, x := range t {
			if p, ok := x.(exports.Pointer); ok {
				pointers = append(pointers, p)
			}
		}
	case exports.Relation:
		w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s %s: the members of the Relation %s (not in the export)", class, r.ID, field.GetName()))
		return nil, false
	}
	var ids []string
	for _, p := range pointers {
		if !w.imported[p.Class][p.ID] {
			w.problem("%s %s (%s): %s points to %s %s, which is not in the export", class, r.ID, r.Source, field.GetName(), p.Class, p.ID)
			continue
		}
		ids = append(ids, p.ID)
	}
	if rel.IsMultiple() {
		return ids, true
	}
	if len(ids) == 0 {
		return nil, false
	}
	return ids[0], true
}

// storedValue is a decoded export value as PocketBase stores it.
func storedValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		d, _ := types.ParseDateTime(t)
		return d
	case exports.Decimal:
		return string(t)
	case exports.GeoPoint:
		return map[string]any{"type": "Point", "coordinates": []any{t.Lon, t.Lat}}
	case exports.Pointer:
		return t.ID
	case exports.File:
		if t.URL != "" {
			return t.URL
		}
		return t.ID
	case exports.Bytes:
		return []byte(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonValue(x)
		}
		return out
	case map[string]any:
		return jsonValue(t)
	}
	return v
}

// jsonValue is a value inside a JSON field: dates as {"$date"}, as the
// database routes read them.
func jsonValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		return map[string]any{"$date": t.UTC().Format("2006-01-02T15:04:05.000Z")}
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonValue(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonValue(x)
		}
		return out
	case exports.Pointer:
		return map[string]any{"__type": "Pointer", "className": t.Class, "objectId": t.ID}
	}
	return storedValue(v)
}

func setTimes(record *core.Record, created, updated time.Time) {
	if !created.IsZero() {
		d, _ := types.ParseDateTime(created)
		record.SetRaw("created", d)
	}
	if !updated.IsZero() {
		d, _ := types.ParseDateTime(updated)
		record.SetRaw("updated", d)
	}
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func userIDs(users []exports.LeanCloudUser) []string {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}
