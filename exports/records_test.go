package exports

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// read returns each record as "line:json" and the error's text.
func read(t *testing.T, input string) ([]string, string) {
	t.Helper()
	var got []string
	// One byte at a time: records, lines and characters cut anywhere.
	err := ReadRecords("x.jsonl", iotest.OneByteReader(strings.NewReader(input)), func(r Record) error {
		got = append(got, fmt.Sprintf("%d:%v", r.Line, r.Fields))
		return nil
	})
	if err != nil {
		return got, err.Error()
	}
	return got, ""
}

func TestReadRecordsShapes(t *testing.T) {
	for _, c := range []struct {
		name, input string
		want        []string
	}{
		{"JSON Lines", "{\"a\":1}\n{\"a\":2}\n", []string{"1:map[a:1]", "2:map[a:2]"}},
		{"no final newline, blank lines, CRLF", "\n{\"a\":1}\r\n\r\n{\"a\":2}", []string{"2:map[a:1]", "4:map[a:2]"}},
		{"a byte order mark", "\xEF\xBB\xBF{\"a\":\"é\"}\n", []string{"1:map[a:é]"}},
		{"pretty-printed, concatenated", "{\n  \"_id\": \"x\",\n  \"n\": 1\n}\n{\n  \"_id\": \"y\"\n}\n", []string{"1:map[_id:x n:1]", "5:map[_id:y]"}},
		{"LeanCloud's older shape", `{"results": [{"objectId": "a"}, {"objectId": "b"}]}`, []string{"1:map[objectId:a]", "1:map[objectId:b]"}},
		{"a record holding results among other fields is a record", `{"results": [], "objectId": "a"}`, []string{"1:map[objectId:a results:[]]"}},
		{"long integers keep their digits", `{"n": 12345678901234567890}`, []string{"1:map[n:12345678901234567890]"}},
		{"an empty file", "", nil},
	} {
		got, err := read(t, c.input)
		if err != "" || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v %s, want %v", c.name, got, err, c.want)
		}
	}
}

func TestReadRecordsErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ name, input, want string }{
		{"a broken line", "{\"a\":1}\n{\"a\" 1}\n{\"b\":2}\n", "x.jsonl:2: not valid JSON"},
		{"an unclosed record", "{\"a\":1}\n{\"a\":\n{\"b\":2}\n", "x.jsonl:2: the record starting here is not closed"},
		{"not an object", "{\"a\":1}\n[1,2]\n", "x.jsonl:2: a record must be a JSON object, not an array"},
		{"a string", "\"x\"", "x.jsonl:1: a record must be a JSON object, not a string"},
		{"cut off", "{\"a\":1}\n{\"a\": [1,", "x.jsonl:2: the record starting here is not closed"},
		{"cut off inside a string, more lines after", "{\"a\":1}\n{\"objectId\":\"6a00\n{\"a\":2}\n", "x.jsonl:2: the line ends inside a string"},
		{"invalid UTF-8", "{\"a\":1}\n{\"a\":\"\xff\"}\n", "x.jsonl:2: invalid UTF-8"},
		{"a character cut short", "{\"a\":\"\xc3\"}", "x.jsonl:1: invalid UTF-8"},
		{"invalid UTF-8 on a later line of a record", "{\n\"a\":\n\"\xff\"}", "x.jsonl:3: invalid UTF-8"},
		{"results not an array", `{"results": 5}`, `x.jsonl:1: "results" must be an array`},
		{"a result not an object", `{"results": [1]}`, "x.jsonl:1: results[0] must be a JSON object, not a number"},
		{"something after results", "{\"results\": []}\n{\"a\":1}", "x.jsonl:2: nothing may follow"},
	} {
		_, err := read(t, c.input)
		if !strings.HasPrefix(err, c.want) {
			t.Errorf("%s: got %q, want %q...", c.name, err, c.want)
		}
	}
}

func TestReadRecordsStopsWhereYieldSays(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadRecords("x", strings.NewReader("{}\n{}\n{}\n"), func(Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("%v after %d records", err, n)
	}
}

// Records cut anywhere by the reads, and one larger than the scanner's
// buffer, come out whole, in order, on their lines.
func TestReadRecordsAcrossBuffers(t *testing.T) {
	var b strings.Builder
	var want []string
	line := 1
	for i := 0; i < 3000; i++ {
		text := strings.Repeat("x", i%700)
		if i == 1234 {
			text = strings.Repeat("é", 200_000) // 400 KB, beyond the 64 KB buffer
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, "{\"i\": %d,\n \"s\": %q}\n\n", i, text)
			want = append(want, fmt.Sprintf("%d:%d:%d", line, i, len(text)))
			line += 3
			continue
		}
		fmt.Fprintf(&b, "{\"i\": %d, \"s\": %q}\n", i, text)
		want = append(want, fmt.Sprintf("%d:%d:%d", line, i, len(text)))
		line++
	}
	for name, r := range map[string]func() io.Reader{
		"whole reads": func() io.Reader { return strings.NewReader(b.String()) },
		"half reads":  func() io.Reader { return iotest.HalfReader(strings.NewReader(b.String())) },
		"odd reads":   func() io.Reader { return iotest.DataErrReader(strings.NewReader(b.String())) },
	} {
		var got []string
		err := ReadRecords("x.jsonl", r(), func(rec Record) error {
			got = append(got, fmt.Sprintf("%d:%v:%d", rec.Line, rec.Fields["i"], len(rec.Fields["s"].(string))))
			return nil
		})
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %v; %d records, first difference at %d", name, err, len(got), firstDifference(got, want))
		}
	}
}

func firstDifference(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
