package analysis

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A fast path for the chunks of large project files. Nearly every action in a real
// project.yaml is written in the same plain block style: keys, one-line scalars (plain or
// quoted), `run:` values continued on indented lines or in `>`/`|` blocks, `[a, b]` and
// `- a` lists of scalars, and `{name: path}` mappings. fastChunk reads exactly that subset
// and builds the same tree the YAML library would; on anything else (anchors, tags, nested
// flow collections, escapes it does not know, odd indentation, ...) it gives up and the
// chunk goes to the library. Differential tests and a fuzzer hold the two to the same tree.

type fastLine struct {
	start, end int // content of the line, without its line break
	indent     int
	blank      bool // empty, spaces only, or a comment
}

type fastParser struct {
	src   []byte
	base  int
	lines []fastLine
	i     int // next line to read
	ok    bool
}

// fastChunk parses src (starting at byte base of its file) if it is in the plain subset,
// returning nil otherwise.
func fastChunk(src []byte, base int) *Node {
	p := &fastParser{src: src, base: base, ok: true}
	if !p.split() {
		return nil
	}
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil
	}
	n := p.mapping(p.lines[p.i].indent)
	p.skipBlank()
	if !p.ok || n == nil || p.i != len(p.lines) || len(n.Pairs) != 1 {
		return nil
	}
	return n
}

func (p *fastParser) fail() *Node {
	p.ok = false
	return nil
}

// split indexes the lines; tabs in indentation, carriage returns and NULs are left to the
// library.
func (p *fastParser) split() bool {
	for _, c := range p.src {
		if c < 0x20 && c != '\n' || c == 0x7f {
			return false // tabs, carriage returns and other control characters
		}
	}
	if !utf8.Valid(p.src) || bytes.Contains(p.src, []byte("<<")) {
		return false // (the library reads `<<` inside a key as a merge key)
	}
	for _, r := range string(p.src) {
		if r > unicode.MaxASCII && (unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf)) {
			return false // spaces, line breaks and format characters beyond ASCII
		}
	}
	start := 0
	for start <= len(p.src) {
		end := bytes.IndexByte(p.src[start:], '\n')
		if end < 0 {
			end = len(p.src)
		} else {
			end += start
		}
		l := fastLine{start: start, end: end}
		i := start
		for i < end && p.src[i] == ' ' {
			i++
		}
		l.indent = i - start
		l.blank = i == end || p.src[i] == '#'
		p.lines = append(p.lines, l)
		if end == len(p.src) {
			break
		}
		start = end + 1
	}
	return true
}

func (p *fastParser) skipBlank() {
	for p.i < len(p.lines) && p.lines[p.i].blank {
		p.i++
	}
}

func (p *fastParser) rng(s, e int) Range { return Range{p.base + s, p.base + e} }

// mapping reads a block mapping whose keys sit at indent.
func (p *fastParser) mapping(indent int) *Node {
	out := &Node{Kind: KindMapping}
	for p.ok {
		p.skipBlank()
		if p.i >= len(p.lines) {
			break
		}
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return p.fail()
		}
		pair := p.pair(l, indent)
		if pair == nil {
			return p.fail()
		}
		out.Pairs = append(out.Pairs, pair)
	}
	if !p.ok || len(out.Pairs) == 0 {
		return p.fail()
	}
	first, last := out.Pairs[0], out.Pairs[len(out.Pairs)-1]
	end := last.Value.Range.End
	if end < last.Key.Range.End {
		end = last.Key.Range.End + 1
	}
	out.Range = Range{first.Key.Range.Start, end}
	return out
}

// keyEnd finds the colon that ends a plain key starting at s on a line ending at e.
func (p *fastParser) keyEnd(s, e int) int {
	if s >= e || isIndicator(p.src[s]) {
		return -1
	}
	for i := s; i < e; i++ {
		switch c := p.src[i]; c {
		case ':':
			if i+1 == e || p.src[i+1] == ' ' {
				return i
			}
		case '#':
			if p.src[i-1] == ' ' {
				return -1
			}
		case '\'', '"', '{', '}', '[', ']', ',':
			return -1
		}
	}
	return -1
}

// isIndicator reports whether c cannot start a plain scalar in the subset.
func isIndicator(c byte) bool {
	switch c {
	case '-', '?', ':', '[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', '<', '\'', '"', '%', '@', '`', ' ':
		return true
	}
	return false
}

func (p *fastParser) pair(l fastLine, indent int) *Pair {
	s := l.start + l.indent
	colon := p.keyEnd(s, l.end)
	if colon < 0 {
		return nil
	}
	kEnd := colon
	for kEnd > s && p.src[kEnd-1] == ' ' {
		kEnd--
	}
	key := p.plain(string(p.src[s:kEnd]), s, kEnd)
	p.i++
	v := colon + 1
	for v < l.end && p.src[v] == ' ' {
		v++
	}
	var val *Node
	if v == l.end || p.src[v] == '#' {
		val = p.nested(indent, colon)
	} else {
		val = p.inline(v, l.end, indent)
	}
	if val == nil || !p.ok {
		return nil
	}
	return &Pair{Key: key, Value: val}
}

// nested reads the value of a key with nothing after its colon: a deeper mapping or list,
// a list at the same indent, or null.
func (p *fastParser) nested(indent, colon int) *Node {
	j := p.i
	for j < len(p.lines) && p.lines[j].blank {
		j++
	}
	if j < len(p.lines) {
		nl := p.lines[j]
		c := nl.start + nl.indent
		isItem := p.src[c] == '-' && (c+1 == nl.end || p.src[c+1] == ' ')
		switch {
		case nl.indent > indent && isItem:
			p.i = j
			return p.sequence(nl.indent)
		case nl.indent > indent:
			p.i = j
			return p.mapping(nl.indent)
		case nl.indent == indent && isItem:
			p.i = j
			return p.sequence(indent)
		}
	}
	at := p.base + colon + 1
	return &Node{Kind: KindNull, Tag: "null", Range: Range{at, at}}
}

// sequence reads a block list of scalars at indent.
func (p *fastParser) sequence(indent int) *Node {
	out := &Node{Kind: KindSequence}
	for p.ok {
		p.skipBlank()
		if p.i >= len(p.lines) {
			break
		}
		l := p.lines[p.i]
		c := l.start + l.indent
		if l.indent != indent || p.src[c] != '-' {
			if l.indent > indent {
				return p.fail()
			}
			break
		}
		if c+1 == l.end || p.src[c+1] != ' ' {
			return p.fail()
		}
		v := c + 1
		for v < l.end && p.src[v] == ' ' {
			v++
		}
		if v == l.end || p.src[v] == '#' {
			return p.fail()
		}
		if p.keyEnd(v, l.end) >= 0 {
			return p.fail() // a mapping inside the list
		}
		if len(out.Items) == 0 {
			out.Range.Start = p.base + c
		}
		p.i++
		item := p.inline(v, l.end, indent)
		if item == nil || item.Kind != KindScalar && item.Kind != KindNull {
			return p.fail()
		}
		out.Items = append(out.Items, item)
	}
	if !p.ok || len(out.Items) == 0 {
		return p.fail()
	}
	out.Range.End = out.Items[len(out.Items)-1].Range.End
	return out
}

// inline reads a value starting at v on the line just consumed (p.i is past it), which may
// continue on more indented lines.
func (p *fastParser) inline(v, e, indent int) *Node {
	switch p.src[v] {
	case '[':
		return p.flowSeq(v, e)
	case '{':
		return p.flowMap(v, e)
	case '|', '>':
		return p.block(v, e, indent)
	case '\'':
		return p.quoted(v, e, '\'')
	case '"':
		return p.quoted(v, e, '"')
	}
	if isIndicator(p.src[v]) {
		return p.fail()
	}
	end := p.scalarEnd(v, e)
	if end < 0 {
		return p.fail()
	}
	if strings.Contains(string(p.src[v:end]), ": ") || p.src[end-1] == ':' {
		return p.fail()
	}
	text := string(p.src[v:end])
	last := end
	if end < e && p.i < len(p.lines) && p.lines[p.i].indent > indent && p.lines[p.i].start+p.lines[p.i].indent < p.lines[p.i].end {
		return p.fail() // a comment, then more indented text: not a plain continuation
	}
	// Continuation lines of a plain scalar.
	multi := false
	contIndent := 0
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.blank && l.indent > indent && l.start+l.indent < l.end {
			// A comment line indented like a continuation: the library takes it into the
			// scalar, YAML does not. Leave the chunk to the library.
			return p.fail()
		}
		if l.blank || l.indent <= indent {
			break
		}
		c := l.start + l.indent
		ce := p.scalarEnd(c, l.end)
		if ce < 0 || isIndicator(p.src[c]) && p.src[c] != '-' || strings.Contains(string(p.src[c:ce]), ": ") || p.src[ce-1] == ':' {
			return p.fail()
		}
		if p.src[c] == '-' && (c+1 == ce || p.src[c+1] != '-') {
			return p.fail() // (the library folds these continuation lines its own way)
		}
		if ce < l.end {
			return p.fail() // a comment after a continuation line
		}
		if l.end == len(p.src) {
			return p.fail() // the last line of the text without a line break: the library folds it its own way
		}
		if multi && l.indent != contIndent {
			return p.fail() // continuation lines indented differently: the library keeps the break
		}
		contIndent = l.indent
		text += " " + string(p.src[c:ce])
		last = ce
		multi = true
		p.i++
	}
	// Blank lines and comments may follow; more of the scalar (or an indented comment,
	// which the library takes into it) after them is left to the library.
	for j := p.i; j < len(p.lines); j++ {
		l := p.lines[j]
		if multi && l.blank && l.end > l.start && l.start+l.indent == l.end {
			return p.fail() // a line of spaces after a scalar over several lines
		}
		if l.indent > indent && (!l.blank || l.start+l.indent < l.end) {
			if !l.blank || multi {
				return p.fail()
			}
		}
		if !l.blank {
			break
		}
	}
	if multi {
		return &Node{Kind: KindScalar, Tag: "str", Value: text, Range: p.rng(v, last)}
	}
	if end < e && p.i < len(p.lines) && !p.lines[p.i].blank && p.lines[p.i].indent > indent {
		return p.fail()
	}
	return p.plain(text, v, end)
}

// scalarEnd finds where a plain scalar starting at s ends on its line: before a ` #`
// comment and trailing spaces. It returns -1 for text the subset does not take.
func (p *fastParser) scalarEnd(s, e int) int {
	end := e
	for i := s; i < e; i++ {
		if p.src[i] == '#' && i > s && p.src[i-1] == ' ' {
			end = i
			break
		}
	}
	for end > s && p.src[end-1] == ' ' {
		end--
	}
	if end == s {
		return -1
	}
	return end
}

// rest checks that only spaces or a comment follow position i on the line ending at e.
func (p *fastParser) rest(i, e int) bool {
	for i < e && p.src[i] == ' ' {
		i++
	}
	return i == e || p.src[i] == '#' && p.src[i-1] == ' '
}

func (p *fastParser) quoted(v, e int, q byte) *Node {
	var sb strings.Builder
	i := v + 1
	for ; i < e; i++ {
		c := p.src[i]
		if c == q {
			if q == '\'' && i+1 < e && p.src[i+1] == '\'' {
				sb.WriteByte('\'')
				i++
				continue
			}
			break
		}
		if q == '"' && c == '\\' {
			if i+1 >= e {
				return p.fail()
			}
			i++
			switch p.src[i] {
			case '"', '\\', '/':
				sb.WriteByte(p.src[i])
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			default:
				return p.fail()
			}
			continue
		}
		sb.WriteByte(c)
	}
	if i >= e || !p.rest(i+1, e) {
		return p.fail()
	}
	style := StyleSingle
	if q == '"' {
		style = StyleDouble
	}
	if p.moreIndented() {
		return p.fail()
	}
	return &Node{Kind: KindScalar, Tag: "str", Style: style, Value: sb.String(), Range: p.rng(v, i+1)}
}

// flowItem reads one plain or quoted scalar of a one-line flow collection, ending at one of
// stops; it returns the node and the position after it.
func (p *fastParser) flowItem(s, e int, stops string) (*Node, int) {
	for s < e && p.src[s] == ' ' {
		s++
	}
	if s >= e {
		return nil, -1
	}
	if c := p.src[s]; c == '\'' || c == '"' {
		i := s + 1
		for i < e && p.src[i] != c {
			if p.src[i] == '\\' || c == '\'' && i+1 < e && p.src[i+1] == '\'' && p.src[i] == '\'' {
				return nil, -1
			}
			i++
		}
		if i >= e {
			return nil, -1
		}
		style := StyleSingle
		if c == '"' {
			style = StyleDouble
		}
		return &Node{Kind: KindScalar, Tag: "str", Style: style, Value: string(p.src[s+1 : i]), Range: p.rng(s, i+1)}, i + 1
	}
	if isIndicator(p.src[s]) {
		return nil, -1
	}
	i := s
	for i < e && !strings.ContainsRune(stops, rune(p.src[i])) {
		switch p.src[i] {
		case '[', ']', '{', '}', '#', '\'', '"':
			return nil, -1
		case ':':
			if stops == ",}" && i+1 < e && p.src[i+1] == ' ' {
				goto done
			}
			return nil, -1 // a colon inside a flow collection: the libraries' readings differ
		}
		i++
	}
done:
	end := i
	for end > s && p.src[end-1] == ' ' {
		end--
	}
	if end == s || p.src[end-1] == ':' {
		return nil, -1
	}
	return p.plain(string(p.src[s:end]), s, end), i
}

func (p *fastParser) flowSeq(v, e int) *Node {
	out := &Node{Kind: KindSequence, Flow: true}
	i := v + 1
	for i < e && p.src[i] == ' ' {
		i++
	}
	if i < e && p.src[i] == ']' {
		out.Range = p.rng(v, i+1)
		if !p.rest(i+1, e) || p.moreIndented() {
			return p.fail()
		}
		return out
	}
	for {
		item, j := p.flowItem(i, e, ",]")
		if item == nil {
			return p.fail()
		}
		out.Items = append(out.Items, item)
		for j < e && p.src[j] == ' ' {
			j++
		}
		if j >= e {
			return p.fail()
		}
		if p.src[j] == ']' {
			out.Range = p.rng(v, j+1)
			if !p.rest(j+1, e) || p.moreIndented() {
				return p.fail()
			}
			return out
		}
		if p.src[j] != ',' {
			return p.fail()
		}
		i = j + 1
	}
}

func (p *fastParser) flowMap(v, e int) *Node {
	out := &Node{Kind: KindMapping, Flow: true}
	i := v + 1
	for i < e && p.src[i] == ' ' {
		i++
	}
	if i < e && p.src[i] == '}' {
		out.Range = p.rng(v, i+1)
		if !p.rest(i+1, e) || p.moreIndented() {
			return p.fail()
		}
		return out
	}
	for {
		k, j := p.flowItem(i, e, ",}")
		if k == nil || j >= e || p.src[j] != ':' || j+1 >= e || p.src[j+1] != ' ' {
			return p.fail()
		}
		val, j2 := p.flowItem(j+1, e, ",}")
		if val == nil {
			return p.fail()
		}
		out.Pairs = append(out.Pairs, &Pair{Key: k, Value: val})
		for j2 < e && p.src[j2] == ' ' {
			j2++
		}
		if j2 >= e {
			return p.fail()
		}
		if p.src[j2] == '}' {
			out.Range = p.rng(v, j2+1)
			if !p.rest(j2+1, e) || p.moreIndented() {
				return p.fail()
			}
			return out
		}
		if p.src[j2] != ',' {
			return p.fail()
		}
		i = j2 + 1
	}
}

// moreIndented reports whether the next line is more indented than the one just read, which
// after a finished one-line value would mean something the subset does not cover.
func (p *fastParser) moreIndented() bool {
	return p.i < len(p.lines) && !p.lines[p.i].blank && p.lines[p.i].indent > p.lines[p.i-1].indent
}

// block reads a `|` or `>` block scalar whose header is at v.
func (p *fastParser) block(v, e, indent int) *Node {
	style := StyleLiteral
	if p.src[v] == '>' {
		style = StyleFolded
	}
	chomp := byte(0)
	h := v + 1
	if h < e && (p.src[h] == '-' || p.src[h] == '+') {
		chomp = p.src[h]
		h++
	}
	if !p.rest(h, e) {
		return p.fail()
	}
	var lines []string
	contentIndent := -1
	lastEnd := -1
	lastBreak := false // the last content line ends with a line break
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		empty := l.start+l.indent == l.end
		if empty && l.end > l.start {
			return p.fail() // a line of spaces inside a block: the library's reading varies
		}
		if empty {
			lines = append(lines, "")
			p.i++
			continue
		}
		if contentIndent < 0 {
			if l.indent <= indent {
				break
			}
			contentIndent = l.indent
		}
		if l.indent < contentIndent {
			if l.indent > indent {
				return p.fail()
			}
			break
		}
		if p.src[l.start+l.indent] == '#' {
			return p.fail() // YAML libraries disagree on `#` lines inside blocks
		}
		lines = append(lines, string(p.src[l.start+contentIndent:l.end]))
		end := l.end
		for end > l.start && p.src[end-1] == ' ' {
			end--
		}
		lastEnd = end
		lastBreak = l.end < len(p.src)
		p.i++
	}
	if contentIndent < 0 || !lastBreak {
		// A block at the very end of the text, without a final line break, is read
		// differently by the library: leave it to it.
		return p.fail()
	}
	// Trailing empty lines belong to the chomping, not to the value; give the lines after the
	// block back to the caller.
	trailing := 0
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
		trailing++
	}
	p.i -= trailing
	var value string
	if style == StyleLiteral {
		value = strings.Join(lines, "\n")
	} else {
		for _, ln := range lines {
			if ln == "" || ln[0] == ' ' {
				return p.fail()
			}
		}
		value = strings.Join(lines, " ")
	}
	switch chomp {
	case '-':
	case '+':
		return p.fail()
	default:
		if lastBreak {
			value += "\n"
		}
	}
	for _, ln := range lines {
		if strings.HasSuffix(ln, " ") {
			return p.fail()
		}
	}
	return &Node{Kind: KindScalar, Tag: "str", Style: style, Value: value, Range: p.rng(v, lastEnd)}
}

var (
	// Only the plainest numbers are read here; every other scalar that looks numeric goes to
	// the library, whose rules for the rest (leading zeros, signs, exponents) are its own.
	coreInt   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	coreFloat = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]+$`)
)

// plain resolves a one-line plain scalar to its YAML 1.2 core type, as the library does.
func (p *fastParser) plain(text string, s, e int) *Node {
	n := &Node{Kind: KindScalar, Tag: "str", Value: text, Range: p.rng(s, e)}
	switch text {
	case "null", "Null", "NULL", "~":
		n.Kind, n.Tag, n.Value = KindNull, "null", ""
		return n
	case "true", "True", "TRUE", "false", "False", "FALSE":
		n.Tag = "bool"
		return n
	}
	c := text[0]
	if c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' {
		switch {
		case len(text) > 15:
			p.ok = false // beyond 64-bit reach the libraries disagree
		case coreInt.MatchString(text):
			n.Tag = "int"
		case coreFloat.MatchString(text):
			n.Tag = "float"
		default:
			p.ok = false
		}
	}
	return n
}
