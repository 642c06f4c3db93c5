package python

import (
	"bytes"
	"slices"
	"sort"
	"strconv"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// reuse is what Reparse hands to the builder: the previous File and the
// edit between the two texts.
type reuse struct {
	old  *File
	edit Edit
}

// topEntry records a top-level statement converted from an error-free
// tree-sitter node, so that a later Reparse can reuse it.
type topEntry struct {
	start, end int
	kind       uint16
	count      int32 // nodes in the tree-sitter subtree
	stmt       Stmt
	errs       []SyntaxError // errors found while converting stmt
}

// builder assembles a module's statements and errors from the flattened
// tree, re-parsing the regions around syntax errors (see recoverRegion).
type builder struct {
	src    []byte
	reuse  *reuse
	reused map[uint32]topEntry // by start offset: entries taken from reuse.old
	body   []Stmt
	errs   []SyntaxError
	top    []topEntry
}

func (b *builder) build(nodes []flatNode) {
	defer func() {
		slices.SortStableFunc(b.errs, func(x, y SyntaxError) int { return x.Start - y.Start })
	}()
	if len(nodes) == 0 {
		return
	}
	c := &converter{src: b.src, nodes: nodes}
	kids := c.named(0)
	if !c.hasError(0) && !slices.ContainsFunc(kids, c.runsOn) {
		for _, k := range kids {
			b.emitClean(c, k)
		}
		return
	}
	for i := 0; i < len(kids); {
		k := kids[i]
		if !c.hasError(k) && !c.runsOn(k) {
			b.emitClean(c, k)
			i++
			continue
		}
		// The region to recover spans whole lines and every top-level
		// node that shares a line with the broken one.
		ls := lineStart(b.src, int(c.nodes[k].start))
		le := lineEnd(b.src, int(c.nodes[k].end))
		popped := false
		for len(b.body) > 0 && b.body[len(b.body)-1].Span().End > ls {
			last := b.body[len(b.body)-1]
			b.body = b.body[:len(b.body)-1]
			if n := len(b.top); n > 0 && b.top[n-1].stmt == last {
				b.top = b.top[:n-1]
			}
			ls = min(ls, lineStart(b.src, last.Span().Start))
			popped = true
		}
		j := i + 1
		for j < len(kids) && int(c.nodes[kids[j]].start) < le {
			le = max(le, lineEnd(b.src, int(c.nodes[kids[j]].end)))
			j++
		}
		chunks := splitChunks(b.src, ls, le)
		if !popped && j == i+1 && len(chunks) == 1 && c.nodes[k].flags&flagError == 0 && !c.runsOn(k) {
			// One broken compound or simple statement: the main tree's
			// recovery is as good as a re-parse.
			nerr := len(c.errs)
			b.body = append(b.body, c.stmt(k))
			b.errs = append(b.errs, collectErrors(c, k)...)
			b.errs = append(b.errs, c.errs[nerr:]...)
		} else {
			b.recoverRegion(c, ls, le, chunks)
		}
		i = j
	}
}

// plan decides, from the root's children, which top-level statements can
// be taken from the previous File. It returns the stub mask for
// flattenStubs and the number of nodes to expect.
func (b *builder) plan(top []flatNode) ([]byte, int) {
	stub := make([]byte, len(top))
	size := 1
	b.reused = make(map[uint32]topEntry)
	for k, n := range top {
		size += int(n.skip)
		if n.flags&(flagHasError|flagError|flagMissing) != 0 || n.flags&flagNamed == 0 || n.flags&flagExtra != 0 {
			continue
		}
		e := topEntry{start: int(n.start), end: int(n.end), kind: n.kind, count: n.skip}
		if o, ok := b.reuseOld(e); ok {
			b.reused[n.start] = o
			stub[k] = 1
			size -= int(n.skip) - 1
		}
	}
	return stub, size
}

// runsOn reports whether top-level node k is a simple statement that
// tree-sitter continued across a line break, which Python would not.
func (c *converter) runsOn(k int32) bool {
	n := &c.nodes[k]
	return isSimpleStmtKind(c.kind(k)) && bytes.IndexByte(c.src[n.start:n.end], '\n') >= 0 &&
		strayNewline(c.src[n.start:n.end]) >= 0
}

// emitClean converts (or reuses) an error-free top-level statement.
func (b *builder) emitClean(c *converter, k int32) {
	n := &c.nodes[k]
	e := topEntry{start: int(n.start), end: int(n.end), kind: n.kind, count: n.skip - k}
	if o, ok := b.reused[n.start]; ok {
		e = o
	} else {
		nerr := len(c.errs)
		e.stmt = c.stmt(k)
		if len(c.errs) > nerr {
			e.errs = slices.Clone(c.errs[nerr:])
		}
	}
	b.body = append(b.body, e.stmt)
	b.errs = append(b.errs, e.errs...)
	b.top = append(b.top, e)
}

// findOld returns the previous File's entry matching e's position and
// kind (translated across the edit), if e lies outside the edit.
func (b *builder) findOld(e topEntry) (topEntry, bool) {
	ed := b.reuse.edit
	delta := 0
	switch {
	case e.end <= ed.Start:
	case e.start >= ed.NewEnd:
		delta = ed.NewEnd - ed.OldEnd
	default:
		return topEntry{}, false
	}
	old := b.reuse.old.top
	want := e.start - delta
	j := sort.Search(len(old), func(j int) bool { return old[j].start >= want })
	if j == len(old) {
		return topEntry{}, false
	}
	o := old[j]
	if o.start != want || o.end != e.end-delta || o.kind != e.kind {
		return topEntry{}, false
	}
	return o, true
}

// reuseOld returns the previous File's entry for e if its text is
// untouched by the edit, with its ranges shifted if it moved.
func (b *builder) reuseOld(e topEntry) (topEntry, bool) {
	o, ok := b.findOld(e)
	if !ok || o.count != e.count {
		return topEntry{}, false
	}
	if d := e.start - o.start; d != 0 {
		o.start, o.end = e.start, e.end
		o.stmt = shiftStmt(o.stmt, d)
		errs := make([]SyntaxError, len(o.errs))
		for i, se := range o.errs {
			errs[i] = SyntaxError{Range: se.Range.shift(d), Message: se.Message}
		}
		o.errs = errs
	}
	return o, true
}

// recoverRegion re-parses the lines [ls, le) of a region that contains
// syntax errors, one chunk at a time. A chunk starts at each line that
// begins a top-level statement (see splitChunks), so an unclosed bracket
// or a half-typed line breaks only its own chunk instead of swallowing the
// rest of the file, as tree-sitter's recovery tends to.
func (b *builder) recoverRegion(main *converter, ls, le int, chunks [][2]int) {
	nerr := len(b.errs)
	lc := lineCounter{src: b.src}
	p := getParser()
	defer putParser(p)
	for _, ch := range chunks {
		tree := parseRange(p, b.src, ch[0], ch[1], &lc)
		if tree == nil {
			continue
		}
		nodes := flatten(tree, nil)
		tree.Close()
		if len(nodes) == 0 {
			continue
		}
		c := &converter{src: b.src, nodes: nodes}
		for _, k := range c.named(0) {
			b.body = append(b.body, c.stmt(k))
		}
		b.errs = append(b.errs, collectErrors(c, 0)...)
		b.errs = append(b.errs, c.errs...)
	}
	if len(b.errs) == nerr {
		// The chunks parsed cleanly although the whole did not: report
		// what the whole-file parse found in this region.
		for _, e := range collectErrors(main, 0) {
			if e.Start >= ls && e.Start <= le {
				b.errs = append(b.errs, e)
			}
		}
	}
}

// parseRange parses only the bytes [start, end) of src, keeping offsets
// relative to the whole of src.
func parseRange(p *sitter.Parser, src []byte, start, end int, lc *lineCounter) *sitter.Tree {
	r := sitter.Range{
		StartByte: uint(start), EndByte: uint(end),
		StartPoint: lc.point(start), EndPoint: lc.point(end),
	}
	if err := p.SetIncludedRanges([]sitter.Range{r}); err != nil {
		return nil
	}
	defer p.SetIncludedRanges(nil)
	return parseString(p, src, nil)
}

// lineCounter computes points for increasing offsets in one pass.
type lineCounter struct {
	src       []byte
	off, row  int
	lineStart int
}

func (lc *lineCounter) point(offset int) sitter.Point {
	if offset < lc.off {
		*lc = lineCounter{src: lc.src}
	}
	for i := lc.off; i < offset; i++ {
		if lc.src[i] == '\n' {
			lc.row++
			lc.lineStart = i + 1
		}
	}
	lc.off = offset
	return sitter.Point{Row: uint(lc.row), Column: uint(offset - lc.lineStart)}
}

// splitChunks cuts [ls, le) before every line that starts (in column 0)
// with an identifier, keyword or decorator, except continuation keywords
// (else, elif, except, finally) and definitions right after a decorator.
func splitChunks(src []byte, ls, le int) [][2]int {
	var out [][2]int
	start := ls
	prevDecorator := false
	for l := ls; l < le; {
		next := le
		if nl := bytes.IndexByte(src[l:le], '\n'); nl >= 0 {
			next = l + nl + 1
		}
		if l < next && isTopStart(src[l]) {
			if l > start && !prevDecorator && !isContinuation(src[l:next]) {
				out = append(out, [2]int{start, l})
				start = l
			}
			prevDecorator = src[l] == '@'
		}
		l = next
	}
	return append(out, [2]int{start, le})
}

func isTopStart(c byte) bool {
	return c == '_' || c == '@' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isContinuation(line []byte) bool {
	for _, kw := range []string{"else", "elif", "except", "finally"} {
		if bytes.HasPrefix(line, []byte(kw)) {
			if len(line) == len(kw) || !isIdentByte(line[len(kw)]) {
				return true
			}
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return isTopStart(c) && c != '@' || ('0' <= c && c <= '9')
}

func lineStart(src []byte, off int) int {
	return bytes.LastIndexByte(src[:off], '\n') + 1
}

func lineEnd(src []byte, off int) int {
	if off > 0 && off <= len(src) && src[off-1] == '\n' {
		return off
	}
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(src)
}

// collectErrors returns the ERROR and MISSING nodes below node i (visiting
// only subtrees that contain errors).
func collectErrors(c *converter, i int32) []SyntaxError {
	var out []SyntaxError
	end := c.nodes[i].skip
	for j := i; j < end; {
		n := &c.nodes[j]
		switch {
		case n.flags&flagError != 0:
			s, e := int(n.start), int(n.end)
			if nl := bytes.IndexByte(c.src[s:e], '\n'); nl >= 0 {
				e = s + nl // report the first line only
			}
			out = append(out, SyntaxError{Range: Range{s, max(s, e)}, Message: "invalid syntax"})
			j = n.skip
		case n.flags&flagMissing != 0:
			out = append(out, SyntaxError{Range: Range{int(n.start), int(n.end)}, Message: "missing " + missingName(kindName(n.kind))})
			j = n.skip
		case n.flags&flagHasError != 0:
			j++
		default:
			j = n.skip
		}
	}
	return out
}

func missingName(kind string) string {
	switch kind {
	case "identifier", "block", "expression", "string_end", "_newline", "_indent", "_dedent":
		switch kind {
		case "string_end":
			return "end of string"
		case "_newline":
			return "newline"
		case "_indent":
			return "indentation"
		case "_dedent":
			return "dedent"
		}
		return kind
	}
	return strconv.Quote(kind)
}
