package realtime

import (
	"regexp"
	"strings"

	"github.com/ganigeorgiev/fexpr"
	"github.com/pocketbase/pocketbase/core"
)

// A write re-evaluates the changed record against every watch on its
// collection, one query each: with a thousand sockets, a thousand queries
// per write. Yet most watches cannot hold most records. CloudBase's default
// preset shows users only their own records (`owner = @request.auth.id`),
// and a chat page watches one room (`room = "lobby"`). Such conditions,
// `field = value` joined by && at the top of the list rule or the filter,
// are requirements: a record none of whose recent committed states meets
// them is skipped without a query.
//
// The prefilter only ever skips the query for a record the watch does not
// hold (a held record is always re-read, so it leaves when it should), and a
// wrong requirement could only hide an add from the user's own watch, never
// show a record the query would not return.

// requirement is one `field = value` condition every record in a watch's
// result meets.
type requirement struct{ field, value string }

// recordState is a committed record's plain single-value fields (text,
// single relation, single select), the ones requirements compare.
type recordState map[string]string

// maxStates bounds the states kept for one pending record; a record written
// more often than that before its socket's worker gets to it is evaluated.
const maxStates = 4

// pendingChange is a changed record waiting for a socket's worker, with the
// states its writes committed. Writes can be delivered out of order, so the
// record may match if any of them does; unknown means always evaluate.
type pendingChange struct {
	states  []recordState
	unknown bool
	newest  uint64 // the number of its latest change (sharedReads)
}

func (p *pendingChange) add(state recordState, number uint64) {
	p.newest = max(p.newest, number)
	switch {
	case p.unknown:
	case state == nil || len(p.states) >= maxStates:
		p.unknown, p.states = true, nil
	default:
		p.states = append(p.states, state)
	}
}

// mayMatch tells whether any committed state meets every requirement.
func (p *pendingChange) mayMatch(required []requirement) bool {
	if p.unknown || len(required) == 0 {
		return true
	}
	for _, state := range p.states {
		if state.meets(required) {
			return true
		}
	}
	return false
}

func (s recordState) meets(required []requirement) bool {
	for _, r := range required {
		if value, ok := s[r.field]; !ok || value != r.value {
			return false
		}
	}
	return true
}

// stateOf reads the fields requirements may name, once per write.
func stateOf(record *core.Record) recordState {
	state := recordState{}
	for _, field := range record.Collection().Fields {
		if comparable(field) {
			state[field.GetName()] = record.GetString(field.GetName())
		}
	}
	return state
}

// comparable fields hold one string, compared byte for byte by SQLite's
// `=`, so Go's == gives the same answer.
func comparable(field core.Field) bool {
	switch f := field.(type) {
	case *core.TextField:
		return true
	case *core.RelationField:
		return !f.IsMultiple()
	case *core.SelectField:
		return !f.IsMultiple()
	}
	return false
}

var plainFieldName = regexp.MustCompile(`^\w+$`)

// requirements finds the `field = value` conditions of a filter (its
// parameters bound) or rule: the value is a non-empty quoted text or
// @request.auth.id.
func requirements(collection *core.Collection, expr string, authID string) []requirement {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	groups, err := fexpr.Parse(expr)
	if err != nil {
		return nil
	}
	var found []requirement
	collectRequirements(groups, func(e fexpr.Expr) {
		if e.Op != fexpr.SignEq {
			return
		}
		for _, sides := range [2][2]fexpr.Token{{e.Left, e.Right}, {e.Right, e.Left}} {
			field, value := sides[0], sides[1]
			if field.Type != fexpr.TokenIdentifier || !plainFieldName.MatchString(field.Literal) {
				continue
			}
			if f := collection.Fields.GetByName(field.Literal); f == nil || !comparable(f) {
				continue
			}
			switch {
			case value.Type == fexpr.TokenText && value.Literal != "":
				found = append(found, requirement{field.Literal, value.Literal})
			case value.Type == fexpr.TokenIdentifier && value.Literal == "@request.auth.id" && authID != "":
				found = append(found, requirement{field.Literal, authID})
			}
		}
	})
	return found
}

// collectRequirements calls yield for each expression that must hold for
// the whole to hold: those of a level joined only by &&, and of the
// parenthesised groups inside it.
func collectRequirements(groups []fexpr.ExprGroup, yield func(fexpr.Expr)) {
	for i, group := range groups {
		if i > 0 && group.Join != fexpr.JoinAnd {
			return // an || at this level: none of it is required
		}
	}
	for _, group := range groups {
		switch item := group.Item.(type) {
		case fexpr.Expr:
			yield(item)
		case fexpr.ExprGroup:
			collectRequirements([]fexpr.ExprGroup{item}, yield)
		case []fexpr.ExprGroup:
			collectRequirements(item, yield)
		}
	}
}
