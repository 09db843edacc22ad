package exports

import (
	"fmt"
	"testing"
)

func TestReadLeanCloudACL(t *testing.T) {
	for _, c := range []struct{ acl, want string }{
		// The shapes LeanCloud's SDKs write.
		{`{"u1": {"read": true, "write": true}}`, "owner u1, public false, readers [], not expressed []"},
		{`{"*": {"read": true}, "u1": {"read": true, "write": true}}`, "owner u1, public true, readers [], not expressed []"},
		{`{"*": {"read": true, "write": true}}`, "owner , public true, readers [], not expressed [* write]"},
		{`{"u1": {"write": true}, "u2": {"read": true}}`, "owner u1, public false, readers [u2], not expressed []"},
		{`{"u1": {"write": true}, "u2": {"write": true}}`, "owner , public false, readers [], not expressed [user u1 write user u2 write]"},
		{`{"role:Admin": {"read": true, "write": true}, "u1": {"read": true, "write": true}}`, "owner u1, public false, readers [], not expressed [role:Admin read role:Admin write]"},
		{`{}`, "owner , public false, readers [], not expressed []"},
		{`{"*": {"read": false}}`, "owner , public false, readers [], not expressed []"},
	} {
		acl, err := ReadLeanCloudACL(decodeJSON(t, c.acl))
		if err != nil {
			t.Errorf("%s: %v", c.acl, err)
			continue
		}
		readers, notExpressed := acl.Readers, acl.NotExpressed
		if readers == nil {
			readers = []string{}
		}
		if notExpressed == nil {
			notExpressed = []string{}
		}
		got := fmt.Sprintf("owner %s, public %v, readers %v, not expressed %v", acl.Owner, acl.PublicRead, readers, notExpressed)
		if got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.acl, got, c.want)
		}
	}
	if acl, err := ReadLeanCloudACL(nil); acl != nil || err != nil {
		t.Errorf("no ACL: %v %v", acl, err)
	}
	for _, bad := range []string{`[]`, `{"u1": true}`, `{"u1": {"delete": true}}`} {
		if _, err := ReadLeanCloudACL(decodeJSON(t, bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
