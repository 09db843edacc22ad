package clouddb

import (
	"strings"
	"testing"
)

// TestRegexTranslation pins cases whose answers were checked against PCRE2
// run with MongoDB's options (UTF, plus i, m, s, x).
func TestRegexTranslation(t *testing.T) {
	cases := []struct {
		pattern, options, subject string
		want                      bool
	}{
		{"a", "", "xay", true}, // unanchored search
		{"^abcdef.*\\d+结尾$", "i", "AbCdEfxx1234结尾", true},
		{"a$", "", "a\n", true},    // $ matches before a final newline
		{"a$", "", "a\n\n", false}, // but only a final one
		{"a\\Z", "", "a\n", true},  // \Z likewise
		{"a\\z", "", "a\n", false}, // \z only at the very end
		{"a$", "m", "a\nb", true},  // m: before any newline
		{"^b", "m", "a\nb", true},  // m: after any newline
		{"^b", "", "a\nb", false},
		{"\\s", "", "\v", true}, // PCRE's \s includes the vertical tab
		{"\\S", "", "\v", false},
		{"[\\s]", "", "\v", true},
		{"[^\\s]", "", "\v", false},
		{".", "", "\n", false}, // . excludes only the line feed
		{".", "", "\r", true},
		{".", "s", "\n", true},
		{"\\w", "", "é", false}, // ASCII classes
		{"\\d", "", "٣", false},
		{"k", "i", "\u212a", true}, // Unicode case folding (Kelvin sign)
		{"s", "i", "\u017f", true}, // long s
		{"é", "i", "É", true},
		{"ß", "i", "\u1e9e", true},
		{"\\w", "i", "\u212a", false}, // but \w stays ASCII under i
		{"[[:alpha:]]", "i", "\u017f", false},
		{"[\\wé]", "i", "É", true},
		{"[^a]", "i", "A", false},
		{"a b # comment", "x", "ab", true}, // x ignores space and comments
		{"[ ]", "x", " ", true},            // but not inside a class
		{"a\\ b", "x", "a b", true},
		{"\\x41\\x{42}\\0", "", "AB\x00", true},
		{"\\Q.*\\E", "", "a.*", true},
		{"\\Q.*\\E", "", "aa", false},
		{"\\Qab\\E+", "", "abbb", true}, // the quantifier takes the last quoted character
		{"(?<n>a)(?P<m>b)(?'o'c)", "", "abc", true},
		{"a(?#note)b", "", "ab", true},
		{"{abc}", "", "{abc}", true}, // braces that are not a quantifier are literal
		{"a{2}", "", "aa", true},
		{"[]a]", "", "]", true},   // ] first in a class is literal
		{"[\\b]", "", "\b", true}, // \b in a class is backspace
		{"", "", "anything", true},
		{"x", "u", "x", true}, // u changes nothing
	}
	for _, c := range cases {
		re, err := CompileRegex(c.pattern, c.options)
		if err != nil {
			t.Errorf("CompileRegex(%q, %q): %v", c.pattern, c.options, err)
			continue
		}
		if got := re.MatchString(c.subject); got != c.want {
			t.Errorf("/%s/%s on %q = %v, want %v (Go pattern %s)", c.pattern, c.options, c.subject, got, c.want, re)
		}
	}
}

func TestRegexRefusals(t *testing.T) {
	cases := []struct{ pattern, options, want string }{
		{"a", "g", "option 'g'"},
		{"(a)\\1", "", "backreferences"},
		{"(?=a)", "", "lookahead"},
		{"(?!a)", "", "lookahead"},
		{"(?<=a)b", "", "lookbehind"},
		{"(?<!a)b", "", "lookbehind"},
		{"(?>a)", "", "atomic groups"},
		{"a*+", "", "possessive"},
		{"a{2}+", "", "possessive"},
		{"(?i)a", "", "inline option"},
		{"\\p{Han}", "", "Unicode property"},
		{"\\h", "", "\\h is not supported"},
		{"\\v", "", "\\v is not supported"},
		{"\\R", "", "\\R is not supported"},
		{"\\K", "", "\\K is not supported"},
		{"\\u4e00", "", "\\u is not supported"},
		{"\\cA", "", "control escapes"},
		{"(*UTF)a", "", "verbs"},
		{"a{,3}", "", "PCRE2 versions"},
		{"a{ 2}", "", "PCRE2 versions"},
		{"a{1001}", "", "above 1000"},
		{"a$\\n", "", "$ (or \\Z) followed by more pattern"},
		{"a\\Zb", "", "$ (or \\Z) followed by more pattern"},
		{"^$", "m", "with the m option, ^"},
		{"^\\s*", "m", "with the m option, ^"},
		{"[[:upper:]]", "i", "[:upper:]"},
		{"[:alpha:]", "", "only inside a class"},
		{"[\\d-z]", "", "invalid range"},
		{"[z-a]", "", "out of order"},
		{"*a", "", "does not follow"},
		{"\\q", "", "unrecognized escape"},
		{"a\x00", "", "NUL"},
		{"(", "", "not supported"},
	}
	for _, c := range cases {
		_, err := CompileRegex(c.pattern, c.options)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CompileRegex(%q, %q) = %v, want an error containing %q", c.pattern, c.options, err, c.want)
		}
	}
	// What follows ^ under m may be kept when it cannot match the empty
	// string; $ may be followed by what can match nothing at all.
	for _, ok := range [][2]string{{"^abc", "m"}, {"^(a|b)+", "m"}, {"(a$|b$)", ""}, {"a$()", ""}, {"a$|b", ""}} {
		if _, err := CompileRegex(ok[0], ok[1]); err != nil {
			t.Errorf("CompileRegex(%q, %q): %v", ok[0], ok[1], err)
		}
	}
}
