package exports

import (
	"fmt"
	"io"
	"slices"
)

// CloudBaseExport is a whole CloudBase export, read and checked: every
// collection's records and the openids that created them.
type CloudBaseExport struct {
	Collections map[string]*CloudBaseCollection
	// OpenIDs are the distinct openids of _openid, in the order first met:
	// one user each.
	OpenIDs []string
	// ForeignOpenIDs are the _openid values that are not openids (LeanCloud
	// ids, from CloudBase's own LeanCloud script), with how many records
	// hold each: they become no account.
	ForeignOpenIDs map[string]int
	// KeyedByOpenID are the collections whose records' _id is the openid
	// of the user each is about (a profile per user), as the operator said.
	KeyedByOpenID map[string]bool
}

// CloudBaseCollection is the records of one collection.
type CloudBaseCollection struct {
	Name    string
	Records []CloudBaseRecord
	Sources []string // file:line of each record
	Schema  Schema
	// NotOpenIDs are the _ids of a collection keyed by openid that are not
	// openids.
	NotOpenIDs []string
	// AllLookLikeOpenIDs says every _id has an openid's form.
	AllLookLikeOpenIDs bool
}

// ReadCloudBase reads the export at root (Walk's forms): one file per
// collection, named after it. keyedByOpenID names the collections whose
// _id is an openid: each such openid gets a user, as those of _openid do.
// The first malformed record stops it with an *Error naming its file and
// line; so does an _id given twice in one collection.
func ReadCloudBase(root string, keyedByOpenID []string) (*CloudBaseExport, error) {
	x := &CloudBaseExport{Collections: map[string]*CloudBaseCollection{}, ForeignOpenIDs: map[string]int{}, KeyedByOpenID: map[string]bool{}}
	for _, name := range keyedByOpenID {
		x.KeyedByOpenID[name] = true
	}
	seenOpenID := map[string]bool{}
	at := map[string]map[string]string{}
	err := Walk(root, func(src Source, r io.Reader) error {
		return ReadRecords(src.Path, r, func(rec Record) error {
			where := fmt.Sprintf("%s:%d", src.Path, rec.Line)
			r, err := ReadCloudBaseRecord(rec.Fields)
			if err != nil {
				return &Error{File: src.Path, Line: rec.Line, What: err.Error()}
			}
			c := x.Collections[src.Class]
			if c == nil {
				c = &CloudBaseCollection{Name: src.Class, AllLookLikeOpenIDs: true}
				x.Collections[src.Class] = c
				at[src.Class] = map[string]string{}
			}
			if first, dup := at[src.Class][r.ID]; dup {
				return &Error{File: src.Path, Line: rec.Line, What: fmt.Sprintf("the %s record %s is in the export twice (first at %s)", src.Class, r.ID, first)}
			}
			at[src.Class][r.ID] = where
			looksLikeOpenID := LooksLikeOpenID(r.ID)
			c.AllLookLikeOpenIDs = c.AllLookLikeOpenIDs && looksLikeOpenID
			switch {
			case !x.KeyedByOpenID[src.Class]:
			case looksLikeOpenID && !seenOpenID[r.ID]:
				seenOpenID[r.ID] = true
				x.OpenIDs = append(x.OpenIDs, r.ID)
			case !looksLikeOpenID:
				c.NotOpenIDs = append(c.NotOpenIDs, r.ID)
			}
			switch {
			case r.OpenID == "":
			case r.OpenIDIsForeign:
				x.ForeignOpenIDs[r.OpenID]++
			case !seenOpenID[r.OpenID]:
				seenOpenID[r.OpenID] = true
				x.OpenIDs = append(x.OpenIDs, r.OpenID)
			}
			c.Records = append(c.Records, r)
			c.Sources = append(c.Sources, where)
			c.Schema.Add(r.Fields)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// CollectionNames are the export's collections, sorted.
func (x *CloudBaseExport) CollectionNames() []string {
	names := make([]string, 0, len(x.Collections))
	for n := range x.Collections {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
