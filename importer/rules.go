package importer

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Rules is a preset of API rules for the collections an import makes
// (--rules): CloudBase's simple permissions, which its export does not
// hold, and LeanCloud's ACLs as far as rules can say them. A nil rule
// is superusers only.
type Rules struct {
	Name                               string
	List, View, Create, Update, Delete *string
	Meaning                            string
	needsACLFields                     bool
}

func rule(s string) *string { return types.Pointer(s) }

// rulePresets, by name. "All users" of CloudBase are a mini-program's
// users, who always have an openid: here, users signed in.
var rulePresets = []Rules{
	{Name: "creator", Meaning: "the creator reads and writes (CloudBase's 仅创建者可读写, its default)",
		List: rule(`owner = @request.auth.id`), View: rule(`owner = @request.auth.id`),
		Create: rule(`@request.auth.id != ""`), Update: rule(`owner = @request.auth.id`), Delete: rule(`owner = @request.auth.id`)},
	{Name: "read-all", Meaning: "signed-in users read, the creator writes (CloudBase's 所有用户可读，仅创建者可读写)",
		List: rule(`@request.auth.id != ""`), View: rule(`@request.auth.id != ""`),
		Create: rule(`@request.auth.id != ""`), Update: rule(`owner = @request.auth.id`), Delete: rule(`owner = @request.auth.id`)},
	{Name: "read-only", Meaning: "signed-in users read, only superusers and server code write (CloudBase's 所有用户可读，仅管理端可写)",
		List: rule(`@request.auth.id != ""`), View: rule(`@request.auth.id != ""`)},
	{Name: "admin", Meaning: "only superusers and server code read and write (CloudBase's 仅管理端可读写)"},
	{Name: "acl", Meaning: "as each record's LeanCloud ACL said: its owner writes, its owner or everyone (public read) reads; LeanCloud's default",
		List: rule(`owner = @request.auth.id || public_read = true`), View: rule(`owner = @request.auth.id || public_read = true`),
		Create: rule(`@request.auth.id != ""`), Update: rule(`owner = @request.auth.id`), Delete: rule(`owner = @request.auth.id`),
		needsACLFields: true},
}

// rulesFor is the preset of the collection named: its own in byName,
// else fallback, else the source's default.
func rulesFor(name string, byName map[string]Rules, fallback Rules, defaultName string) Rules {
	if r, ok := byName[name]; ok {
		return r
	}
	if fallback.Name != "" {
		return fallback
	}
	r, _ := RulePreset(defaultName, true)
	return r
}

// RulePreset is the preset named, for a source with or without ACLs.
func RulePreset(name string, withACL bool) (Rules, error) {
	var names []string
	for _, p := range rulePresets {
		if p.needsACLFields && !withACL {
			continue
		}
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Rules{}, fmt.Errorf("--rules %q: the presets are %s", name, strings.Join(names, ", "))
}

// RulePresetHelp lists the presets for a command's help.
func RulePresetHelp(withACL bool) string {
	var lines []string
	for _, p := range rulePresets {
		if p.needsACLFields && !withACL {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-9s %s", p.Name, p.Meaning))
	}
	return strings.Join(lines, "\n")
}

// apply sets c's rules.
func (r Rules) apply(c *core.Collection) {
	c.ListRule, c.ViewRule, c.CreateRule, c.UpdateRule, c.DeleteRule = r.List, r.View, r.Create, r.Update, r.Delete
}

// describe is the rules for a report: each rule, or "superusers".
func (r Rules) describe() map[string]string {
	out := map[string]string{"preset": r.Name}
	for name, rule := range map[string]*string{"list": r.List, "view": r.View, "create": r.Create, "update": r.Update, "delete": r.Delete} {
		if rule == nil {
			out[name] = "superusers only"
		} else {
			out[name] = *rule
		}
	}
	return out
}
