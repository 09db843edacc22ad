package realtime

import (
	"regexp"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
)

// A chat room everyone reads is the other shape of fan-out: a thousand
// sockets whose watches run the very same query, so a new message would be
// read a thousand times. sharedReads lets them share one read of the
// changed record: the first watch to need it reads it, the others wait for
// that read, and each then enriches its own copy for its own user (hidden
// fields, expand, email visibility stay per user).
//
// A shared read is only used when it began after the change the watch is
// evaluating had been committed: changes counts committed record changes,
// a read notes the count it began at, and a watch needs a read that began at
// or after its change's number. So sharing never hands out an older state
// than the watch's own query would have seen.
type sharedReads struct {
	changes uint64 // guarded by mu; record changes committed so far

	mu    sync.Mutex
	reads map[string]*sharedRead
}

// sharedRead is one read of one record through one query.
type sharedRead struct {
	began  uint64        // changes committed when the read began
	done   chan struct{} // closed once record and err are set
	record *core.Record  // nil: not in the query's result
	err    error
}

// maxSharedReads bounds the reads kept; past it they are all dropped, which
// only costs the next watches a read of their own.
const maxSharedReads = 4096

func newSharedReads() *sharedReads {
	return &sharedReads{reads: map[string]*sharedRead{}}
}

// committed counts a committed record change and returns its number.
func (s *sharedReads) committed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	return s.changes
}

// current is the number of record changes committed so far.
func (s *sharedReads) current() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// read returns the record as a query sees it after change number need, from
// a shared read when one began late enough, else by load. Each caller gets
// its own copy to enrich.
func (s *sharedReads) read(key string, need uint64, load func() (*core.Record, error)) (*core.Record, error) {
	s.mu.Lock()
	entry := s.reads[key]
	if entry == nil || entry.began < need {
		entry = &sharedRead{began: s.changes, done: make(chan struct{})}
		if len(s.reads) >= maxSharedReads {
			clear(s.reads)
		}
		s.reads[key] = entry
		s.mu.Unlock()
		// A panic must still release the watches waiting on this read.
		entry.err = catchPanic(func() (err error) {
			entry.record, err = load()
			return err
		})
		if entry.err != nil {
			// A failure is not shared: the next watch reads for itself.
			s.mu.Lock()
			if s.reads[key] == entry {
				delete(s.reads, key)
			}
			s.mu.Unlock()
		}
		close(entry.done)
	} else {
		s.mu.Unlock()
		<-entry.done
		if entry.err != nil {
			// One watch's failed read (a busy database, say) must not end
			// every watch that waited on it: each tries its own.
			return load()
		}
	}
	if entry.err != nil || entry.record == nil {
		return nil, entry.err
	}
	return entry.record.Clone(), nil
}

// readKey names the query a watch runs for one record: watches with the
// same key get the same answer (the filter has its parameters bound). The user is part of it when the rule or
// filter may answer differently for them, or they are a superuser (who skips
// the rule and may filter on hidden fields).
func (w *watch) readKey(collection *core.Collection, auth *core.Record, id string) string {
	rule := "<superuser>"
	if !auth.IsSuperuser() {
		rule = "<none>"
		if collection.ListRule != nil {
			rule = "=" + *collection.ListRule
		}
	}
	parts := []string{collection.Id, id, auth.Collection().Id, rule, w.filter}
	if auth.IsSuperuser() || mayDifferByUser(rule) || mayDifferByUser(w.filter) {
		parts = append(parts, auth.Id, auth.GetString("updated"), w.sort, w.expand, w.fields)
	}
	return strings.Join(parts, "\x00")
}

// signedInOnly is what every signed-in user of one auth collection
// (the key's) gets the same answer to: "any signed-in user", the rule of the
// "everyone reads" presets, and the auth collection's name or id.
var signedInOnly = regexp.MustCompile(`@request\.auth\.id\s*!=\s*(""|'')|(""|'')\s*!=\s*@request\.auth\.id|@request\.auth\.collection(Name|Id)\b`)

// mayDifferByUser tells whether a rule or filter may answer differently for
// two signed-in users of the same auth collection: it names @request or
// @collection, or it follows a relation (a dotted path), where PocketBase
// applies the related collection's list rule for each user. A dot inside a
// quoted value counts too, which only costs sharing.
func mayDifferByUser(expr string) bool {
	return strings.ContainsAny(signedInOnly.ReplaceAllString(expr, ""), "@.")
}
