package cloudquery

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
	"wxbase/secrets"
)

// Documents straight from rows. A record read for a pipeline becomes a
// document through PocketBase's record model, its enrichment and its
// export, which cost several times what reading the row does. Where
// nothing but the fields' hidden flag decides what a list shows of a
// record, the document is the row's visible columns, read as columnValue
// reads them: that is a base collection (no e-mail visibility, no
// private fields) without a sealed field, whose fields all have a kind
// here, while no record enrich or list request hook but wxbase's own is
// bound (Aggregation.GroupInSQL). The tests run both ways on the same
// records and compare.

// readsPlain says whether load may read collection's documents from rows.
func (a *aggregation) readsPlain(collection *core.Collection) bool {
	if !a.groupInSQL || collection.Type != core.CollectionTypeBase {
		return false
	}
	if _, sealed := secrets.SealedFieldOf(collection); sealed {
		return false
	}
	for _, field := range collection.Fields {
		if kindOf(field) == "" {
			return false
		}
	}
	return true
}

// loadPlain is load's reading of q's rows as documents, for a collection
// readsPlain takes.
func (a *aggregation) loadPlain(collection *core.Collection, q Query, limit int) ([]map[string]any, error) {
	query, err := selection(a.app, a.caller, collection, q)
	if err != nil {
		return nil, err
	}
	superuser := a.info.HasSuperuserAuth()
	type visible struct {
		name string
		kind kind
	}
	var fields []visible
	cols := []string{}
	for _, field := range collection.Fields {
		if field.GetHidden() && !superuser {
			continue
		}
		fields = append(fields, visible{field.GetName(), kindOf(field)})
		cols = append(cols, "[["+collection.Name+"."+field.GetName()+"]]")
	}
	// The owner, for _openid, even where it is hidden.
	ownerAt := -1
	if hasOwner(collection) {
		ownerAt = len(cols)
		cols = append(cols, "[["+collection.Name+"."+ownerColumn+"]]")
	}
	rows, err := query.Select(cols...).WithContext(a.ctx).Offset(int64(q.Skip)).Limit(int64(limit)).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []map[string]any
	var owners []string
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		doc := make(map[string]any, len(fields)+2)
		doc[core.FieldNameCollectionId] = collection.Id
		doc[core.FieldNameCollectionName] = collection.Name
		for i, f := range fields {
			raw := values[i]
			if b, ok := raw.([]byte); ok {
				raw = string(b)
			}
			v, err := columnValue(f.kind, raw)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.name, err)
			}
			if f.name == core.FieldNameId {
				doc["_id"] = v
				continue
			}
			if v != clouddb.Missing {
				doc[f.name] = v
			}
		}
		if ownerAt >= 0 {
			owners = append(owners, asString(values[ownerAt]))
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if ownerAt >= 0 {
		found, err := ownersOpenIDs(a.app, a.caller, owners, a.openids)
		if err != nil {
			return nil, err
		}
		for i, doc := range docs {
			if openid := found[owners[i]]; openid != "" {
				doc["_openid"] = openid
			}
		}
	}
	if docs == nil {
		docs = []map[string]any{}
	}
	return docs, nil
}
