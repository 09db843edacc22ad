// Package exports reads the data exports of LeanCloud and WeChat CloudBase
// (README "Moving from LeanCloud or CloudBase"): the records of each export
// file, and the values in each record, as plain Go values an importer maps
// onto PocketBase. It has no PocketBase imports.
package exports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
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
	// The file is scanned and parsed on a goroutine of its own, a batch
	// ahead of the records' reading (by yield): an import's reading uses
	// two cores.
	batches := make(chan []parsed, 4)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(batches)
		parseValues(name, r, batches, done)
	}()
	defer func() {
		close(done)
		wg.Wait()
	}()
	var batch []parsed
	next := func() parsed {
		for len(batch) == 0 {
			b, ok := <-batches
			if !ok {
				return parsed{err: io.EOF}
			}
			batch = b
		}
		p := batch[0]
		batch = batch[1:]
		return p
	}

	fail := func(line int, what string) error { return &Error{File: name, Line: line, What: what} }
	for first := true; ; first = false {
		p := next()
		if p.err == io.EOF {
			return nil
		}
		if p.err != nil {
			return p.err
		}
		start := p.start
		obj, ok := p.v.(map[string]any)
		if !ok {
			return fail(start, fmt.Sprintf("a record must be a JSON object, not %s", kindOf(p.v)))
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
			if after := next(); after.err != io.EOF {
				return fail(after.start, `nothing may follow a {"results": [...]} document`)
			}
			return nil
		}
		if err := yield(Record{Line: start, Fields: obj}); err != nil {
			return err
		}
	}
}

// parsed is one top-level value of an export file, or what stops the
// reading there (an *Error, or io.EOF at the end), with the line the value
// starts on.
type parsed struct {
	v     any
	start int
	err   error
}

// parseValues scans and parses the values of r, sending them in batches,
// up to the first that stops the reading, or until done is closed.
func parseValues(name string, r io.Reader, batches chan<- []parsed, done <-chan struct{}) {
	s := &valueScanner{r: r, buf: make([]byte, 1<<16), line: 1}
	if s.fill(0, 3) && bytes.HasPrefix(s.buf[s.pos:s.end], []byte{0xEF, 0xBB, 0xBF}) {
		s.pos += 3
	}
	const batchSize = 64
	batch := make([]parsed, 0, batchSize)
	for {
		p := s.parse(name)
		batch = append(batch, p)
		if p.err == nil && len(batch) < batchSize {
			continue
		}
		select {
		case batches <- batch:
		case <-done:
			return
		}
		if p.err != nil {
			return
		}
		batch = make([]parsed, 0, batchSize)
	}
}

// parse scans and parses the next value.
func (s *valueScanner) parse(name string) parsed {
	fail := func(start, line int, what string) parsed {
		return parsed{start: start, err: &Error{File: name, Line: line, What: what}}
	}
	raw, start, err := s.next()
	var open *unclosed
	var large *tooLarge
	switch {
	case err == io.EOF:
		return parsed{start: start, err: io.EOF}
	case errors.As(err, &open):
		return fail(start, start, "the record starting here is not closed: the file ends inside it")
	case errors.As(err, &large):
		return fail(start, start, large.Error())
	case err != nil:
		return fail(start, s.line, err.Error())
	}
	if !utf8.Valid(raw) {
		i := invalidUTF8At(raw)
		return fail(start, start+bytes.Count(raw[:i], []byte{'\n'}), "invalid UTF-8")
	}
	v, ok := parseJSON(raw)
	if !ok {
		// What the fast parser does not take, Go's decoder reads, or says
		// what is wrong and where.
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) {
				line := start + bytes.Count(raw[:min(int(syntax.Offset), len(raw))], []byte{'\n'})
				return fail(start, line, "not valid JSON: "+syntax.Error())
			}
			return fail(start, start, "not valid JSON: "+err.Error())
		}
	}
	return parsed{v: v, start: start}
}

// valueScanner splits a stream into top-level JSON values by their
// brackets and strings, counting lines, so that each value's first line is
// known exactly; the JSON parser then reads each value alone.
type valueScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is read and not yet scanned
	err      error // the reader's, once buf holds all it gave
	line     int
}

// fill reads until buf[keep:end] holds at least n bytes more than
// buf[keep:pos], or the reader ends; it moves buf[keep:end] to the
// front, growing buf if it must. It says whether it read anything.
func (s *valueScanner) fill(keep, n int) bool {
	if keep > 0 {
		copy(s.buf, s.buf[keep:s.end])
		s.pos -= keep
		s.end -= keep
	}
	read, empty := false, 0
	for s.err == nil && s.end-s.pos < n {
		if s.end == len(s.buf) {
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		read = read || m > 0
		s.err = err
		if empty++; m > 0 {
			empty = 0
		} else if err == nil && empty >= 100 {
			s.err = io.ErrNoProgress // as bufio says of such a reader
		}
	}
	return read || s.end-s.pos >= n
}

// next returns the next top-level value's bytes (valid until the next
// call) and first line, or io.EOF when only white space is left.
func (s *valueScanner) next() ([]byte, int, error) {
	// Past white space.
	for {
		if s.pos == s.end && !s.fill(s.pos, 1) {
			if s.err == nil || s.err == io.EOF {
				return nil, s.line, io.EOF
			}
			return nil, s.line, s.err
		}
		c := s.buf[s.pos]
		if c == '\n' {
			s.line++
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
		s.pos++
	}
	start := s.line
	from := s.pos // the value is buf[from:pos]
	depth, inString, escaped := 0, false, false
	for {
		if s.pos == s.end {
			if s.pos-from > maxRecordBytes {
				return nil, start, &tooLarge{}
			}
			shift := from
			if !s.fill(from, 1) {
				from -= shift
				if s.err != nil && s.err != io.EOF {
					return nil, start, s.err
				}
				if depth > 0 || inString {
					return nil, start, &unclosed{}
				}
				return s.buf[from:s.pos], start, nil
			}
			from -= shift
		}
		c := s.buf[s.pos]
		if inString {
			// The common case, inside a string, kept short.
			if c == '\n' {
				// JSON strings hold no line break: the line was cut off.
				return nil, start, errors.New("the line ends inside a string (JSON strings hold no line break): the record is cut off")
			}
			s.pos++
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if depth == 0 && s.pos > from && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '[') {
			// The end of a scalar at the top ("x" 5 ...): the parser
			// will say it is not an object.
			return s.buf[from:s.pos], start, nil
		}
		s.pos++
		switch c {
		case '\n':
			s.line++
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth <= 0 {
				return s.buf[from:s.pos], start, nil
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
