// Package importer writes a LeanCloud or CloudBase export (read by package
// exports) into wxbase: users with their WeChat accounts, so that each
// WeChat user who logs in lands on their own account, and their records,
// under rules that keep who may read and write them.
package importer

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
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
	// Rules are the rules of the collections the import makes ("acl" when
	// unset), and CollectionRules those of the classes named.
	Rules           Rules
	CollectionRules map[string]Rules
	// Progress, when set, counts the records gone through.
	Progress *Progress
	// Files is a directory of the export's files, downloaded (files.go
	// says what becomes of them); "" when there is none.
	Files string
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
	Users       int              `json:"users"`
	Passwords   int              `json:"leanCloudPasswords"`
	Accounts    int              `json:"accounts"`
	Collections []CollectionPlan `json:"collections"`
	Skipped     map[string]int   `json:"skippedClasses,omitempty"`
	Notes       []string         `json:"notes"`
	Problems    []string         `json:"problems"`
	NotCarried  []string         `json:"notCarried"`
	// Rules are the presets of the collections made, by name.
	Rules map[string]map[string]string `json:"rules"`
}

// CollectionPlan is one class's collection.
type CollectionPlan struct {
	Name    string      `json:"name"`
	Class   string      `json:"class"`
	Records int         `json:"records"`
	Created bool        `json:"created"`
	Rules   string      `json:"rules,omitempty"` // the preset, when created
	New     int         `json:"new"`             // records written
	Updated int         `json:"updated"`         // records here brought up to the export
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

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// LeanCloud imports x. Everything is written in one transaction, or
// nothing; a dry run runs the same work and rolls it back, so its report
// is exactly what the import would do.
func LeanCloud(app core.App, x *exports.LeanCloudExport, opts Options) (*Report, error) {
	report := &Report{Skipped: x.Skipped, Rules: map[string]map[string]string{}, Notes: []string{}, Problems: []string{}, NotCarried: []string{}}
	files, err := newFileImport(opts.Files, opts.DryRun, report, leanCloudValues(x))
	if err != nil {
		return nil, err
	}
	err = app.RunInTransaction(func(tx core.App) error {
		if opts.EnvApp != nil {
			if err := opts.EnvApp(tx); err != nil {
				return fmt.Errorf("the mini-program of WECHAT_APPID: %w", err)
			}
		}
		w := &leanCloudWrite{tx: tx, x: x, opts: opts, report: report, imported: map[string]map[string]bool{"_User": {}}, ids: map[string]*recordIDs{"_User": {}}, noMembers: map[string]int{}, nestedPointers: map[string]int{}, files: files}
		if err := w.users(); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if err := w.classes(); err != nil {
			return err
		}
		if err := files.store(tx); err != nil {
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
	imported map[string]map[string]bool // class ("_User" for users) → source ids written
	ids      map[string]*recordIDs      // class → the ids its records have here
	// noMembers counts, by class.column, the records whose Relation's
	// members are not in the export (no join table).
	noMembers map[string]int
	// nestedPointers counts, by class.column, the records holding Pointers
	// inside a JSON value, which stay as LeanCloud wrote them.
	nestedPointers map[string]int
	files          *fileImport
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
	ids, err := newRecordIDs(w.tx, users)
	if err != nil {
		return err
	}
	ids.assign(userIDs(w.x.Users))
	if err := ids.addSourceField(w.tx, users); err != nil {
		return err
	}
	w.ids["_User"] = ids
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
		fields := cloneMap(u.Fields)
		delete(fields, "ACL")
		profile.Add(fields)
	}
	inferred, userNames := carriedNames(users, profile.Fields(), "lc_", ownedByUsers, w.report)
	plan, err := w.files.addFields(w.tx, users, inferred, nil, userNames, leanCloudUserRecords(w.x.Users))
	if err != nil {
		return err
	}
	w.report.Collections = append(w.report.Collections, CollectionPlan{Name: "users", Class: "_User", Records: len(w.x.Users), Fields: plan})
	ids.report(w.report)

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
	if err := ensureImportedField(w.tx, users); err != nil {
		return err
	}
	before, err := readThrough(w.tx, users)
	if err != nil {
		return err
	}
	// What an import sets on a user; the rest (password, tokens, a phone
	// bound here) is wxbase's.
	columns := importedColumns(users, append([]string{core.FieldNameEmail, core.FieldNameVerified}, w.files.companions(users)...), userNames)
	again := &refresh{collection: "users", through: before, columns: columns}
	defer again.note(w.report)
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
	// Phone numbers are held by one user each: those held here already
	// too (a later export's new user may have the number a user here has
	// bound since).
	phones := map[string]string{}
	if users.Fields.GetByName("phone") != nil {
		var held []struct {
			ID    string `db:"id"`
			Phone string `db:"phone"`
		}
		if err := w.tx.DB().Select("id", "phone").From(users.Name).Where(dbx.NewExp("[[phone]] != ''")).All(&held); err != nil {
			return err
		}
		for _, h := range held {
			phones[h.Phone] = h.ID
		}
	}
	// So are e-mail addresses.
	emails := map[string]string{}
	var held []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := w.tx.DB().Select("id", "email").From(users.Name).Where(dbx.NewExp("[[email]] != ''")).All(&held); err != nil {
		return err
	}
	for _, h := range held {
		emails[h.Email] = h.ID
	}
	credentials := credentialsDropped{}
	defer credentials.report(w.report, "_User")
	var through time.Time
	for _, u := range w.x.Users {
		w.opts.Progress.tick()
		credentials.add(u.Credentials)
		for _, n := range u.NotCarried {
			w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: %s", u.ID, n))
		}
		through = w.carried(through, "user "+u.ID, u.Created, u.Updated)
		userID, _ := ids.of(u.ID)
		// An openid that already has an account here stays with it.
		taken := false
		var missing []exports.MiniProgramIdentity
		for _, id := range u.MiniPrograms {
			a, err := platformApp(id.Platform)
			if err != nil {
				return err
			}
			holder, held := heldBy[[2]string{a.Id, id.OpenID}]
			switch {
			case !held:
				missing = append(missing, id)
			case holder != userID:
				w.problem("user %s: the openid %s already has an account here (user %s); the user is not imported", u.ID, id.OpenID, holder)
				taken = true
			}
		}
		if taken {
			continue
		}
		record := core.NewRecord(users)
		ids.setID(record, u.ID)
		email := u.Email
		if holder := emails[email]; email != "" && !ids.exists(u.ID) && holder != "" {
			w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("user %s: the e-mail %s, which user %s holds too (with any LeanCloud password, which signs in by it)", u.ID, email, holder))
			email = ""
		}
		if email != "" {
			emails[email] = userID
			record.SetEmail(email)
			record.SetVerified(u.EmailVerified)
		}
		if phone, ok := users.Fields.GetByName("phone").(*core.TextField); ok && u.Phone != "" && !ids.exists(u.ID) {
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
		if u.PasswordHash != "" && email != "" && !ids.exists(u.ID) {
			// Kept sealed; the first password login checks it and
			// replaces it with a password of PocketBase's own.
			record.Set(secrets.LeanCloudPasswordField, u.PasswordSalt+"$"+u.PasswordHash)
			w.report.Passwords++
		}
		profileValues := cloneMap(u.Fields)
		delete(profileValues, "ACL")
		carry(record, userNames, profileValues, w.files.values(record, func(field core.Field, _ string, v any) (any, bool) {
			return w.plainValue(field, v, "user "+u.ID)
		}))
		setTimes(record, u.Created, u.Updated)
		if ids.exists(u.ID) {
			stored, err := w.tx.FindRecordById(users, userID)
			if err != nil {
				return fmt.Errorf("user %s: %w", u.ID, err)
			}
			if err := again.apply(w.tx, stored, record, u.Updated); err != nil {
				return fmt.Errorf("user %s: %w", u.ID, err)
			}
		} else {
			if again.deletedHere(u.ID, u.Created) {
				continue
			}
			if err := userWriter.create(record); err != nil {
				return fmt.Errorf("user %s: %w", u.ID, err)
			}
			again.created++
			w.report.Users++
		}
		w.imported["_User"][u.ID] = true
		for _, id := range missing {
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
			account.Set("user", userID)
			if err := accountWriter.create(account); err != nil {
				return fmt.Errorf("user %s: the account of %s: %w", u.ID, id.OpenID, err)
			}
			heldBy[[2]string{a.Id, id.OpenID}] = userID
			w.report.Accounts++
		}
	}
	return writeThrough(w.tx, users, before, through)
}

// classes writes each class's collection and records.
func (w *leanCloudWrite) classes() error {
	names := make([]string, 0, len(w.x.Classes))
	for name := range w.x.Classes {
		names = append(names, name)
	}
	slices.Sort(names)
	// Collection names here are compared regardless of case: two classes
	// that would be one collection would be merged.
	for i := 1; i < len(names); i++ {
		for _, earlier := range names[:i] {
			if strings.EqualFold(earlier, names[i]) {
				return fmt.Errorf("the classes %s and %s would be one collection here (collection names are compared regardless of case): rename the files of one of them", earlier, names[i])
			}
		}
	}
	collections := map[string]*core.Collection{}
	// The collections first, then their fields: Pointers may point to a
	// class that comes later, or to their own.
	for _, name := range names {
		c, created, err := w.collection(name)
		if err != nil {
			return err
		}
		collections[name] = c
		plan := CollectionPlan{Name: c.Name, Class: name, Records: len(w.x.Classes[name].Records), Created: created}
		if created {
			rules := w.rules(name)
			plan.Rules = rules.Name
			w.report.Rules[rules.Name] = rules.describe()
		}
		w.report.Collections = append(w.report.Collections, plan)
	}
	targets := map[string]string{"_User": "users"}
	for name, c := range collections {
		targets[name] = c.Id
	}
	carried := map[string]map[string]string{}
	for i, name := range names {
		inferred, fieldNames := carriedNames(collections[name], w.x.Classes[name].Schema.Fields(), "lc_", ownedByImport, w.report)
		carried[name] = fieldNames
		plan, err := w.files.addFields(w.tx, collections[name], inferred, targets, fieldNames, leanCloudRecords(w.x.Classes[name].Records))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		w.report.Collections[len(w.report.Collections)-len(names)+i].Fields = plan
		ids, err := newRecordIDs(w.tx, collections[name])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sourceIDs := make([]string, len(w.x.Classes[name].Records))
		for j, r := range w.x.Classes[name].Records {
			sourceIDs[j] = r.ID
		}
		ids.assign(sourceIDs)
		if err := ids.addSourceField(w.tx, collections[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		ids.report(w.report)
		w.ids[name] = ids
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
	for _, column := range slices.Sorted(maps.Keys(w.noMembers)) {
		class, field, _ := strings.Cut(column, ".")
		w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s.%s: the members of the Relation of %d records (its join table _Join:%s:%s is not in the export)", class, field, w.noMembers[column], field, class))
	}
	for _, column := range slices.Sorted(maps.Keys(w.nestedPointers)) {
		w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s: Pointers inside the JSON values of %d records, kept as LeanCloud wrote them ({\"__type\": \"Pointer\", ...}), not as relations", column, w.nestedPointers[column]))
	}
	return nil
}

// holdsPointer says whether v, a value stored as JSON, holds a Pointer.
func holdsPointer(v any) bool {
	switch t := v.(type) {
	case exports.Pointer:
		return true
	case []any:
		return slices.ContainsFunc(t, holdsPointer)
	case map[string]any:
		for _, x := range t {
			if holdsPointer(x) {
				return true
			}
		}
	}
	return false
}

// rules are the rules of the class's collection, when the import makes it.
func (w *leanCloudWrite) rules(class string) Rules {
	return rulesFor(class, w.opts.CollectionRules, w.opts.Rules, "acl")
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
		return existing, false, ensureImportedField(w.tx, existing)
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
		importedDateField(),
	)
	w.rules(class).apply(c)
	var ids []string
	for _, r := range w.x.Classes[class].Records {
		ids = append(ids, r.ID)
	}
	setIDField(c, ids, sourceIDPattern)
	if err := w.tx.Save(c); err != nil {
		return nil, false, fmt.Errorf("making the collection %s: %w", class, err)
	}
	return c, true, nil
}

// records writes a class's records: new ones, and changes to the ones an
// earlier import wrote.
func (w *leanCloudWrite) records(c *core.Collection, class *exports.LeanCloudClass, names map[string]string) error {
	ids := w.ids[class.Name]
	before, err := readThrough(w.tx, c)
	if err != nil {
		return err
	}
	columns := importedColumns(c, append([]string{ownerField, publicReadField, aclField}, w.files.companions(c)...), names)
	again := &refresh{collection: c.Name, through: before, columns: columns}
	defer again.note(w.report)
	credentials := credentialsDropped{}
	defer credentials.report(w.report, class.Name)
	// A record without an ACL is as open as its class's permissions say,
	// which are in no data export: the report says they are public here.
	withoutACL := 0
	defer func() {
		if withoutACL > 0 && w.rules(class.Name).needsACLFields {
			w.problem("%s: %d records have no ACL: LeanCloud lets everyone read them unless the class's permissions (which a data export does not hold) say otherwise; here they are public (public_read), to guests too: if the class was closed, give it other rules (--map {\"rules\": {%q: \"admin\"}}) or set public_read", class.Name, withoutACL, class.Name)
		}
	}()
	var through time.Time
	writer, err := newRecordWriter(w.tx, c, directWrites(w.tx, w.opts.OwnHooks))
	if err != nil {
		return err
	}
	defer writer.close()
	for _, r := range class.Records {
		w.opts.Progress.tick()
		credentials.add(r.Credentials)
		through = w.carried(through, fmt.Sprintf("%s %s (%s)", class.Name, r.ID, r.Source), r.Created, r.Updated)
		record := core.NewRecord(c)
		ids.setID(record, r.ID)
		if r.ACL != nil {
			acl, _ := json.Marshal(r.RawACL) // verbatim
			record.Set(aclField, types.JSONRaw(acl))
			record.Set(publicReadField, r.ACL.PublicRead)
			owner, imported := w.ids["_User"].of(r.ACL.Owner)
			switch {
			case r.ACL.Owner != "" && imported && w.imported["_User"][r.ACL.Owner]:
				record.Set(ownerField, owner)
			case r.ACL.Owner != "":
				w.problem("%s %s (%s): its owner %s is not an imported user", class.Name, r.ID, r.Source, r.ACL.Owner)
			}
			for _, g := range r.ACL.NotExpressed {
				w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s %s: the ACL grant %s", class.Name, r.ID, g))
			}
			// Only the owner reads a record that is not public here.
			for _, reader := range r.ACL.Readers {
				if !r.ACL.PublicRead {
					w.report.NotCarried = append(w.report.NotCarried, fmt.Sprintf("%s %s: the ACL grant user %s read", class.Name, r.ID, reader))
				}
			}
		} else {
			record.Set(publicReadField, true) // no ACL: LeanCloud lets everyone in
			withoutACL++
		}
		carry(record, names, r.Fields, w.files.values(record, func(field core.Field, column string, v any) (any, bool) {
			return w.fieldValue(field, column, v, class.Name, r)
		}))
		setTimes(record, r.Created, r.Updated)
		if ids.exists(r.ID) {
			stored, err := w.tx.FindRecordById(c, record.Id)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", r.ID, r.Source, err)
			}
			if err := again.apply(w.tx, stored, record, r.Updated); err != nil {
				return fmt.Errorf("%s (%s): %w", r.ID, r.Source, err)
			}
			continue
		}
		if again.deletedHere(r.ID, r.Created) {
			continue
		}
		if err := writer.create(record); err != nil {
			return fmt.Errorf("%s (%s): %w", r.ID, r.Source, err)
		}
		again.created++
	}
	return writeThrough(w.tx, c, before, through)
}

// fieldValue is v as field stores it.
func (w *leanCloudWrite) fieldValue(field core.Field, column string, v any, class string, r exports.LeanCloudRecord) (any, bool) {
	rel, isRelation := field.(*core.RelationField)
	if !isRelation {
		if _, ok := v.(exports.Relation); ok {
			w.noMembers[class+"."+column]++ // its class is not in the export
		}
		if holdsPointer(v) {
			w.nestedPointers[class+"."+column]++
		}
		return w.plainValue(field, v, fmt.Sprintf("%s %s (%s)", class, r.ID, r.Source))
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
		members, ok := w.x.Members(class, column, r.ID)
		if !ok {
			w.noMembers[class+"."+column]++
			return nil, false
		}
		for _, id := range members {
			pointers = append(pointers, exports.Pointer{Class: t.Class, ID: id})
		}
	}
	var ids []string
	for _, p := range pointers {
		if !w.imported[p.Class][p.ID] {
			w.problem("%s %s (%s): %s points to %s %s, which is not in the export", class, r.ID, r.Source, field.GetName(), p.Class, p.ID)
			continue
		}
		id, _ := w.ids[p.Class].of(p.ID)
		ids = append(ids, id)
	}
	if rel.IsMultiple() {
		return ids, true
	}
	if len(ids) == 0 {
		return nil, false
	}
	return ids[0], true
}

// plainValue is carry's value for fields that hold no relation.
func plainValue(_ core.Field, _ string, v any) (any, bool) { return storedValue(v), true }

// fileURLs is v with the URL of each file it names by id only (a
// Pointer to _File, or {"__type": "File", "id"}), from the export's _File.
func (w *leanCloudWrite) fileURLs(v any) any {
	switch t := v.(type) {
	case exports.File:
		if t.URL == "" {
			t.URL = w.x.Files[t.ID].URL
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = w.fileURLs(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = w.fileURLs(x)
		}
		return out
	}
	return v
}

// plainValue is v as a field that holds no relation stores it, files by
// their URLs; what is the record at, for reports.
func (w *leanCloudWrite) plainValue(field core.Field, v any, what string) (any, bool) {
	v = w.fileURLs(v)
	if f, isFile := v.(exports.File); isFile && f.URL == "" {
		if _, isURL := field.(*core.URLField); isURL {
			w.problem("%s: %s is the file %s, which is not in the export's _File: its URL is unknown", what, field.GetName(), f.ID)
			return nil, false
		}
	}
	return storedValue(v), true
}

// storedValue is a decoded export value as PocketBase stores it.
func storedValue(v any) any {
	switch t := v.(type) {
	case float64:
		// NaN and the infinities ($numberDouble) are no JSON numbers:
		// PocketBase could not answer a record holding one.
		switch {
		case math.IsNaN(t):
			return "NaN"
		case math.IsInf(t, 1):
			return "Infinity"
		case math.IsInf(t, -1):
			return "-Infinity"
		}
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
		return base64.StdEncoding.EncodeToString(t)
	case exports.Relation:
		return jsonValue(t)
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
	case exports.Relation:
		return map[string]any{"__type": "Relation", "className": t.Class}
	case exports.Bytes:
		return map[string]any{"__type": "Bytes", "base64": base64.StdEncoding.EncodeToString(t)}
	}
	return storedValue(v)
}

// setTimes sets a new record's times: the source's, or now.
func setTimes(record *core.Record, created, updated time.Time) {
	if !created.IsZero() {
		d, _ := types.ParseDateTime(created)
		record.SetRaw("created", d)
	}
	stamp(record, updated)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// clockSkew is how far ahead of this machine's clock the source's may
// run: the times of a record may be that much in the future.
const clockSkew = 10 * time.Minute

// carried is the latest source time an import carried so far (through),
// and the times of one more record, what. A time further in the future is
// reported and left out: the ledger keeps the latest time carried, and a
// later import takes each record of the export created before it, not
// here, for one deleted here, and an edit here before it for none.
func (w *leanCloudWrite) carried(through time.Time, what string, times ...time.Time) time.Time {
	limit := time.Now().Add(clockSkew)
	for _, t := range times {
		if t.After(limit) {
			w.problem("%s: its time %s is later than this machine's clock: it is imported as it is, and later imports cannot tell whether it changed here (they keep it as it is here)", what, t.UTC().Format(time.RFC3339))
			continue
		}
		through = latest(through, t)
	}
	return through
}

// latest is the latest of the times given.
func latest(times ...time.Time) time.Time {
	var out time.Time
	for _, t := range times {
		if t.After(out) {
			out = t
		}
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
