package exports

import (
	"encoding/json"
	"fmt"
)

// CloudBaseRecord is a record of a CloudBase export, read for an import.
type CloudBaseRecord struct {
	// ID is _id as a string: an auto id, an ObjectId's hex ({"$oid"}), a
	// custom string such as an openid, or a number's digits.
	ID string
	// OpenID is _openid, the WeChat user who created the record from a
	// mini-program; "" when the record has none.
	OpenID string
	// OpenIDIsForeign says _openid does not have an openid's form: an
	// export that went through CloudBase's own LeanCloud script holds
	// LeanCloud ids there, which must not become WeChat accounts.
	OpenIDIsForeign bool
	// Fields are the other fields, decoded (DecodeCloudBase).
	Fields map[string]any
	// Credentials are the paths of the keys dropped as credentials
	// (IsCredentialKey), at any depth: "session_key".
	Credentials []string
}

// ReadCloudBaseRecord reads one record of a CloudBase export.
func ReadCloudBaseRecord(fields map[string]any) (CloudBaseRecord, error) {
	rec := CloudBaseRecord{Fields: map[string]any{}}
	switch id := fields["_id"].(type) {
	case string:
		rec.ID = id
	case json.Number:
		rec.ID = id.String()
	case map[string]any:
		v, err := DecodeCloudBase(id)
		s, ok := v.(string)
		if err != nil || !ok {
			return rec, fmt.Errorf("_id: an id is a string, a number or an ObjectId ({\"$oid\"})")
		}
		rec.ID = s
	case nil:
		return rec, fmt.Errorf("a record without an _id")
	default:
		return rec, fmt.Errorf("_id: an id is a string, a number or an ObjectId ({\"$oid\"})")
	}
	if rec.ID == "" {
		return rec, fmt.Errorf("a record with an empty _id")
	}
	switch o := fields["_openid"].(type) {
	case nil:
	case string:
		rec.OpenID = o
		rec.OpenIDIsForeign = o != "" && !LooksLikeOpenID(o)
	default:
		return rec, fmt.Errorf("_openid: an openid is a string")
	}
	rec.Credentials = dropCredentials(fields, nil, "_id", "_openid")
	for key, v := range fields {
		if key == "_id" || key == "_openid" {
			continue
		}
		d, err := DecodeCloudBase(v)
		if err != nil {
			return rec, fmt.Errorf("%s: %w", key, err)
		}
		rec.Fields[key] = d
	}
	return rec, nil
}
