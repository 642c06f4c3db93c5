package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// NodeKind says what a YAML node is.
type NodeKind int

const (
	KindNull NodeKind = iota
	KindScalar
	KindMapping
	KindSequence
)

// ScalarStyle records how a scalar was written.
type ScalarStyle int

const (
	StylePlain ScalarStyle = iota
	StyleSingle
	StyleDouble
	StyleLiteral
	StyleFolded
)

// Node is our own YAML tree, independent of the parser library: every node carries its
// byte range in the source. Scalars keep their value after unquoting and folding, and a tag
// naming the YAML 1.2 core type the parser resolved ("str", "int", "float", "bool", "null").
type Node struct {
	Kind  NodeKind
	Tag   string
	Value string
	Style ScalarStyle
	Flow  bool
	Range Range
	Pairs []*Pair // mappings, in source order (duplicates kept)
	Items []*Node // sequences
}

// Pair is one key: value entry of a mapping.
type Pair struct {
	Key   *Node
	Value *Node // never nil: a missing value is a KindNull node with an empty range after the colon
}

// Get returns the first pair whose key is the string key, or nil.
func (n *Node) Get(key string) *Pair {
	if n == nil || n.Kind != KindMapping {
		return nil
	}
	for _, p := range n.Pairs {
		if p.Key.Kind == KindScalar && p.Key.Value == key {
			return p
		}
	}
	return nil
}

// IsNull reports whether the node is absent or YAML null.
func (n *Node) IsNull() bool { return n == nil || n.Kind == KindNull }

// IsString reports whether the node is a scalar that YAML resolves to a string.
func (n *Node) IsString() bool { return n != nil && n.Kind == KindScalar && n.Tag == "str" }

// YAMLError is a syntax error at a position in the source.
type YAMLError struct {
	Range   Range
	Message string
}

// YAMLDoc is the result of parsing a YAML file: the tree (nil when nothing could be
// recovered) and the syntax errors met on the way.
type YAMLDoc struct {
	Text   []byte
	Lines  *Lines
	Root   *Node
	Errors []YAMLError
	// Blanked lists the line ranges that had to be blanked out to recover a tree from a
	// broken file; the tree says nothing about them.
	Blanked []Range
	// BlankedKeys are the keys (e.g. action ids) that headed the blanked ranges, so that
	// checks can treat them as present but unknown.
	BlankedKeys []string
}

// maxRecoveries bounds how many broken regions ParseYAML blanks out before giving up.
const maxRecoveries = 32

// ParseYAML parses text into a Node tree. It never panics. On a syntax error it records the
// error, blanks out the smallest top-level entry or action-level entry holding it (keeping
// byte offsets unchanged) and parses again, so that the rest of the file can still be
// checked. Each independent broken region is reported once.
func ParseYAML(text []byte) *YAMLDoc {
	doc := &YAMLDoc{Text: text, Lines: NewLines(text)}
	if len(text) >= minChunkedSize {
		if root := parseChunked(text, doc.Lines); root != nil {
			doc.Root = root
			return doc
		}
	}
	work := text
	for attempt := 0; attempt <= maxRecoveries; attempt++ {
		root, perr := parseOnce(work, doc.Lines)
		if perr == nil {
			doc.Root = root
			return doc
		}
		region, key := chunkAround(work, doc.Lines, doc.Lines.Line(perr.Range.Start))
		if !overlapsBlanked(doc.Blanked, perr.Range.Start) {
			doc.Errors = append(doc.Errors, *perr)
		}
		if attempt == 0 {
			work = append([]byte(nil), text...)
		}
		if region.Empty() {
			break
		}
		blank(work, region)
		doc.Blanked = append(doc.Blanked, region)
		if key != "" {
			doc.BlankedKeys = append(doc.BlankedKeys, key)
		}
	}
	return doc
}

func overlapsBlanked(bs []Range, off int) bool {
	for _, b := range bs {
		if b.Contains(off) {
			return true
		}
	}
	return false
}

// blank replaces every byte of r except line ends with a space, keeping offsets stable.
func blank(text []byte, r Range) {
	for i := r.Start; i < r.End && i < len(text); i++ {
		if text[i] != '\n' && text[i] != '\r' {
			text[i] = ' '
		}
	}
}

// lineIndent returns the indentation of a line and false for blank and comment-only lines.
func lineIndent(text []byte, lines *Lines, l int) (int, bool) {
	s, e := lines.Start(l), lines.End(l)
	i := s
	for i < e && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i == e || text[i] == '#' {
		return 0, false
	}
	return i - s, true
}

// chunkAround finds the entry that holds line: the top-level entry (a line at indent 0 and
// everything below it), or, inside a top-level entry, the child entry at the first indent
// used below it (an action under `actions:`). It returns the entry's lines and its key.
func chunkAround(text []byte, lines *Lines, line int) (Range, string) {
	n := lines.Count()
	if line >= n {
		line = n - 1
	}
	// The top-level entry: nearest line at or above with indent 0.
	top := line
	for top > 0 {
		if ind, ok := lineIndent(text, lines, top); ok && ind == 0 {
			break
		}
		top--
	}
	topEnd := n - 1
	for l := top + 1; l < n; l++ {
		if ind, ok := lineIndent(text, lines, l); ok && ind == 0 {
			topEnd = l - 1
			break
		}
	}
	// The child indent: the first non-blank line below the top line.
	childIndent := -1
	for l := top + 1; l <= topEnd; l++ {
		if ind, ok := lineIndent(text, lines, l); ok {
			childIndent = ind
			break
		}
	}
	chunkStart, chunkEnd := top, topEnd
	if line > top && childIndent > 0 {
		s := line
		for s > top {
			if ind, ok := lineIndent(text, lines, s); ok && ind <= childIndent {
				break
			}
			s--
		}
		if s > top {
			e := topEnd
			for l := s + 1; l <= topEnd; l++ {
				if ind, ok := lineIndent(text, lines, l); ok && ind <= childIndent {
					e = l - 1
					break
				}
			}
			chunkStart, chunkEnd = s, e
		}
	}
	r := Range{lines.Start(chunkStart), lines.End(chunkEnd)}
	first := strings.TrimSpace(string(text[lines.Start(chunkStart):lines.End(chunkStart)]))
	key := ""
	if i := strings.Index(first, ":"); i > 0 {
		key = strings.Trim(strings.TrimSpace(first[:i]), `"'`)
	}
	return r, key
}

func parseOnce(text []byte, lines *Lines) (root *Node, perr *YAMLError) {
	return parseAt(text, lines, 0)
}

// parseAt parses text that starts at byte offset base of its file: every range in the
// result is shifted by base.
func parseAt(text []byte, lines *Lines, base int) (root *Node, perr *YAMLError) {
	defer func() {
		if r := recover(); r != nil {
			root = nil
			perr = &YAMLError{Range: Range{0, 0}, Message: fmt.Sprintf("the YAML parser failed: %v", r)}
		}
	}()
	f, err := parser.ParseBytes(text, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, syntaxError(err, text, lines)
	}
	if f == nil || len(f.Docs) == 0 {
		return nil, nil
	}
	if len(f.Docs) > 1 {
		second := f.Docs[1]
		r := Range{len(text), len(text)}
		if second != nil && second.Start != nil {
			r = tokenRange(second.Start, text, lines)
		}
		return nil, &YAMLError{Range: r, Message: "project files hold a single YAML document; remove the `---` separator"}
	}
	d := f.Docs[0]
	if d == nil || d.Body == nil {
		return nil, nil
	}
	c := converter{text: text, lines: lines}
	n := c.convert(d.Body)
	if c.err != nil {
		return nil, c.err
	}
	// The library's positions can drift on odd input (invalid UTF-8, tabs): keep every range
	// inside the text.
	clampTree(n, len(text))
	if base != 0 {
		shiftInPlace(n, base)
	}
	return n, nil
}

func syntaxError(err error, text []byte, lines *Lines) *YAMLError {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil {
		msg := se.Message
		r := tokenRange(se.Token, text, lines)
		if r.Empty() {
			r.End = lines.End(lines.Line(r.Start))
		}
		return &YAMLError{Range: r, Message: "YAML syntax error: " + msg}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return &YAMLError{Range: Range{0, lines.End(0)}, Message: "YAML syntax error: " + msg}
}

// tokenStart converts a token's 1-based line and character column to a byte offset.
func tokenStart(t *token.Token, lines *Lines) int {
	if t == nil || t.Position == nil {
		return 0
	}
	line := t.Position.Line - 1
	col := t.Position.Column - 1
	if line < 0 {
		line = 0
	}
	if col < 0 {
		col = 0
	}
	return lines.OffsetChar(line, col)
}

// tokenRange finds the source span of a token by locating its raw text at its position. The
// library's column can be off by a few characters (after lines that end in spaces, for
// example), so the raw text is looked for on the token's line, nearest the reported column.
func tokenRange(t *token.Token, text []byte, lines *Lines) Range {
	return tokenRangeAfter(t, text, lines, 0)
}

// tokenRangeAfter is tokenRange for a token known to start at or after floor (a value after
// its key).
func tokenRangeAfter(t *token.Token, text []byte, lines *Lines, floor int) Range {
	start := tokenStart(t, lines)
	raw := strings.TrimSpace(t.Origin)
	if raw == "" {
		raw = t.Value
	}
	first, multi := raw, false
	if i := strings.IndexByte(raw, '\n'); i >= 0 {
		first, multi = strings.TrimSpace(raw[:i]), true
	}
	if first != "" && !multi {
		if s, ok := nearestOnLine(text, lines, start, first, floor); ok {
			return Range{s, s + len(first)}
		}
	}
	if first != "" && multi {
		// The library may place a value that spans lines on one of its later lines: try the
		// reported line, then the few before it, and follow the raw lines through the source.
		line := lines.Line(start)
		for l := line; l >= 0 && l >= line-64; l-- {
			at := start
			if l != line {
				at = lines.Start(l)
			}
			s, ok := nearestOnLine(text, lines, at, first, floor)
			if !ok {
				continue
			}
			pos := s + len(first)
			limit := min(len(text), s+2*len(raw)+64)
			matched := true
			for _, ln := range strings.Split(raw, "\n")[1:] {
				ln = strings.TrimSpace(ln)
				if ln == "" {
					continue
				}
				k := bytes.Index(text[pos:limit], []byte(ln))
				if k < 0 {
					matched = false
					break
				}
				pos += k + len(ln)
			}
			if matched {
				return Range{s, pos}
			}
		}
	}
	end := start
	for end < len(text) && text[end] != '\n' && text[end] != '\r' && text[end] != ' ' && text[end] != ',' && text[end] != ']' && text[end] != '}' {
		end++
	}
	return Range{start, end}
}

// nearestOnLine finds s on the line holding off, at the occurrence nearest off and not
// before floor.
func nearestOnLine(text []byte, lines *Lines, off int, s string, floor int) (int, bool) {
	l := lines.Line(off)
	ls, le := lines.Start(l), lines.End(l)
	if off >= floor && off+len(s) <= len(text) && string(text[off:off+len(s)]) == s {
		return off, true
	}
	best, found := 0, false
	for i := max(ls, floor); i+len(s) <= len(text) && i <= le; i++ {
		if string(text[i:i+len(s)]) != s {
			continue
		}
		if !found || abs(i-off) < abs(best-off) {
			best, found = i, true
		}
	}
	return best, found
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type converter struct {
	text  []byte
	lines *Lines
	err   *YAMLError
	depth int
	floor int // values of a pair start after its key
}

const maxDepth = 200

func (c *converter) fail(t *token.Token, msg string) {
	if c.err == nil {
		c.err = &YAMLError{Range: tokenRange(t, c.text, c.lines), Message: msg}
	}
}

func (c *converter) convert(n ast.Node) *Node {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		c.fail(n.GetToken(), "YAML nesting is too deep")
		return &Node{Kind: KindNull}
	}
	switch v := n.(type) {
	case nil:
		return &Node{Kind: KindNull}
	case *ast.MappingNode:
		out := &Node{Kind: KindMapping, Flow: v.IsFlowStyle}
		for _, mv := range v.Values {
			out.Pairs = append(out.Pairs, c.pair(mv))
		}
		c.spanMapping(out, v.Start, v.End)
		return out
	case *ast.MappingValueNode:
		out := &Node{Kind: KindMapping}
		out.Pairs = append(out.Pairs, c.pair(v))
		c.spanMapping(out, nil, nil)
		return out
	case *ast.SequenceNode:
		out := &Node{Kind: KindSequence, Flow: v.IsFlowStyle}
		for _, it := range v.Values {
			out.Items = append(out.Items, c.convert(it))
		}
		start := tokenStart(v.Start, c.lines)
		end := start + 1
		if v.IsFlowStyle && v.End != nil {
			end = tokenStart(v.End, c.lines) + 1
		} else if len(out.Items) > 0 {
			end = out.Items[len(out.Items)-1].Range.End
		}
		if end < start {
			end = start
		}
		out.Range = Range{start, end}
		return out
	case *ast.LiteralNode:
		out := &Node{Kind: KindScalar, Tag: "str", Style: StyleLiteral}
		if v.Start != nil && strings.HasPrefix(strings.TrimSpace(v.Start.Value), ">") {
			out.Style = StyleFolded
		}
		if v.Value != nil {
			out.Value = v.Value.Value
		}
		start := tokenStart(v.Start, c.lines)
		end := c.lines.End(c.lines.Line(start))
		if v.Value != nil && v.Value.Token != nil {
			body := strings.TrimRight(v.Value.Token.Origin, " \t\r\n")
			// The body starts on the line after the header.
			from := c.lines.Start(c.lines.Line(start) + 1)
			trimmed := strings.TrimLeft(body, " \t\r\n")
			from = min(from, len(c.text))
			// The body can only sit within its own length (plus indentation) of the header.
			limit := min(len(c.text), from+2*len(body)+64)
			if i := bytes.Index(c.text[from:limit], []byte(trimmed)); i >= 0 && trimmed != "" {
				end = from + i + len(trimmed)
			}
		}
		out.Range = Range{start, end}
		return out
	case *ast.StringNode:
		return c.scalar(v.Token, "str", v.Value)
	case *ast.IntegerNode:
		return c.scalar(v.Token, "int", v.Token.Value)
	case *ast.FloatNode:
		return c.scalar(v.Token, "float", v.Token.Value)
	case *ast.BoolNode:
		return c.scalar(v.Token, "bool", v.Token.Value)
	case *ast.InfinityNode:
		return c.scalar(v.Token, "float", v.Token.Value)
	case *ast.NanNode:
		return c.scalar(v.Token, "float", v.Token.Value)
	case *ast.NullNode:
		out := c.scalar(v.Token, "null", "")
		out.Kind = KindNull
		return out
	case *ast.TagNode:
		inner := c.convert(v.Value)
		if v.Start != nil {
			r := tokenRange(v.Start, c.text, c.lines)
			inner.Range = Range{r.Start, max(r.End, inner.Range.End)}
			switch v.Start.Value {
			case "!!str":
				if inner.Kind == KindScalar {
					inner.Tag = "str"
				}
			}
		}
		return inner
	case *ast.AnchorNode:
		return c.convert(v.Value)
	case *ast.AliasNode:
		c.fail(v.Start, "YAML aliases (*name) are not supported in project files; write the value out")
		return &Node{Kind: KindNull}
	case *ast.MergeKeyNode:
		c.fail(v.Token, "YAML merge keys (<<) are not supported in project files; write the keys out")
		return &Node{Kind: KindNull}
	case *ast.MappingKeyNode:
		c.fail(v.Start, "complex mapping keys (?) are not supported in project files")
		return &Node{Kind: KindNull}
	case *ast.CommentGroupNode, *ast.CommentNode:
		return &Node{Kind: KindNull}
	case *ast.DirectiveNode:
		c.fail(v.Start, "YAML directives are not supported in project files")
		return &Node{Kind: KindNull}
	default:
		t := n.GetToken()
		c.fail(t, fmt.Sprintf("unsupported YAML construct %s", n.Type()))
		return &Node{Kind: KindNull}
	}
}

func (c *converter) scalar(t *token.Token, tag, value string) *Node {
	out := &Node{Kind: KindScalar, Tag: tag, Value: value}
	if t != nil {
		switch t.Type {
		case token.SingleQuoteType:
			out.Style = StyleSingle
		case token.DoubleQuoteType:
			out.Style = StyleDouble
		}
		out.Range = tokenRangeAfter(t, c.text, c.lines, c.floor)
	}
	return out
}

func (c *converter) pair(mv *ast.MappingValueNode) *Pair {
	var key *Node
	if mv.Key == nil {
		key = &Node{Kind: KindNull}
	} else {
		key = c.convert(mv.Key)
	}
	var val *Node
	if mv.Value == nil {
		val = &Node{Kind: KindNull}
	} else {
		saved := c.floor
		c.floor = key.Range.End
		val = c.convert(mv.Value)
		c.floor = saved
	}
	if val.Kind == KindNull && (val.Range.Empty() || val.Range.Start < key.Range.End || !isNullLiteral(c.text[val.Range.Start:val.Range.End])) {
		// An implicit null (`key:` with nothing after it): place it just after the colon.
		at := key.Range.End
		if mv.Start != nil {
			at = tokenStart(mv.Start, c.lines) + 1
		}
		val.Range = Range{at, at}
	}
	return &Pair{Key: key, Value: val}
}

func (c *converter) spanMapping(out *Node, start, end *token.Token) {
	if len(out.Pairs) == 0 {
		if start != nil {
			s := tokenStart(start, c.lines)
			e := s + 1
			if end != nil {
				e = tokenStart(end, c.lines) + 1
			}
			out.Range = Range{s, e}
		}
		return
	}
	s := out.Pairs[0].Key.Range.Start
	e := out.Pairs[len(out.Pairs)-1].Value.Range.End
	if last := out.Pairs[len(out.Pairs)-1]; last.Value.Range.End < last.Key.Range.End {
		e = last.Key.Range.End + 1
	}
	if out.Flow && start != nil {
		s = tokenStart(start, c.lines)
		if end != nil {
			e = tokenStart(end, c.lines) + 1
		}
	}
	out.Range = Range{s, e}
}

// shiftInPlace moves every range of a freshly built tree by delta bytes.
func shiftInPlace(n *Node, delta int) {
	n.Range.Start += delta
	n.Range.End += delta
	for _, p := range n.Pairs {
		shiftInPlace(p.Key, delta)
		shiftInPlace(p.Value, delta)
	}
	for _, it := range n.Items {
		shiftInPlace(it, delta)
	}
}

// isNullLiteral reports whether text is written-out YAML null (as opposed to nothing, which
// the library sometimes gives the range of a following comment).
func isNullLiteral(text []byte) bool {
	switch string(text) {
	case "null", "Null", "NULL", "~":
		return true
	}
	return false
}

// clampTree keeps every range of a tree within [0, size].
func clampTree(n *Node, size int) {
	n.Range.Start = max(0, min(n.Range.Start, size))
	n.Range.End = max(n.Range.Start, min(n.Range.End, size))
	for _, p := range n.Pairs {
		clampTree(p.Key, size)
		clampTree(p.Value, size)
	}
	for _, it := range n.Items {
		clampTree(it, size)
	}
}
