// Package exports reads the data exports of LeanCloud and WeChat CloudBase
// (README "Moving from LeanCloud / CloudBase"): the records of each export
// file, and the values in each record, as plain Go values an importer maps
// onto PocketBase. It has no PocketBase imports.
package exports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// Record is one object of an export file, with the line it ends on.
type Record struct {
	Line   int
	Fields map[string]any
}

// Error says which file and line of an export is wrong, and how.
type Error struct {
	File string
	Line int
	What string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.What)
}

// ReadRecords reads every record of one export file, in order, calling
// yield with each. It takes the shapes both vendors write:
//
//   - JSON Lines, one object per line (LeanCloud's console export);
//   - LeanCloud's older shape, one document {"results": [...]};
//   - a stream of concatenated objects, each possibly over several lines
//     (CloudBase's export, pretty-printed in its own documentation);
//
// with or without a UTF-8 byte order mark, blank lines anywhere. A value
// that is not an object, invalid JSON or invalid UTF-8 (which Go's decoder
// would silently replace), or anything after a {"results"} document, stops
// it with an *Error naming the line. Numbers are json.Number, so that a
// long integer keeps its digits. An error from yield stops it too.
func ReadRecords(name string, r io.Reader, yield func(Record) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	in := &lineReader{r: br}
	dec := json.NewDecoder(in)
	dec.UseNumber()
	fail := func(offset int64, what string) error {
		return &Error{File: name, Line: in.lineAt(offset), What: what}
	}
	for first := true; ; first = false {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			return nil
		}
		var bad *invalidUTF8
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &bad):
			return fail(bad.offset, "invalid UTF-8")
		case errors.As(err, &syntax):
			return fail(syntax.Offset, "not valid JSON: "+syntax.Error())
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fail(in.read-1, "the file ends inside a record") // on its last line
		case err != nil:
			return fail(dec.InputOffset(), err.Error())
		}
		end := dec.InputOffset()
		obj, ok := v.(map[string]any)
		if !ok {
			return fail(end, fmt.Sprintf("a record must be a JSON object, not %s", kindOf(v)))
		}
		if results, isDoc := obj["results"]; first && isDoc && len(obj) == 1 {
			list, ok := results.([]any)
			if !ok {
				return fail(end, `"results" must be an array of records`)
			}
			for i, item := range list {
				rec, ok := item.(map[string]any)
				if !ok {
					return fail(end, fmt.Sprintf("results[%d] must be a JSON object, not %s", i, kindOf(item)))
				}
				if err := yield(Record{Line: in.lineAt(end), Fields: rec}); err != nil {
					return err
				}
			}
			if dec.More() {
				return fail(dec.InputOffset(), `nothing may follow a {"results": [...]} document`)
			}
			var rest any
			if err := dec.Decode(&rest); err != io.EOF {
				return fail(dec.InputOffset(), `nothing may follow a {"results": [...]} document`)
			}
			return nil
		}
		if err := yield(Record{Line: in.lineAt(end), Fields: obj}); err != nil {
			return err
		}
	}
}

// lineReader passes its reader through, checking that it is UTF-8 and
// noting where each line starts, so that offsets become line numbers.
type lineReader struct {
	r     io.Reader
	read  int64   // bytes passed on
	newl  []int64 // offsets of the '\n's passed on
	carry []byte  // the start of a character cut at the end of a read
}

type invalidUTF8 struct{ offset int64 }

func (e *invalidUTF8) Error() string { return "invalid UTF-8" }

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	chunk := append(l.carry, p[:n]...)
	l.carry = nil
	// A character may be cut by the end of this read: keep its start
	// for the next one.
	valid := len(chunk)
	for cut := 1; cut <= 3 && cut <= len(chunk); cut++ {
		if utf8.RuneStart(chunk[len(chunk)-cut]) {
			if !utf8.FullRune(chunk[len(chunk)-cut:]) && err == nil {
				valid = len(chunk) - cut
			}
			break
		}
	}
	base := l.read - int64(len(chunk)-n) // the offset of chunk[0]
	for i := 0; i < valid; {
		r, size := utf8.DecodeRune(chunk[i:valid])
		if r == utf8.RuneError && size <= 1 {
			return 0, &invalidUTF8{offset: base + int64(i)}
		}
		i += size
	}
	l.carry = append([]byte(nil), chunk[valid:]...)
	for i, c := range p[:n] {
		if c == '\n' {
			l.newl = append(l.newl, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// lineAt is the 1-based line of the byte at offset; an offset just past
// a value (its end) belongs to the line the value ends on.
func (l *lineReader) lineAt(offset int64) int {
	return 1 + sort.Search(len(l.newl), func(i int) bool { return l.newl[i] >= offset })
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}
