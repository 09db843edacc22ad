package importer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/cloudquery"
	"wxbase/exports"
)

// CloudBaseOptions are what the operator says that a CloudBase export
// cannot.
type CloudBaseOptions struct {
	// AppID is the wechat_apps appid the export's openids belong to.
	AppID string
	// Collections renames collections: {"orders": "shop_orders"}. A
	// CloudBase collection named users becomes cloudbase_users unless
	// renamed here (users is wxbase's collection of accounts).
	Collections map[string]string
	// Rules are the rules of the collections the import makes ("creator",
	// CloudBase's default, when unset), and CollectionRules those of the
	// collections named (by their name in the export).
	Rules           Rules
	CollectionRules map[string]Rules
	// Progress, when set, counts the records gone through.
	Progress *Progress
	// NoPasswordHash, EnvApp, DryRun and OwnHooks are as in Options.
	NoPasswordHash string
	EnvApp         func(core.App) error
	DryRun         bool
	// Files is a directory of the files of the export's cloud:// ids,
	// downloaded (files.go says what becomes of them), or "".
	Files    string
	OwnHooks int
}

// cloudBaseIDPattern takes CloudBase's ids: auto ids (32 hex digits, or 16
// letters and digits), ObjectIds, and custom ones such as openids.
const cloudBaseIDPattern = "^[A-Za-z0-9_-]+$"

// CloudBase imports x: one user per openid of _openid, with its WeChat
// account (or the user already holding that account here), and each
// collection with its records, owned by their creator. All in one
// transaction; a dry run rolls it back.
func CloudBase(app core.App, x *exports.CloudBaseExport, opts CloudBaseOptions) (*Report, error) {
	report := &Report{Rules: map[string]map[string]string{}, Notes: []string{}, Problems: []string{}, NotCarried: []string{}}
	files, err := newFileImport(opts.Files, opts.DryRun, report, cloudBaseValues(x))
	if err != nil {
		return nil, err
	}
	err = app.RunInTransaction(func(tx core.App) error {
		if opts.EnvApp != nil {
			if err := opts.EnvApp(tx); err != nil {
				return fmt.Errorf("the mini-program of WECHAT_APPID: %w", err)
			}
		}
		// Two collections of the export that would be one here (names
		// here are compared regardless of case) would be merged, each
		// record of the second taken for a later copy of the first's.
		here := map[string]string{}
		for _, name := range x.CollectionNames() {
			target := strings.ToLower(cloudBaseName(name, opts))
			if other, clash := here[target]; clash {
				return fmt.Errorf("the collections %s and %s would both be %s here (collection names are compared regardless of case): rename one with --map {\"collections\": {%q: \"...\"}}", other, name, cloudBaseName(name, opts), name)
			}
			here[target] = name
		}
		owners, err := cloudBaseUsers(tx, x, opts, report)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		for _, name := range x.CollectionNames() {
			if err := cloudBaseCollection(tx, x, x.Collections[name], opts, owners, report, files); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
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

// cloudBaseCollection writes one collection: new records, and changes to
// the ones an earlier import wrote.
func cloudBaseCollection(tx core.App, x *exports.CloudBaseExport, c *exports.CloudBaseCollection, opts CloudBaseOptions, owners map[string]string, report *Report, files *fileImport) error {
	name := cloudBaseName(c.Name, opts)
	if _, renamed := opts.Collections[c.Name]; !renamed && c.Name == "users" {
		report.Notes = append(report.Notes, fmt.Sprintf("users is stored as %s (users is wxbase's collection of accounts): CloudBase calls naming users, as db.collection('users').doc(openid), reach it", name))
	}
	if problem := exports.FieldNameProblem(name); problem != "" || name[0] == '_' {
		return fmt.Errorf("%q cannot be a collection's name here: rename it with --map {\"collections\": {%q: \"...\"}}", name, c.Name)
	}
	if name == "users" {
		return fmt.Errorf(`users is wxbase's collection of accounts: leave the export's users to become %s, or rename it with --map {"collections": {"users": "..."}}`, cloudquery.UsersCollection)
	}
	keyed := x.KeyedByOpenID[c.Name]
	switch {
	case keyed && len(c.NotOpenIDs) > 0:
		report.Problems = append(report.Problems, fmt.Sprintf("%s is keyed by openid, but the _id of %d records is not an openid (%s): they are owned by their _openid", name, len(c.NotOpenIDs), strings.Join(firstOf(c.NotOpenIDs, 5), ", ")))
	case !keyed && c.AllLookLikeOpenIDs && len(c.Records) > 0:
		report.Notes = append(report.Notes, fmt.Sprintf(`every _id of %s is an openid: if each record is about the user of its _id (a profile), say so with --map {"keyedByOpenID": [%q]}, and each becomes that user's, with a user for each openid`, c.Name, c.Name))
	}
	rules := rulesFor(c.Name, opts.CollectionRules, opts.Rules, "creator")
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
		rules.apply(collection)
		ids := make([]string, len(c.Records))
		for i, r := range c.Records {
			ids[i] = r.ID
		}
		setIDField(collection, ids, cloudBaseIDPattern)
		if err := tx.Save(collection); err != nil {
			return fmt.Errorf("making the collection: %w", err)
		}
		created = true
	}
	inferred, names := carriedNames(collection, c.Schema.Fields(), "cb_", ownedByImport, report)
	fields, err := files.addFields(tx, collection, inferred, nil, names, cloudBaseRecords(c.Records))
	if err != nil {
		return err
	}
	plan := CollectionPlan{Name: name, Class: c.Name, Records: len(c.Records), Created: created, Fields: fields}
	if created {
		plan.Rules = rules.Name
		report.Rules[rules.Name] = rules.describe()
	}
	report.Collections = append(report.Collections, plan)
	ids, err := newRecordIDs(tx, collection)
	if err != nil {
		return err
	}
	sourceIDs := make([]string, len(c.Records))
	for i, r := range c.Records {
		sourceIDs[i] = r.ID
	}
	ids.assign(sourceIDs)
	if err := ids.addSourceField(tx, collection); err != nil {
		return err
	}
	ids.report(report)
	if err := ensureImportedField(tx, collection); err != nil {
		return err
	}
	columns := importedColumns(collection, append([]string{ownerField}, files.companions(collection)...), names)
	again := &refresh{collection: name, columns: columns}
	defer again.note(report)
	credentials := credentialsDropped{}
	defer credentials.report(report, c.Name)
	writer, err := newRecordWriter(tx, collection, directWrites(tx, opts.OwnHooks))
	if err != nil {
		return err
	}
	defer writer.close()
	for i, r := range c.Records {
		opts.Progress.tick()
		credentials.add(r.Credentials)
		record := core.NewRecord(collection)
		ids.setID(record, r.ID)
		owner := owners[r.OpenID]
		if keyed && owners[r.ID] != "" {
			owner = owners[r.ID] // the user the record is about
			if r.OpenID != "" && r.OpenID != r.ID {
				report.Problems = append(report.Problems, fmt.Sprintf("%s %s (%s): made by another user (_openid %s), it is owned by the user of its _id, as the collection is keyed by openid", name, r.ID, c.Sources[i], r.OpenID))
			}
		}
		if owner != "" {
			record.Set(ownerField, owner)
		}
		carry(record, names, r.Fields, files.values(record, plainValue))
		if ids.exists(r.ID) {
			stored, err := tx.FindRecordById(collection, record.Id)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", r.ID, c.Sources[i], err)
			}
			if err := again.apply(tx, stored, record, time.Time{}); err != nil {
				return fmt.Errorf("%s (%s): %w", r.ID, c.Sources[i], err)
			}
			continue
		}
		setTimes(record, time.Time{}, time.Time{})
		if err := writer.create(record); err != nil {
			return fmt.Errorf("%s (%s): %w", r.ID, c.Sources[i], err)
		}
		again.created++
	}
	return nil
}

// cloudBaseName is the name here of the export's collection name: as
// --map renames it, else cloudbase_users for users, else its own.
func cloudBaseName(name string, opts CloudBaseOptions) string {
	if renamed, ok := opts.Collections[name]; ok {
		return renamed
	}
	if name == "users" {
		return cloudquery.UsersCollection
	}
	return name
}

// firstOf is the first n of list.
func firstOf(list []string, n int) []string {
	if len(list) > n {
		return list[:n]
	}
	return list
}
