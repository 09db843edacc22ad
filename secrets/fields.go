// Package secrets holds what wxbase keeps from view: the one list of sealed
// and private fields, the vault that encrypts sealed values, the guards that
// keep filters, sorts, rules and views from probing either, and the commands
// that rotate or recover the encryption key.
package secrets

import (
	"hash/crc32"
	"strconv"
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// Field names one guarded field by the collection and field names it was
// created with. Guards and the vault match on the ids PocketBase derived
// from those names, so renaming the collection or the field in the dashboard
// cannot turn a guard off (renames are refused anyway: see RefuseRenames).
type Field struct {
	Collection string // the collection's name at creation
	Name       string // the field's name at creation
	Type       string // the field's type, part of its id
	// CollectionID is the id the collection was created with; "" means the
	// one PocketBase derives from a base collection's name.
	CollectionID string
}

// Sealed lists the values stored encrypted and never shown to anyone,
// superusers included: filters, sorts, rules and views may not touch them.
// Adding a sealed field is adding a line here.
var Sealed = []Field{
	{Collection: "wechat_apps", Name: "secret", Type: core.FieldTypeText},
	{Collection: "wechat_accounts", Name: "session_key", Type: core.FieldTypeText},
	{Collection: "wechat_tokens", Name: "token", Type: core.FieldTypeText},
	// A user's LeanCloud password hash, "salt$hash", kept by an import
	// until their first password login replaces it (package importer).
	{Collection: "users", Name: LeanCloudPasswordField, Type: core.FieldTypeText, CollectionID: "_pb_users_auth_"},
}

// LeanCloudPasswordField is the users field an import of LeanCloud adds
// for the users who had a password there.
const LeanCloudPasswordField = "leancloud_password"

// Private lists the values only their owner and superusers may see: no one
// else may filter, sort, watch or write a rule on them, at any depth.
var Private = []Field{
	{Collection: "users", Name: "phone", Type: core.FieldTypeText, CollectionID: "_pb_users_auth_"},
}

// CollectionId is the collection's id: the one PocketBase derives from a
// base collection's name at creation ("pbc_" + crc32 of type and name).
func (f Field) CollectionId() string {
	if f.CollectionID != "" {
		return f.CollectionID
	}
	return "pbc_" + strconv.FormatInt(int64(crc32.ChecksumIEEE([]byte(core.CollectionTypeBase+f.Collection))), 10)
}

// FieldId is the id PocketBase gives a field added by name: its type and
// the crc32 of the name.
func (f Field) FieldId() string {
	return f.Type + strconv.FormatInt(int64(crc32.ChecksumIEEE([]byte(f.Name))), 10)
}

// idIn returns the field's id in the collection: the one PocketBase derives
// from the name, or, for a field of that name made before wxbase (a users
// collection that already had a phone field keeps that field and its id),
// the id it has there.
func (f Field) idIn(collection *core.Collection) string {
	if collection.Fields.GetById(f.FieldId()) != nil {
		return f.FieldId()
	}
	if field := collection.Fields.GetByName(f.Name); field != nil {
		return field.GetId()
	}
	return f.FieldId()
}

var (
	sealedByCollectionOnce sync.Once
	sealedByCollection     map[string]Field
)

// SealedFieldOf returns the sealed field of a collection, by id.
func SealedFieldOf(collection *core.Collection) (Field, bool) {
	sealedByCollectionOnce.Do(func() {
		sealedByCollection = map[string]Field{}
		for _, f := range Sealed {
			sealedByCollection[f.CollectionId()] = f
		}
	})
	f, ok := sealedByCollection[collection.Id]
	return f, ok
}

// HideSealed hides the sealed field from every response, superusers'
// included. PocketBase unhides hidden fields for superusers while
// enriching, so it hides the field again after the rest has run; it covers
// view, list, expand, auth responses and realtime alike.
func HideSealed(e *core.RecordEnrichEvent) error {
	if err := e.Next(); err != nil {
		return err
	}
	if f, ok := SealedFieldOf(e.Record.Collection()); ok {
		e.Record.Hide(currentName(e.Record.Collection(), f))
	}
	return nil
}

// guardedKeys returns the fields a caller may not probe, as collection id
// "/" field id: sealed ones for everyone, private ones too for anyone but
// a superuser.
func guardedKeys(app core.App, superuser bool) map[string]bool {
	fields := Sealed
	if !superuser {
		fields = guardedFields()
	}
	keys := make(map[string]bool, len(fields))
	for _, f := range fields {
		id := f.FieldId()
		if collection, err := app.FindCachedCollectionByNameOrId(f.CollectionId()); err == nil {
			id = f.idIn(collection)
		}
		keys[f.CollectionId()+"/"+id] = true
	}
	return keys
}
