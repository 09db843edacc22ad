package clouddb

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CompileRegex compiles a CloudBase regular expression (db.RegExp({regexp,
// options}), sent as {"$regex": pattern, "$options": options}) into a Go
// regexp that finds a match in exactly the strings MongoDB's $regex would.
//
// MongoDB runs $regex with PCRE2 in UTF-8 mode without Unicode properties:
// \d, \w, \s, \b and the POSIX classes are ASCII, and case-insensitive
// matching folds letters beyond ASCII by Unicode's case folding. Go's RE2
// engine differs in places; CompileRegex translates each construct whose
// meaning it can keep exactly and refuses the rest with an error that names
// the construct:
//
//   - Options: i, m, s and x as in PCRE; u is accepted and changes nothing
//     (MongoDB always matches in UTF-8). Any other option letter is refused,
//     as MongoDB refuses it.
//   - $ without m matches at the end or before a newline that ends the string
//     (so does \Z); Go's matches only at the end. It is translated to "an
//     optional final newline, then the end", which is exact when nothing that
//     follows it in the pattern has to match; otherwise it is refused.
//   - ^ with m does not match after a newline that ends the string in PCRE;
//     in Go it does. It is kept when what follows it in the pattern cannot
//     match the empty string, and refused otherwise.
//   - \s includes the vertical tab in PCRE and is translated so; . without s
//     excludes only the line feed in both.
//   - Refused, because RE2 lacks them or means something else: backreferences,
//     lookahead and lookbehind, atomic groups, possessive quantifiers,
//     recursion, conditionals, callouts and verbs, inline option settings
//     such as (?i), \p and \P properties, \h \H \v \V \R \X \C \K \N \c \o
//     \g \k \u \U \l \L, repetition counts above 1000, and braces whose
//     reading differs between PCRE2 versions ({,n} or spaces inside).
func CompileRegex(pattern, options string) (*regexp.Regexp, error) {
	var f regexFlags
	for _, c := range options {
		switch c {
		case 'i':
			f.i = true
		case 'm':
			f.m = true
		case 's':
			f.s = true
		case 'x':
			f.x = true
		case 'u':
			// MongoDB always matches in UTF-8 mode.
		default:
			return nil, unsupportedf("regular expression option %q is not supported; MongoDB accepts only i, m, s, x and u", c)
		}
	}
	if !utf8.ValidString(pattern) {
		return nil, fmt.Errorf("regular expression is not valid UTF-8")
	}
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, fmt.Errorf("regular expression cannot contain a NUL character")
	}
	t := translator{src: pattern, f: f}
	if err := t.run(); err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pattern, err)
	}
	goPattern, err := t.resolveAnchors()
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %w", pattern, err)
	}
	if f.i {
		goPattern = "(?i)" + goPattern
	}
	re, err := regexp.Compile(goPattern)
	if err != nil {
		return nil, unsupportedf("regular expression %q is not supported: %v", pattern, err)
	}
	return re, nil
}

type regexFlags struct{ i, m, s, x bool }

// translator turns a PCRE pattern into an RE2 one, token by token.
type translator struct {
	src string
	pos int
	f   regexFlags
	out strings.Builder
	// canRepeat is whether the last thing written may take a quantifier.
	canRepeat bool
	// anchors holds the placeholders written for $ (without m), \Z and ^
	// (with m), whose translation depends on what follows them.
	anchors []anchor
}

type anchor struct {
	name   string
	dollar bool // $ or \Z; otherwise a multiline ^
}

// The characters PCRE2 ignores in extended mode (x) outside classes: ASCII
// white space and Unicode's Pattern_White_Space.
func isExtendedSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0x200E, 0x200F, 0x2028, 0x2029:
		return true
	}
	return false
}

var (
	strictQuantifier = regexp.MustCompile(`^\{([0-9]+)(,([0-9]*))?\}`)
	// Braces that PCRE2 10.43 and later read as a quantifier but earlier
	// versions read as literal text.
	looseQuantifier = regexp.MustCompile(`^\{[ \t]*(,[ \t]*[0-9]+|[0-9]+[ \t]*(,[ \t]*[0-9]*)?)[ \t]*\}`)
	posixAtTop      = regexp.MustCompile(`^\[:\^?[a-z]+:\]`)
	collating       = regexp.MustCompile(`^\[([.=]).*?([.=])\]`)
)

func (t *translator) next() (rune, bool) {
	if t.pos >= len(t.src) {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(t.src[t.pos:])
	t.pos += n
	return r, true
}

func (t *translator) peek() (rune, bool) {
	if t.pos >= len(t.src) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(t.src[t.pos:])
	return r, true
}

func (t *translator) atom(s string) {
	t.out.WriteString(s)
	t.canRepeat = true
}

func (t *translator) assertion(s string) {
	t.out.WriteString(s)
	t.canRepeat = false
}

func (t *translator) placeholder(dollar bool) {
	name := "cdbAnchor" + strconv.Itoa(len(t.anchors))
	t.anchors = append(t.anchors, anchor{name: name, dollar: dollar})
	t.assertion("(?P<" + name + ">)")
}

func (t *translator) run() error {
	for {
		r, ok := t.next()
		if !ok {
			return nil
		}
		if t.f.x && isExtendedSpace(r) {
			continue
		}
		if t.f.x && r == '#' {
			if i := strings.IndexByte(t.src[t.pos:], '\n'); i >= 0 {
				t.pos += i + 1
			} else {
				t.pos = len(t.src)
			}
			continue
		}
		var err error
		switch r {
		case '\\':
			err = t.escape()
		case '[':
			err = t.class()
		case '(':
			err = t.group()
		case ')':
			t.atom(")")
		case '|':
			t.assertion("|")
		case '^':
			if t.f.m {
				t.placeholder(false)
			} else {
				t.assertion(`\A`)
			}
		case '$':
			if t.f.m {
				t.assertion(`(?m:$)`)
			} else {
				t.placeholder(true)
			}
		case '.':
			if t.f.s {
				t.atom(`(?s:.)`)
			} else {
				t.atom(`[^\n]`)
			}
		case '*', '+', '?':
			err = t.quantifier(string(r))
		case '{':
			err = t.brace()
		default:
			t.atom(regexp.QuoteMeta(string(r)))
		}
		if err != nil {
			return err
		}
	}
}

// quantifier writes q after checking that it follows something repeatable,
// then a lazy suffix if there is one; a possessive suffix is refused.
func (t *translator) quantifier(q string) error {
	if !t.canRepeat {
		return fmt.Errorf("quantifier %q does not follow a repeatable item", q)
	}
	t.out.WriteString(q)
	t.canRepeat = false
	if r, ok := t.peek(); ok {
		switch r {
		case '?':
			t.pos++
			t.out.WriteByte('?')
		case '+':
			return unsupportedf("possessive quantifier %q+ is not supported; use %q", q, q)
		}
	}
	return nil
}

func (t *translator) brace() error {
	rest := t.src[t.pos-1:]
	if m := strictQuantifier.FindStringSubmatch(rest); m != nil {
		lo, err1 := strconv.Atoi(m[1])
		hi := lo
		var err2 error
		if m[2] != "" {
			if m[3] == "" {
				hi = -1
			} else {
				hi, err2 = strconv.Atoi(m[3])
			}
		}
		if err1 != nil || err2 != nil || lo > 1000 || hi > 1000 {
			return unsupportedf("repetition count in %s is above 1000, which is not supported", m[0])
		}
		if hi >= 0 && hi < lo {
			return fmt.Errorf("numbers out of order in quantifier %s", m[0])
		}
		t.pos += len(m[0]) - 1
		return t.quantifier(m[0])
	}
	if looseQuantifier.MatchString(rest) {
		return fmt.Errorf("braces %q are read differently by PCRE2 versions; write {n,m} without spaces, {0,n} for up to n, or \\{ for a literal brace", looseQuantifier.FindString(rest))
	}
	t.atom(`\{`)
	return nil
}

func (t *translator) group() error {
	rest := t.src[t.pos:]
	switch {
	case strings.HasPrefix(rest, "*"):
		return unsupportedf("PCRE verbs such as (*...) are not supported")
	case !strings.HasPrefix(rest, "?"):
		t.assertion("(")
		return nil
	case strings.HasPrefix(rest, "?#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return fmt.Errorf("missing ) after (?# comment")
		}
		t.pos += end + 1
		return nil
	case strings.HasPrefix(rest, "?:"):
		t.pos += 2
		t.assertion("(?:")
		return nil
	case strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"):
		return unsupportedf("lookahead (%s) is not supported", rest[:2])
	case strings.HasPrefix(rest, "?<="), strings.HasPrefix(rest, "?<!"):
		return unsupportedf("lookbehind (%s) is not supported", rest[:3])
	case strings.HasPrefix(rest, "?>"):
		return unsupportedf("atomic groups (?> are not supported; use (?:")
	case strings.HasPrefix(rest, "?|"):
		return unsupportedf("branch reset groups (?| are not supported")
	case strings.HasPrefix(rest, "?P=") || strings.HasPrefix(rest, "?P>") || strings.HasPrefix(rest, "?&"):
		return unsupportedf("named backreferences and subroutine calls are not supported")
	}
	for _, open := range []struct{ prefix, close string }{{"?<", ">"}, {"?P<", ">"}, {"?'", "'"}} {
		if !strings.HasPrefix(rest, open.prefix) {
			continue
		}
		body := rest[len(open.prefix):]
		end := strings.Index(body, open.close)
		if end < 0 || !validGroupName(body[:end]) {
			return fmt.Errorf("invalid group name after (%s", open.prefix)
		}
		// The name only serves backreferences, which are refused, so a
		// plain capturing group matches the same strings.
		t.pos += len(open.prefix) + end + len(open.close)
		t.assertion("(")
		return nil
	}
	if len(rest) > 1 && strings.ContainsRune("imsxnJU-^", rune(rest[1])) {
		return unsupportedf("inline option settings such as (?i) are not supported; pass the options in $options instead")
	}
	return unsupportedf("group (%s is not supported", firstRunes(rest, 3))
}

func validGroupName(name string) bool {
	if name == "" || len(name) > 32 || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// escape translates a backslash sequence outside a character class.
func (t *translator) escape() error {
	c, ok := t.next()
	if !ok {
		return fmt.Errorf(`\ at end of pattern`)
	}
	switch c {
	case 'd', 'D', 'w', 'W':
		t.atom(t.set(`\` + string(c)))
	case 'b', 'B':
		t.assertion(`\` + string(c))
	case 's':
		t.atom(`[\t-\r ]`) // PCRE's \s includes the vertical tab; RE2's does not
	case 'S':
		t.atom(t.set(`[^\t-\r ]`))
	case 'A', 'G':
		// \G is where matching starts, which for a search of the whole
		// string is its start.
		t.assertion(`\A`)
	case 'z':
		t.assertion(`\z`)
	case 'Z':
		t.placeholder(true)
	case 'Q':
		end := strings.Index(t.src[t.pos:], `\E`)
		lit := t.src[t.pos:]
		if end >= 0 {
			lit = lit[:end]
			t.pos += end + 2
		} else {
			t.pos = len(t.src)
		}
		// Each character is its own item: a quantifier after \E repeats
		// only the last one, as in PCRE.
		for _, r := range lit {
			t.atom(literal(r))
		}
	case 'E':
		// A \E without \Q is ignored.
	default:
		r, err := t.escapedChar(c, false)
		if err != nil {
			return err
		}
		t.atom(literal(r))
	}
	return nil
}

// escapedChar reads the character a backslash escape stands for, c being the
// character after the backslash, and refuses escapes RE2 cannot express.
func (t *translator) escapedChar(c rune, inClass bool) (rune, error) {
	switch c {
	case 'a':
		return 0x07, nil
	case 'e':
		return 0x1B, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case '0':
		v := 0
		for i := 0; i < 2; i++ {
			d, ok := t.peek()
			if !ok || d < '0' || d > '7' {
				break
			}
			t.pos++
			v = v*8 + int(d-'0')
		}
		return rune(v), nil
	case 'x':
		return t.hexEscape()
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return 0, unsupportedf(`backreferences such as \%c are not supported`, c)
	case 'p', 'P':
		return 0, unsupportedf(`Unicode property classes (\%c) are not supported; list the characters or ranges instead`, c)
	case 'h', 'H', 'v', 'V', 'R', 'X', 'C', 'K', 'N':
		return 0, unsupportedf(`\%c is not supported`, c)
	case 'c':
		return 0, unsupportedf(`control escapes (\c) are not supported; use \x{..}`)
	case 'o':
		return 0, unsupportedf(`octal escapes \o{...} are not supported; use \x{..}`)
	case 'g', 'k':
		return 0, unsupportedf(`backreferences (\%c) are not supported`, c)
	case 'u', 'U', 'l', 'L':
		return 0, unsupportedf(`\%c is not supported by MongoDB's PCRE; write the character itself or \x{hhhh}`, c)
	}
	if inClass {
		switch c {
		case 'b':
			return 0x08, nil // backspace inside a class
		}
	}
	if c < utf8.RuneSelf && (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return 0, fmt.Errorf(`unrecognized escape \%c`, c)
	}
	return c, nil // an escaped non-alphanumeric character stands for itself
}

func (t *translator) hexEscape() (rune, error) {
	if r, ok := t.peek(); ok && r == '{' {
		end := strings.IndexByte(t.src[t.pos:], '}')
		if end < 0 {
			return 0, fmt.Errorf(`missing } in \x{...}`)
		}
		digits := t.src[t.pos+1 : t.pos+end]
		v, err := strconv.ParseUint(digits, 16, 32)
		if err != nil || digits == "" {
			return 0, fmt.Errorf(`invalid \x{%s}`, digits)
		}
		t.pos += end + 1
		if v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
			return 0, fmt.Errorf(`\x{%s} is not a Unicode character`, digits)
		}
		return rune(v), nil
	}
	v := 0
	for i := 0; i < 2; i++ {
		d, ok := t.peek()
		if !ok {
			break
		}
		n, err := strconv.ParseUint(string(d), 16, 8)
		if err != nil {
			break
		}
		t.pos++
		v = v*16 + int(n)
	}
	return rune(v), nil
}

// literal writes one character for use outside a class.
func literal(r rune) string {
	return fmt.Sprintf(`\x{%x}`, r)
}

// classLiteral writes one character for use inside a class.
func classLiteral(r rune) string {
	return fmt.Sprintf(`\x{%x}`, r)
}

var posixNames = map[string]bool{
	"alnum": true, "alpha": true, "ascii": true, "blank": true, "cntrl": true,
	"digit": true, "graph": true, "lower": true, "print": true, "punct": true,
	"space": true, "upper": true, "word": true, "xdigit": true,
}

// classItem is one member of a character class: a range of characters
// (set is "") or a set such as \d or [:alpha:].
type classItem struct {
	lo, hi rune
	set    string
}

// set writes a class escape such as \w so that the i option leaves it alone:
// PCRE's \w, \W and POSIX classes are fixed ASCII sets even when matching
// ignores case, while Go would add the Kelvin sign and the long s to them.
func (t *translator) set(s string) string {
	if t.f.i {
		return "(?-i:" + s + ")"
	}
	return s
}

// class translates a character class; the opening [ has been read.
func (t *translator) class() error {
	if posixAtTop.MatchString(t.src[t.pos-1:]) {
		return fmt.Errorf("POSIX classes such as [:alpha:] are allowed only inside a class: write [[:alpha:]]")
	}
	negated := false
	if r, ok := t.peek(); ok && r == '^' {
		t.pos++
		negated = true
	}
	var items []classItem
	first := true
	for {
		r, ok := t.next()
		if !ok {
			return fmt.Errorf("missing terminating ] for character class")
		}
		if r == ']' && !first {
			break
		}
		first = false
		lo, err := t.classAtom(r)
		if err != nil {
			return err
		}
		// A range?
		if d, ok := t.peek(); ok && d == '-' && t.pos+1 < len(t.src) && t.src[t.pos+1] != ']' {
			t.pos++
			r2, _ := t.next()
			hi, err := t.classAtom(r2)
			if err != nil {
				return err
			}
			if lo.set != "" || hi.set != "" {
				return fmt.Errorf("invalid range in character class: a range cannot start or end at a class such as \\d")
			}
			if hi.lo < lo.lo {
				return fmt.Errorf("range out of order in character class")
			}
			lo.hi = hi.lo
		}
		items = append(items, lo)
	}
	t.atom(t.classString(negated, items))
	return nil
}

// classString writes a class. With the i option, a class holding sets such
// as \w is written with its ranges folded explicitly and case folding
// switched off, so that the sets stay as PCRE has them (see set).
func (t *translator) classString(negated bool, items []classItem) string {
	var ranges, sets strings.Builder
	for _, it := range items {
		if it.set != "" {
			sets.WriteString(it.set)
			continue
		}
		ranges.WriteString(classLiteral(it.lo))
		if it.hi != it.lo {
			ranges.WriteString("-" + classLiteral(it.hi))
		}
	}
	neg := ""
	if negated {
		neg = "^"
	}
	if !t.f.i || sets.Len() == 0 {
		return "[" + neg + ranges.String() + sets.String() + "]"
	}
	folded := ""
	if ranges.Len() > 0 {
		folded = foldedRanges("[" + ranges.String() + "]")
	}
	return "(?-i:[" + neg + folded + sets.String() + "])"
}

// foldedRanges returns the members of class, closed under Go's case folding
// (which is PCRE's for single characters and ranges), written as ranges.
func foldedRanges(class string) string {
	re, err := syntax.Parse(class, syntax.Perl|syntax.FoldCase)
	if err != nil {
		panic(err) // the class was written by classString
	}
	var pairs []rune
	switch re.Op {
	case syntax.OpCharClass:
		pairs = re.Rune
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			pairs = append(pairs, r, r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					pairs = append(pairs, f, f)
				}
			}
		}
	default:
		panic(fmt.Sprintf("clouddb: unexpected class %v", re.Op))
	}
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(classLiteral(pairs[i]))
		if pairs[i+1] != pairs[i] {
			b.WriteString("-" + classLiteral(pairs[i+1]))
		}
	}
	return b.String()
}

// classAtom reads one class member starting with r.
func (t *translator) classAtom(r rune) (classItem, error) {
	switch r {
	case '[':
		if collating.MatchString(t.src[t.pos-1:]) {
			return classItem{}, unsupportedf("POSIX collating elements such as [.a.] and [=a=] are not supported")
		}
		m := posixAtTop.FindString(t.src[t.pos-1:])
		if m == "" {
			return classItem{lo: '[', hi: '['}, nil
		}
		name := strings.TrimPrefix(m[2:len(m)-2], "^")
		if !posixNames[name] {
			return classItem{}, fmt.Errorf("unknown POSIX class name %s", m)
		}
		if t.f.i && (name == "upper" || name == "lower") {
			return classItem{}, unsupportedf("%s with the i option is not supported; use [:alpha:]", m)
		}
		t.pos += len(m) - 1
		return classItem{set: m}, nil
	case '\\':
		c, ok := t.next()
		if !ok {
			return classItem{}, fmt.Errorf(`\ at end of pattern`)
		}
		switch c {
		case 'd', 'D', 'w', 'W':
			return classItem{set: `\` + string(c)}, nil
		case 's':
			return classItem{set: `\t-\r `}, nil
		case 'S':
			return classItem{set: `[:^space:]`}, nil // ASCII space is PCRE's \s
		case 'Q':
			return classItem{}, unsupportedf(`\Q...\E inside a character class is not supported`)
		case 'E':
			// An isolated \E is ignored; read the next member instead.
			n, ok := t.next()
			if !ok {
				return classItem{}, fmt.Errorf("missing terminating ] for character class")
			}
			if n == ']' {
				return classItem{}, unsupportedf(`\E before the closing ] of a class is not supported`)
			}
			return t.classAtom(n)
		case 'A', 'B', 'G', 'Z', 'z':
			return classItem{}, fmt.Errorf(`\%c is not allowed in a character class`, c)
		}
		v, err := t.escapedChar(c, true)
		if err != nil {
			return classItem{}, err
		}
		return classItem{lo: v, hi: v}, nil
	}
	return classItem{lo: r, hi: r}, nil
}

// resolveAnchors replaces each placeholder for $, \Z and multiline ^ by its
// Go form, after checking, on the parsed pattern, that the translation is
// exact where the placeholder stands.
func (t *translator) resolveAnchors() (string, error) {
	s := t.out.String()
	if len(t.anchors) == 0 {
		return s, nil
	}
	tree, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return "", unsupportedf("not supported: %v", err)
	}
	byName := make(map[string]anchor, len(t.anchors))
	for _, a := range t.anchors {
		byName[a.name] = a
	}
	n := &nullability{memo: map[nullKey]bool{}}
	var problem error
	visitContinuations(tree, nil, func(name string, after *continuation) bool {
		a, ok := byName[name]
		if !ok {
			return true
		}
		if a.dollar && !n.all(after, true) {
			problem = unsupportedf("$ (or \\Z) followed by more pattern is not supported: PCRE's $ also matches before a final newline, which Go can express only at the end of the pattern")
		}
		if !a.dollar && n.all(after, false) {
			problem = unsupportedf("with the m option, ^ followed by a pattern that can match the empty string is not supported: PCRE's ^ does not match after a newline that ends the string, Go's does")
		}
		return problem == nil
	})
	if problem != nil {
		return "", problem
	}
	pairs := make([]string, 0, 2*len(t.anchors))
	for _, a := range t.anchors {
		repl := `(?m:^)`
		if a.dollar {
			repl = `(?:\n?\z)`
		}
		pairs = append(pairs, "(?P<"+a.name+">)", repl)
	}
	// One pass over the pattern, whatever the number of anchors.
	return strings.NewReplacer(pairs...).Replace(s), nil
}

func isAnchor(re *syntax.Regexp) bool {
	return re.Op == syntax.OpCapture && strings.HasPrefix(re.Name, "cdbAnchor")
}

// continuation is what may follow a node to the end of the pattern, as a
// list that shares its tail with the continuations of the nodes after it:
// building each one is constant work, however long the pattern.
type continuation struct {
	re   *syntax.Regexp
	next *continuation
}

// visitContinuations calls fn for each anchor placeholder with what may
// follow it to the end of the pattern (what a match must still match after
// it), until fn returns false.
func visitContinuations(re *syntax.Regexp, after *continuation, fn func(string, *continuation) bool) bool {
	switch re.Op {
	case syntax.OpCapture:
		if isAnchor(re) {
			return fn(re.Name, after)
		}
		return visitContinuations(re.Sub[0], after, fn)
	case syntax.OpConcat:
		conts := make([]*continuation, len(re.Sub))
		cont := after
		for i := len(re.Sub) - 1; i >= 0; i-- {
			conts[i] = cont
			cont = &continuation{re: re.Sub[i], next: cont}
		}
		for i, sub := range re.Sub {
			if !visitContinuations(sub, conts[i], fn) {
				return false
			}
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !visitContinuations(sub, after, fn) {
				return false
			}
		}
	case syntax.OpStar, syntax.OpQuest, syntax.OpPlus:
		// After this repetition the loop may stop.
		return visitContinuations(re.Sub[0], after, fn)
	case syntax.OpRepeat:
		if re.Min > 1 {
			// At least one more repetition must follow.
			return visitContinuations(re.Sub[0], &continuation{re: re.Sub[0], next: after}, fn)
		}
		return visitContinuations(re.Sub[0], after, fn)
	}
	return true
}

// nullability answers allNullable for continuations, remembering each
// node's answer, so that the anchors of a long pattern do not each walk
// the rest of it again.
type nullability struct {
	memo map[nullKey]bool
}

type nullKey struct {
	c       *continuation
	trivial bool
}

func (n *nullability) all(c *continuation, trivial bool) bool {
	// Iterative, as a continuation may be as long as the pattern.
	var pending []*continuation
	result := true
	for ; c != nil; c = c.next {
		if known, ok := n.memo[nullKey{c, trivial}]; ok {
			result = known
			break
		}
		pending = append(pending, c)
	}
	for i := len(pending) - 1; i >= 0; i-- {
		result = result && nullable(pending[i].re, trivial)
		n.memo[nullKey{pending[i], trivial}] = result
	}
	return result
}

// allNullable reports whether the sequence can match the empty string;
// with trivial, only without passing any assertion (anchors count as
// assertions).
func allNullable(seq []*syntax.Regexp, trivial bool) bool {
	for _, re := range seq {
		if !nullable(re, trivial) {
			return false
		}
	}
	return true
}

func nullable(re *syntax.Regexp, trivial bool) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return !trivial
	case syntax.OpCapture:
		if isAnchor(re) {
			return !trivial
		}
		return nullable(re.Sub[0], trivial)
	case syntax.OpPlus:
		return nullable(re.Sub[0], trivial)
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0], trivial)
	case syntax.OpConcat:
		return allNullable(re.Sub, trivial)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if nullable(sub, trivial) {
				return true
			}
		}
		return false
	}
	return false
}
