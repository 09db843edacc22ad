package exports

import (
	"fmt"
	"slices"
	"strings"
)

// LeanCloudACL is a record's ACL as an import reads it: its owner, whether
// everyone may read it, and what a PocketBase rule over those cannot say.
type LeanCloudACL struct {
	// Owner is the one user who may write the record; "" when no user or
	// several may.
	Owner string
	// PublicRead is "*": {"read": true}: everyone may read it, signed in
	// or not.
	PublicRead bool
	// Readers are the users granted read, the owner left out.
	Readers []string
	// NotExpressed lists the grants the imported rules do not carry, each
	// as the ACL says it ("role:Admin write", "* write", "user x write").
	NotExpressed []string
}

// ReadLeanCloudACL reads an ACL field: keys "*", a _User objectId or
// "role:<name>", values {"read": bool, "write": bool}. A missing ACL is
// nil; {} lets no one but the master key in.
func ReadLeanCloudACL(v any) (*LeanCloudACL, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("an ACL is an object of grants")
	}
	acl := &LeanCloudACL{}
	var writers []string
	for _, who := range sortedKeys(m) {
		grant, ok := m[who].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the grant of %q is not an object", who)
		}
		read, write := grant["read"] == true, grant["write"] == true
		for key := range grant {
			if key != "read" && key != "write" {
				return nil, fmt.Errorf("the grant of %q has %q: only read and write", who, key)
			}
		}
		switch {
		case who == "*":
			acl.PublicRead = read
			if write {
				acl.NotExpressed = append(acl.NotExpressed, "* write")
			}
		case strings.HasPrefix(who, "role:"):
			for _, what := range []struct {
				on   bool
				name string
			}{{read, "read"}, {write, "write"}} {
				if what.on {
					acl.NotExpressed = append(acl.NotExpressed, who+" "+what.name)
				}
			}
		default:
			if write {
				writers = append(writers, who)
			}
			if read {
				acl.Readers = append(acl.Readers, who)
			}
		}
	}
	if len(writers) == 1 {
		acl.Owner = writers[0]
		acl.Readers = slices.DeleteFunc(acl.Readers, func(u string) bool { return u == acl.Owner })
	} else {
		for _, w := range writers {
			acl.NotExpressed = append(acl.NotExpressed, "user "+w+" write")
		}
	}
	return acl, nil
}
