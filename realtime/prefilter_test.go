package realtime

import (
	"reflect"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

func prefilterCollection() *core.Collection {
	collection := core.NewBaseCollection("notes")
	collection.Fields.Add(
		&core.TextField{Name: "room"},
		&core.RelationField{Name: "owner", CollectionId: "_pb_users_auth_", MaxSelect: 1},
		&core.RelationField{Name: "readers", CollectionId: "_pb_users_auth_", MaxSelect: 5},
		&core.SelectField{Name: "kind", Values: []string{"a", "b"}, MaxSelect: 1},
		&core.NumberField{Name: "n"},
	)
	return collection
}

func TestRequirementsAreOnlyWhatMustHold(t *testing.T) {
	collection := prefilterCollection()
	for _, tc := range []struct {
		expr   string
		params dbx.Params
		want   []requirement
	}{
		{`owner = @request.auth.id`, nil, []requirement{{"owner", "u1"}}},
		{`@request.auth.id = owner`, nil, []requirement{{"owner", "u1"}}},
		{`room = "lobby" && owner = @request.auth.id`, nil, []requirement{{"room", "lobby"}, {"owner", "u1"}}},
		{`n > 2 && (room = 'lobby' && kind = "a")`, nil, []requirement{{"room", "lobby"}, {"kind", "a"}}},
		{`room = {:room}`, dbx.Params{"room": "lobby"}, []requirement{{"room", "lobby"}}},
		{`id = "r1"`, nil, []requirement{{"id", "r1"}}},
		// An || anywhere at a level: nothing at that level must hold.
		{`room = "lobby" || owner = @request.auth.id`, nil, nil},
		{`owner = @request.auth.id && (room = "a" || room = "b")`, nil, []requirement{{"owner", "u1"}}},
		{`room = "a" && kind = "a" || room = "b"`, nil, nil},
		// Not a plain single-value field, not equality, or no usable value.
		{`readers = @request.auth.id`, nil, nil},
		{`n = "3"`, nil, nil},
		{`owner.room = "lobby"`, nil, nil},
		{`room:lower = "lobby"`, nil, nil},
		{`room != "lobby"`, nil, nil},
		{`room ?= "lobby"`, nil, nil},
		{`room = ""`, nil, nil},
		{`room = {:room}`, dbx.Params{"room": 3}, nil},
		{`room = owner`, nil, nil},
		{`@request.auth.id != ""`, nil, nil},
		{``, nil, nil},
		{`room = (`, nil, nil},
	} {
		if got := requirements(collection, bindParams(tc.expr, tc.params), "u1"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.expr, tc.params, got, tc.want)
		}
	}
	// Without a signed-in user, @request.auth.id is no requirement.
	if got := requirements(collection, `owner = @request.auth.id`, ""); got != nil {
		t.Errorf("no user: %v", got)
	}
}

func TestPendingChangeMatchesIfAnyStateDoes(t *testing.T) {
	required := []requirement{{"owner", "u1"}, {"room", "lobby"}}
	change := &pendingChange{states: []recordState{{"owner": "u2", "room": "lobby"}}}
	if change.mayMatch(required) {
		t.Fatal("another user's record may match")
	}
	if !change.mayMatch(nil) {
		t.Fatal("no requirements: anything may match")
	}
	// Writes arrive in any order: one matching state is enough.
	change.add(recordState{"owner": "u1", "room": "lobby"}, 2)
	if !change.mayMatch(required) {
		t.Fatal("the second state matches")
	}
	// Past maxStates, the record is always evaluated.
	busy := &pendingChange{}
	for i := 0; i <= maxStates; i++ {
		busy.add(recordState{"owner": "u2"}, uint64(i))
	}
	if !busy.unknown || !busy.mayMatch(required) {
		t.Fatalf("after %d states: %+v", maxStates+1, busy)
	}
}

func TestWatchMayHoldItsMembersWhateverTheirState(t *testing.T) {
	collection := prefilterCollection()
	w := &watch{id: "w", collectionID: collection.Id, members: map[string]uint64{"held": 1}, requiredFor: collection,
		required: []requirement{{"owner", "u1"}}}
	gone := &pendingChange{states: []recordState{{"owner": "u2"}}}
	if !w.mayHold(nil, nil, "held", gone) {
		t.Fatal("a held record given away must be evaluated, to be removed")
	}
}
