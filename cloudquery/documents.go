package cloudquery

import (
	"encoding/json"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"wxbase/clouddb"
)

// Documents turns enriched records into CloudBase documents: id becomes
// _id, the owner relation stays and _openid is the owner's openid in the
// caller's app, dates are time.Time, JSON is decoded. Fields the enrich
// hooks hid (hidden, sealed, others' private fields) stay hidden.
//
// _openid is left out when the record has no owner, when the request named
// no app, and when the owner has no account in that app (a user of another
// mini-program sharing the server): never a value that is not an openid.
// As on CloudBase, any document a caller may read shows its owner's openid.
func Documents(app core.App, caller Caller, records []*core.Record, openids *OpenIDs) ([]map[string]any, error) {
	var owners map[string]string
	if len(records) > 0 && hasOwner(records[0].Collection()) {
		ids := make([]string, len(records))
		for i, r := range records {
			ids[i] = r.GetString(ownerColumn)
		}
		found, err := ownersOpenIDs(app, caller, ids, openids)
		if err != nil {
			return nil, err
		}
		owners = found
	}
	docs := make([]map[string]any, len(records))
	for i, r := range records {
		doc, err := document(r)
		if err != nil {
			return nil, err
		}
		if openid := owners[r.GetString(ownerColumn)]; openid != "" {
			doc["_openid"] = openid
		}
		docs[i] = doc
	}
	return docs, nil
}

// ownersOpenIDs maps the owners given (user ids, "" for none) to their
// openid in the caller's app; none without an app.
func ownersOpenIDs(app core.App, caller Caller, owners []string, openids *OpenIDs) (map[string]string, error) {
	if caller.AppRef == "" {
		return nil, nil
	}
	var users []string
	seen := map[string]bool{}
	for _, u := range owners {
		if u != "" && !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, nil
	}
	return openids.lookup(app, caller.AppRef, users)
}

// document converts one record, from what PocketBase itself would send.
func document(r *core.Record) (map[string]any, error) {
	exported := r.PublicExport()
	collection := r.Collection()
	doc := make(map[string]any, len(exported))
	for key, value := range exported {
		switch key {
		case core.FieldNameId:
			doc["_id"] = value
			continue
		case core.FieldNameCollectionId, core.FieldNameCollectionName, core.FieldNameExpand:
			// Kept: app.fileURL() and expand read them.
			doc[key] = value
			continue
		}
		field := collection.Fields.GetByName(key)
		if field == nil {
			doc[key] = value
			continue
		}
		v, err := exportedValue(kindOf(field), value)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
		if v != clouddb.Missing {
			doc[key] = v
		}
	}
	return doc, nil
}

// exportedValue reads a value of PublicExport as CloudBase code reads it.
func exportedValue(k kind, value any) (any, error) {
	switch k {
	case kindDate:
		switch v := value.(type) {
		case types.DateTime:
			if v.IsZero() {
				return clouddb.Missing, nil
			}
			return v.Time().UTC(), nil
		case string:
			return columnValue(kindDate, v)
		}
	case kindJSON:
		if raw, ok := value.(types.JSONRaw); ok {
			if len(raw) == 0 {
				return clouddb.Missing, nil
			}
			return columnValue(kindJSON, string(raw))
		}
	case kindArray:
		if list, ok := value.([]string); ok {
			out := make([]any, len(list))
			for i, s := range list {
				out[i] = s
			}
			return out, nil
		}
	case kindNumber:
		switch v := value.(type) {
		case int:
			return float64(v), nil
		case int64:
			return float64(v), nil
		}
	}
	if k == kindJSON || k == kindArray {
		// Round-trip anything else through JSON, as PocketBase would send it.
		b, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		return columnValue(kindJSON, string(b))
	}
	return value, nil
}
