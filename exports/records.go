// Package exports reads the data exports of LeanCloud and WeChat CloudBase
// (README "Moving from LeanCloud or CloudBase"): the records of each export
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
	"unicode/utf8"
)

// Record is one object of an export file, with the line it starts on.
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
	s := &valueScanner{r: bufio.NewReaderSize(r, 1<<16), line: 1}
	if bom, err := s.r.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		s.r.Discard(3)
	}
	fail := func(line int, what string) error { return &Error{File: name, Line: line, What: what} }
	for first := true; ; first = false {
		raw, start, err := s.next()
		var open *unclosed
		var large *tooLarge
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &open):
			return fail(start, "the record starting here is not closed: the file ends inside it")
		case errors.As(err, &large):
			return fail(start, large.Error())
		case err != nil:
			return fail(s.line, err.Error())
		}
		if i := invalidUTF8At(raw); i >= 0 {
			return fail(start+bytes.Count(raw[:i], []byte{'\n'}), "invalid UTF-8")
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			line := start
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				line += bytes.Count(raw[:min(int(syntax.Offset), len(raw))], []byte{'\n'})
				return fail(line, "not valid JSON: "+syntax.Error())
			}
			return fail(line, "not valid JSON: "+err.Error())
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fail(start, fmt.Sprintf("a record must be a JSON object, not %s", kindOf(v)))
		}
		if results, isDoc := obj["results"]; first && isDoc && len(obj) == 1 {
			list, ok := results.([]any)
			if !ok {
				return fail(start, `"results" must be an array of records`)
			}
			for i, item := range list {
				rec, ok := item.(map[string]any)
				if !ok {
					return fail(start, fmt.Sprintf("results[%d] must be a JSON object, not %s", i, kindOf(item)))
				}
				if err := yield(Record{Line: start, Fields: rec}); err != nil {
					return err
				}
			}
			if _, next, err := s.next(); err != io.EOF {
				return fail(next, `nothing may follow a {"results": [...]} document`)
			}
			return nil
		}
		if err := yield(Record{Line: start, Fields: obj}); err != nil {
			return err
		}
	}
}

// valueScanner splits a stream into top-level JSON values by their
// brackets and strings, counting lines, so that each value's first line is
// known exactly; the JSON decoder then reads each value alone.
type valueScanner struct {
	r    *bufio.Reader
	line int
}

// next returns the next top-level value's bytes and first line, or io.EOF
// when only white space is left.
func (s *valueScanner) next() ([]byte, int, error) {
	// Past white space.
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, s.line, err
		}
		if c == '\n' {
			s.line++
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			continue
		}
		s.r.UnreadByte()
		break
	}
	start := s.line
	var buf []byte
	depth, inString, escaped := 0, false, false
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			if depth > 0 || inString {
				return nil, start, &unclosed{}
			}
			return buf, start, nil
		}
		if err != nil {
			return nil, start, err
		}
		if depth == 0 && !inString && len(buf) > 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '[') {
			// The end of a scalar at the top ("x" 5 ...): the decoder
			// will say it is not an object.
			s.r.UnreadByte()
			return buf, start, nil
		}
		if c == '\n' && inString {
			// JSON strings hold no line break: the line was cut off.
			return nil, start, errors.New("the line ends inside a string (JSON strings hold no line break): the record is cut off")
		}
		buf = append(buf, c)
		if len(buf) > maxRecordBytes {
			return nil, start, &tooLarge{}
		}
		switch {
		case c == '\n':
			s.line++
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth <= 0 {
				return buf, start, nil
			}
		}
	}
}

// maxRecordBytes bounds one record's JSON: LeanCloud and CloudBase keep
// records as MongoDB documents, 16 MB at most, and a longer one (a
// corrupt file, a compression bomb) would only fill the memory.
var maxRecordBytes = 64 << 20

// tooLarge is a value longer than maxRecordBytes.
type tooLarge struct{}

func (*tooLarge) Error() string {
	return fmt.Sprintf("the record starting here is longer than %d MB: no LeanCloud or CloudBase record is (they are MongoDB documents, 16 MB at most)", maxRecordBytes>>20)
}

// unclosed is a value the file ends inside.
type unclosed struct{}

func (*unclosed) Error() string { return "the file ends inside a record" }

// invalidUTF8At is the index of the first byte of b that is not UTF-8,
// or -1.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
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
