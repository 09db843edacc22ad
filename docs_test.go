package main_test

import (
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"
)

// markdownLink matches the target of a Markdown link: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestServedDocsLinkOnlyToPagesTheServerHas follows every relative link
// from /README.md, document to document, on the real binary: the landing
// page sends a new user there, and a link that works in the repository
// must work on the server too.
func TestServedDocsLinkOnlyToPagesTheServerHas(t *testing.T) {
	server := start(t, t.TempDir()+"/pb_data", nil, "--dev=false")
	seen := map[string]bool{}
	queue := []string{"/README.md"}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		if seen[page] {
			continue
		}
		seen[page] = true
		status, body, _ := request(t, http.MethodGet, server.Base+page, "", "")
		if status != http.StatusOK {
			t.Errorf("%s: %d", page, status)
			continue
		}
		for _, match := range markdownLink.FindAllStringSubmatch(body, -1) {
			target, _, _ := strings.Cut(match[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue // an anchor in the same page, or another site
			}
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(page), target)
			}
			if !seen[target] {
				queue = append(queue, target)
			}
		}
	}
	if len(seen) < 4 {
		t.Fatalf("followed only %v: the README's links to the other documents were not found", seen)
	}
}
