package importer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/exports"
)

// CloudBaseOptions are what the operator says that a CloudBase export
// cannot.
type CloudBaseOptions struct {
	// AppID is the wechat_apps appid the export's openids belong to.
	AppID string
	// Collections renames collections: {"users": "profiles"}. A CloudBase
	// collection named users must be renamed, since users is wxbase's
	// accounts collection.
	Collections map[string]string
	// NoPasswordHash, EnvApp, DryRun and OwnHooks are as in Options.
	NoPasswordHash string
	EnvApp         func(core.App) error
	DryRun         bool
	OwnHooks       int
}

// creatorRules are the rules of CloudBase's default permission, "仅创建者可
// 读写" (its permissions are not in the export): the creator reads and
// writes, any signed-in user creates.
var creatorRules = map[string]string{
	"list":   `owner = @request.auth.id`,
	"view":   `owner = @request.auth.id`,
	"create": `@request.auth.id != ""`,
	"update": `owner = @request.auth.id`,
	"delete": `owner = @request.auth.id`,
}

// cloudBaseIDPattern takes CloudBase's ids: auto ids (32 hex digits, or 16
// letters and digits), ObjectIds, and custom ones such as openids.
const cloudBaseIDPattern = "^[A-Za-z0-9_-]+$"

// CloudBase imports x: one user per openid of _openid, with its WeChat
// account (or the user already holding that account here), and each
// collection with its records, owned by their creator. All in one
// transaction; a dry run rolls it back.
func CloudBase(app core.App, x *exports.CloudBaseExport, opts CloudBaseOptions) (*Report, error) {
	report := &Report{Rules: creatorRules, Notes: []string{}, Problems: []string{}, NotCarried: []string{}}
	err := app.RunInTransaction(func(tx core.App) error {
		if opts.EnvApp != nil {
			if err := opts.EnvApp(tx); err != nil {
				return fmt.Errorf("the mini-program of WECHAT_APPID: %w", err)
			}
		}
		owners, err := cloudBaseUsers(tx, x, opts, report)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		for _, name := range x.CollectionNames() {
			if err := cloudBaseCollection(tx, x.Collections[name], opts, owners, report); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
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

// cloudBaseUsers makes a user with a WeChat account for each openid, or
// finds the one an account already has, and returns them by openid.
func cloudBaseUsers(tx core.App, x *exports.CloudBaseExport, opts CloudBaseOptions, report *Report) (map[string]string, error) {
	for id, n := range x.ForeignOpenIDs {
		report.Problems = append(report.Problems, fmt.Sprintf("_openid %q of %d records is not a WeChat openid (CloudBase's own LeanCloud migration writes LeanCloud ids there): no user is made for it, and those records have no owner", id, n))
	}
	slices.Sort(report.Problems)
	owners := map[string]string{}
	if len(x.OpenIDs) == 0 {
		return owners, nil
	}
	wxApp, err := tx.FindFirstRecordByData("wechat_apps", "appid", opts.AppID)
	if err != nil {
		return nil, fmt.Errorf("no mini-program %s in wechat_apps: add it in the dashboard, or start wxbase once with WECHAT_APPID and WECHAT_SECRET", opts.AppID)
	}
	users, err := tx.FindCollectionByNameOrId("users")
	if err != nil {
		return nil, err
	}
	accounts, err := tx.FindCollectionByNameOrId("wechat_accounts")
	if err != nil {
		return nil, err
	}
	existing := 0
	for _, openid := range x.OpenIDs {
		account, err := tx.FindFirstRecordByFilter(accounts, "app = {:app} && openid = {:openid}", dbx.Params{"app": wxApp.Id, "openid": openid})
		if err == nil {
			// The same WeChat user, already here: their records join
			// their account.
			owners[openid] = account.GetString("user")
			existing++
			continue
		}
		user := core.NewRecord(users)
		user.SetRaw(core.FieldNamePassword, &core.PasswordFieldValue{Hash: opts.NoPasswordHash})
		if err := tx.SaveNoValidate(user); err != nil {
			return nil, fmt.Errorf("the user of %s: %w", openid, err)
		}
		account = core.NewRecord(accounts)
		account.Set("app", wxApp.Id)
		account.Set("openid", openid)
		account.Set("user", user.Id)
		if err := tx.SaveNoValidate(account); err != nil {
			return nil, fmt.Errorf("the account of %s: %w", openid, err)
		}
		owners[openid] = user.Id
		report.Users++
		report.Accounts++
	}
	if existing > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%d openids of the export already had an account here: their records are owned by those users", existing))
	}
	return owners, nil
}

// cloudBaseCollection writes one collection.
func cloudBaseCollection(tx core.App, c *exports.CloudBaseCollection, opts CloudBaseOptions, owners map[string]string, report *Report) error {
	name := c.Name
	if renamed, ok := opts.Collections[name]; ok {
		name = renamed
	}
	if problem := exports.FieldNameProblem(name); problem != "" || name[0] == '_' {
		return fmt.Errorf("%q cannot be a collection's name here: rename it with --map {\"collections\": {%q: \"...\"}}", name, c.Name)
	}
	if name == "users" {
		return fmt.Errorf(`users is wxbase's collection of accounts: rename the export's with --map {"collections": {"users": "profiles"}}`)
	}
	collection, err := tx.FindCollectionByNameOrId(name)
	created := false
	switch {
	case err == nil && collection.Fields.GetByName(ownerField) == nil:
		return fmt.Errorf("a collection %s is already here, without an owner field: rename the export's with --map", name)
	case err != nil:
		users, err := tx.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		collection = core.NewBaseCollection(name)
		collection.Fields.Add(
			&core.RelationField{Name: ownerField, CollectionId: users.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		collection.ListRule = types.Pointer(creatorRules["list"])
		collection.ViewRule = types.Pointer(creatorRules["view"])
		collection.CreateRule = types.Pointer(creatorRules["create"])
		collection.UpdateRule = types.Pointer(creatorRules["update"])
		collection.DeleteRule = types.Pointer(creatorRules["delete"])
		ids := make([]string, len(c.Records))
		for i, r := range c.Records {
			ids[i] = r.ID
		}
		if clash := caseClashes(ids); len(clash) > 0 {
			return fmt.Errorf("the ids %v differ only in letter case, which one collection here cannot hold apart", clash)
		}
		setIDField(collection, ids)
		if f, ok := collection.Fields.GetByName(core.FieldNameId).(*core.TextField); ok {
			f.Pattern = cloudBaseIDPattern
		}
		if err := tx.Save(collection); err != nil {
			return fmt.Errorf("making the collection: %w", err)
		}
		created = true
	}
	inferred, names := carriedNames(collection, c.Schema.Fields(), "cb_", ownedByImport, report)
	fields, err := addFields(tx, collection, inferred, nil)
	if err != nil {
		return err
	}
	report.Collections = append(report.Collections, CollectionPlan{Name: name, Class: c.Name, Records: len(c.Records), Created: created, Fields: fields})
	kept := 0
	stored, err := storedIDs(tx, collection)
	if err != nil {
		return err
	}
	writer, err := newRecordWriter(tx, collection, directWrites(tx, opts.OwnHooks))
	if err != nil {
		return err
	}
	defer writer.close()
	for i, r := range c.Records {
		if stored[r.ID] {
			kept++
			continue
		}
		record := core.NewRecord(collection)
		record.Id = r.ID
		if owner := owners[r.OpenID]; owner != "" {
			record.Set(ownerField, owner)
		}
		for key, v := range r.Fields {
			field := collection.Fields.GetByName(names[key])
			if field == nil {
				continue
			}
			record.Set(field.GetName(), storedValue(v))
		}
		if err := writer.create(record); err != nil {
			return fmt.Errorf("%s (%s): %w", r.ID, c.Sources[i], err)
		}
	}
	if kept > 0 {
		report.Notes = append(report.Notes, fmt.Sprintf("%s: %d records already here (from an earlier import) were left as they are; a later export's changes to them are not applied", name, kept))
	}
	return nil
}
