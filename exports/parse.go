package exports

import (
	"encoding/json"
)

// parseJSON reads one JSON value as Go's decoder does with UseNumber
// (objects map[string]any, arrays []any, numbers json.Number), in one
// pass and without the decoder's reflection. It takes only what the
// decoder takes the same way: anything else, invalid JSON included, it
// leaves to the decoder (ok false), which reads it or says what is wrong.
// b must be valid UTF-8.
func parseJSON(b []byte) (v any, ok bool) {
	p := jsonParser{b: b}
	v, ok = p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.b)
}

type jsonParser struct {
	b        []byte
	i        int
	members  []member // of the objects being read
	elements []any    // of the arrays being read
}

type member struct {
	key   string
	value any
}

// maxParseDepth is far below the decoder's own limit (10,000): deeper
// values are left to it.
const maxParseDepth = 500

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, bool) {
	p.space()
	if p.i >= len(p.b) || depth > maxParseDepth {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		// The members gather on a stack shared by every object, so that
		// each map is made at its size, once.
		from := len(p.members)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return make(map[string]any), true
		}
		for {
			p.space()
			key, ok := p.string()
			if !ok {
				return nil, false
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, false
			}
			p.i++
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			p.members = append(p.members, member{key, v})
			p.space()
			if p.i >= len(p.b) {
				return nil, false
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				m := make(map[string]any, len(p.members)-from)
				for _, kv := range p.members[from:] {
					m[kv.key] = kv.value
				}
				clear(p.members[from:])
				p.members = p.members[:from]
				return m, true
			default:
				return nil, false
			}
		}
	case c == '[':
		p.i++
		from := len(p.elements)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return make([]any, 0), true
		}
		for {
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			p.elements = append(p.elements, v)
			p.space()
			if p.i >= len(p.b) {
				return nil, false
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				a := make([]any, len(p.elements)-from)
				copy(a, p.elements[from:])
				clear(p.elements[from:])
				p.elements = p.elements[:from]
				return a, true
			default:
				return nil, false
			}
		}
	case c == '"':
		return p.string()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *jsonParser) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// string reads a string. One with escapes is unquoted by the decoder
// itself, so that every escape means exactly what it means there.
func (p *jsonParser) string() (string, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	escapes := false
	for i := p.i + 1; i < len(p.b); i++ {
		switch c := p.b[i]; {
		case c == '"':
			p.i = i + 1
			if !escapes {
				return string(p.b[start+1 : i]), true
			}
			var s string
			if json.Unmarshal(p.b[start:p.i], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escapes = true
			i++ // the escaped character (the decoder checks the escape)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number reads a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (any, bool) {
	b, i := p.b, p.i
	digits := func() bool {
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > from
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	n := json.Number(b[p.i:i])
	p.i = i
	return n, true
}
