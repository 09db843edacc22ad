package cloudquery

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"wxbase/clouddb"
)

// geoNear runs a first $geoNear stage: the documents the caller may list
// that match its query, nearest first, each with its distance in meters
// (on MongoDB's sphere, as where() with geoNear measures it) in
// distanceField.
func (a *aggregation) geoNear(collection *core.Collection, spec map[string]any) ([]map[string]any, error) {
	for key := range spec {
		switch key {
		case "near", "distanceField", "spherical", "maxDistance", "minDistance", "query", "key",
			"distanceMultiplier", "includeLocs", "limit", "num":
		default:
			return nil, invalid("$geoNear: unknown argument %q.", key)
		}
	}
	distanceField, _ := spec["distanceField"].(string)
	if !fieldPath(distanceField) {
		return nil, invalid("$geoNear needs distanceField, the field path to put each distance in.")
	}
	includeLocs, _ := spec["includeLocs"].(string)
	if v, given := spec["includeLocs"]; given && !fieldPath(includeLocs) {
		return nil, invalid("$geoNear: includeLocs must be a field path, not %v.", v)
	}
	if s, ok := spec["spherical"]; ok {
		if _, isBool := s.(bool); !isBool {
			return nil, invalid("$geoNear: spherical must be true or false.")
		}
	}
	near, ok := spec["near"]
	if !ok {
		return nil, invalid("$geoNear needs near, a db.Geo.Point.")
	}
	if _, isArr := near.([]any); isArr {
		return nil, unsupported("$geoNear: near as a [longitude, latitude] pair measures in radians in MongoDB; pass db.Geo.Point(longitude, latitude) (GeoJSON), which measures in metres.")
	}
	condition := map[string]any{"$geometry": near}
	for _, k := range []string{"maxDistance", "minDistance"} {
		if v, ok := spec[k]; ok {
			condition["$"+k] = v
		}
	}
	multiplier := 1.0
	if v, ok := spec["distanceMultiplier"]; ok {
		m, isNum := v.(float64)
		if !isNum || m < 0 {
			return nil, invalid("$geoNear: distanceMultiplier must be a number of 0 or more.")
		}
		multiplier = m
	}
	limit := 0
	for _, k := range []string{"limit", "num"} {
		if v, ok := spec[k]; ok {
			n, isWhole := wholeNumber(v, 1)
			if !isWhole {
				return nil, invalid("$geoNear: %s must be a whole number of 1 or more.", k)
			}
			limit = n
		}
	}
	key, _ := spec["key"].(string)
	if key == "" {
		var err error
		if key, err = a.geoField(collection); err != nil {
			return nil, err
		}
	}
	if err := a.checkColumns(collection, []string{key}); err != nil {
		return nil, err
	}
	nearSphere := map[string]any{key: map[string]any{"$nearSphere": condition}}
	filter, err := clouddb.Compile(nearSphere)
	if err != nil {
		return nil, queryError("$geoNear", err)
	}
	where := nearSphere
	if q, ok := spec["query"]; ok {
		m, isObject := q.(map[string]any)
		if !isObject {
			return nil, invalid("$geoNear: query must be a query object.")
		}
		if _, has := m["$expr"]; has {
			return nil, unsupported("$geoNear: $expr in its query is not supported; follow it with a match stage.")
		}
		where = map[string]any{"$and": []any{m, nearSphere}}
	}
	docs, err := a.load(collection, Query{Where: where, Limit: limit})
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		d, ok := filter.Near().Distance(doc)
		if !ok {
			return nil, fmt.Errorf("$geoNear: no distance for document %v", doc["_id"])
		}
		out := clouddb.SetPath(doc, distanceField, d*multiplier)
		if includeLocs != "" {
			if locs := clouddb.Lookup(doc, key); len(locs) > 0 && locs[0] != clouddb.Missing {
				out = clouddb.SetPath(out, includeLocs, locs[0])
			}
		}
		docs[i] = out
	}
	return docs, nil
}

// geoField is the field $geoNear measures when it names none (key): as
// MongoDB takes the collection's one geo index, the one field of the
// collection that holds points (a JSON field with a GeoJSON Point in a
// record the caller may list).
func (a *aggregation) geoField(collection *core.Collection) (string, error) {
	var holding []string
	for _, field := range collection.Fields {
		if kindOf(field) != kindJSON || (field.GetHidden() && !a.info.HasSuperuserAuth()) {
			continue
		}
		query, err := listable(a.app, collection, a.info)
		if err != nil {
			return "", err
		}
		col := "[[" + collection.Name + "." + field.GetName() + "]]"
		var n int
		err = query.Select("COUNT(*)").
			AndWhere(dbx.NewExp("json_valid(" + col + ") AND json_extract(" + col + ", '$.type') = 'Point'")).
			Limit(1).WithContext(a.ctx).Row(&n)
		if err != nil {
			return "", err
		}
		if n > 0 {
			holding = append(holding, field.GetName())
		}
	}
	switch len(holding) {
	case 1:
		return holding[0], nil
	case 0:
		return "", invalid("$geoNear: no field of %s holds a db.Geo.Point; name the field with key.", collection.Name)
	}
	return "", invalid("$geoNear: the fields %s hold points; name the one to measure with key.", strings.Join(holding, ", "))
}
