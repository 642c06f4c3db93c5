package analysis

import (
	"fmt"
	"path"
	"reflect"
	"strings"
	"sync"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// modState is one loaded Python module: the entry file or a local helper module.
type modState struct {
	path    string // relative to the study root
	name    string
	src     []byte
	file    *python.File
	globals *scope
	loading bool
	done    bool
}

// scope maps names to values; function scopes chain to their module's globals.
type scope struct {
	vars    map[string]val
	parent  *scope
	journal *journal
}

func newScope(parent *scope) *scope { return &scope{vars: map[string]val{}, parent: parent} }

// journal records the first value each name had before a branch wrote it, so the branch's
// writes can be undone and compared with the other branch's.
type journal struct {
	old    map[string]val // nil value: the name did not exist
	order  []string
	parent *journal
}

// set binds a name, recording the old value in the active journal.
func (s *scope) set(name string, v val) {
	if j := s.journal; j != nil {
		if _, seen := j.old[name]; !seen {
			prev, ok := s.vars[name]
			if !ok {
				prev = nil
			}
			j.old[name] = prev
			j.order = append(j.order, name)
		}
	}
	s.vars[name] = v
}

// begin starts recording writes; end stops, undoes them and returns the values written.
func (s *scope) begin() { s.journal = &journal{old: map[string]val{}, parent: s.journal} }

func (s *scope) end() (written map[string]val, order []string) {
	j := s.journal
	s.journal = j.parent
	written = map[string]val{}
	for _, name := range j.order {
		written[name] = s.vars[name]
		if old := j.old[name]; old == nil {
			delete(s.vars, name)
		} else {
			s.vars[name] = old
		}
	}
	return written, j.order
}

func (s *scope) lookup(name string) (val, bool) {
	for x := s; x != nil; x = x.parent {
		if v, ok := x.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// frame is the execution state of one function body (or a module body).
type frame struct {
	mod     *modState
	sc      *scope
	ret     val
	retSet  bool
	stopped bool // return, break or continue reached
	brk     bool
	cont    bool
}

// Limits that keep analysis fast and finite on any input.
const (
	maxCallDepth  = 24
	maxLoopIters  = 512
	maxSteps      = 400000
	maxCollection = 10000
)

// interp is the abstract interpreter of one dataset definition.
type interp struct {
	snap    Snapshot
	version string
	params  []string // user arguments after `--`
	entry   string

	mods      map[string]*modState
	diags     []Diagnostic
	seen      map[string]bool
	spec      int // >0 while running a branch whose condition is unknown
	callDepth int
	steps     int
	exhausted bool

	// Hover and definition information, by file.
	types map[string][]TypeInfo
	defs  map[string][]DefInfo

	csvCache   map[string]*csvInfo
	lastAdded  int // index of the diagnostic reported last, -1 after a repeat
	perms      map[string]bool
	tablesUsed map[string]python.Range
	tableFile  map[string]string
	tableRefs  map[string]*qm.Table

	datasets []*datasetV
	measures []*measuresV
}

// TypeInfo records the inferred type of an expression, for hover.
type TypeInfo struct {
	Range Range
	Type  string // e.g. "DatePatientSeries", "codelist of 12 codes"
	Doc   string // documentation of the table, column, method or function named here
}

// DefInfo links a name to where it is defined, for go to definition.
type DefInfo struct {
	Range      Range
	TargetFile string
	Target     Range
}

type callCtx struct {
	node          *python.Call
	fn            val
	args          []val
	argN          []python.Expr
	kw            map[string]val
	kwN           map[string]*python.Keyword
	kwKeys        []string
	unknownSpread bool // *args or **kwargs we could not expand
	fr            *frame
}

func (c *callCtx) arg(i int, name string) (val, python.Node, bool) {
	if i >= 0 && i < len(c.args) {
		return c.args[i], c.argN[i], true
	}
	if v, ok := c.kw[name]; ok {
		return v, c.kwN[name].Value, true
	}
	return nil, nil, false
}

func rng(n python.Node) Range {
	if n == nil {
		return Range{}
	}
	if v := reflect.ValueOf(n); v.Kind() == reflect.Pointer && v.IsNil() {
		return Range{}
	}
	r := n.Span()
	return Range{r.Start, r.End}
}

// report adds a diagnostic in the module being run, once per place and code. In a branch
// whose condition is unknown, only errors that hold whichever way it goes are kept (all of
// ours are local to the expression, so they are kept).
func (in *interp) report(fr *frame, code Code, n python.Node, format string, args ...any) {
	in.reportSev(fr, code, code.Severity, rng(n), format, args...)
}

func (in *interp) reportSev(fr *frame, code Code, sev Severity, r Range, format string, args ...any) {
	file := in.entry
	if fr != nil && fr.mod != nil {
		file = fr.mod.path
	}
	msg := fmt.Sprintf(format, args...)
	k := fmt.Sprintf("%s:%d:%d:%s", file, r.Start, r.End, code.ID)
	if in.seen[k] {
		in.lastAdded = -1
		return
	}
	in.seen[k] = true
	in.diags = append(in.diags, Diagnostic{File: file, Range: r, Severity: sev, Code: code.ID, Message: msg})
	in.lastAdded = len(in.diags) - 1
}

// fix attaches a quick fix to the diagnostic just reported (if it was not a repeat).
func (in *interp) fix(title string, r Range, text string) {
	if in.lastAdded < 0 || in.lastAdded >= len(in.diags) {
		return
	}
	d := &in.diags[in.lastAdded]
	d.Fixes = append(d.Fixes, Fix{Title: title, Edits: []TextEdit{{Range: r, NewText: text}}})
}

// src returns the source text of a node in the module being run.
func (fr *frame) src(n python.Node) string {
	r := rng(n)
	if fr == nil || fr.mod == nil || r.End > len(fr.mod.src) || r.Start < 0 || r.End < r.Start {
		return ""
	}
	return string(fr.mod.src[r.Start:r.End])
}

func (in *interp) noteType(fr *frame, n python.Node, t, doc string) {
	if fr == nil || fr.mod == nil || n == nil {
		return
	}
	in.types[fr.mod.path] = append(in.types[fr.mod.path], TypeInfo{Range: rng(n), Type: t, Doc: doc})
}

func (in *interp) noteDef(fr *frame, n Range, file string, target Range) {
	if fr == nil || fr.mod == nil {
		return
	}
	in.defs[fr.mod.path] = append(in.defs[fr.mod.path], DefInfo{Range: n, TargetFile: file, Target: target})
}

func (in *interp) step() bool {
	in.steps++
	if in.steps > maxSteps {
		in.exhausted = true
		return false
	}
	return true
}

// loadModule parses and runs a local module once.
func (in *interp) loadModule(p string) *modState {
	if m, ok := in.mods[p]; ok {
		return m
	}
	src, err := in.snap.ReadFile(p)
	if err != nil {
		return nil
	}
	m := &modState{path: p, name: strings.TrimSuffix(path.Base(p), ".py"), src: src, file: parsePython(p, src)}
	m.globals = newScope(nil)
	m.globals.vars["__name__"] = pyStr(m.name)
	m.globals.vars["__file__"] = pyStr(p)
	in.mods[p] = m
	m.loading = true
	fr := &frame{mod: m, sc: m.globals}
	for _, e := range m.file.Errors {
		in.reportSev(fr, CodeEQSyntax, SeverityError, Range{e.Start, e.End}, "Python syntax error: %s", e.Message)
	}
	in.execBlock(fr, m.file.Module.Body)
	m.loading = false
	m.done = true
	return m
}

// resolveLocal finds a local module for a dotted import: relative to the importing file's
// folder, then to the study root (as ehrQL puts the definition's folder first on sys.path
// and studies run from the root).
func (in *interp) resolveLocal(fr *frame, dotted string, level int) string {
	rel := strings.ReplaceAll(dotted, ".", "/")
	var bases []string
	dir := path.Dir(fr.mod.path)
	if level > 0 {
		for i := 1; i < level; i++ {
			dir = path.Dir(dir)
		}
		bases = []string{dir}
	} else {
		bases = []string{dir, path.Dir(in.entry), "."}
	}
	for _, b := range bases {
		for _, cand := range []string{rel + ".py", rel + "/__init__.py"} {
			p := path.Clean(path.Join(b, cand))
			if rel == "" {
				p = path.Clean(path.Join(b, "__init__.py"))
			}
			if in.snap.Exists(p) {
				return p
			}
		}
	}
	return ""
}

// importModule returns the module value for a dotted name.
func (in *interp) importModule(fr *frame, dotted string, level int) val {
	if level == 0 {
		if m := in.stdModule(dotted); m != nil {
			return m
		}
		if _, ok := schema.LookupEhrQLModule(in.version, dotted); ok {
			return &moduleV{name: dotted, ehrql: dotted}
		}
		if dotted == "ehrql" || dotted == "databuilder" || strings.HasPrefix(dotted, "ehrql.") || strings.HasPrefix(dotted, "databuilder.") {
			// A package prefix such as ehrql.tables: its attributes are sub-modules.
			return &moduleV{name: dotted, pending: dotted}
		}
	}
	if p := in.resolveLocal(fr, dotted, level); p != "" {
		if p == fr.mod.path {
			return &moduleV{name: dotted, opaque: true}
		}
		m := in.loadModule(p)
		if m == nil {
			return &moduleV{name: dotted, opaque: true}
		}
		if m.loading {
			// A circular import: its names are not all known yet.
			return &moduleV{name: dotted, local: m, opaque: true}
		}
		return &moduleV{name: dotted, local: m}
	}
	return &moduleV{name: dotted, opaque: true}
}

// moduleAttr reads an attribute of a module value.
func (in *interp) moduleAttr(fr *frame, m *moduleV, name string, n python.Node) val {
	if m.attrs != nil {
		if v, ok := m.attrs[name]; ok {
			return v
		}
	}
	if m.local != nil {
		if v, ok := m.local.globals.vars[name]; ok {
			return v
		}
		if p := in.resolveLocal(&frame{mod: m.local}, m.name+"."+name, 0); p != "" {
			return in.importModule(fr, m.name+"."+name, 0)
		}
		return unknown
	}
	if m.ehrql != "" {
		return in.ehrqlName(fr, m.ehrql, name, n)
	}
	if m.pending != "" {
		return in.importModule(fr, m.pending+"."+name, 0)
	}
	return unknown
}

// Python statements.

func (in *interp) execBlock(fr *frame, body []python.Stmt) {
	for _, s := range body {
		if fr.stopped || in.exhausted {
			return
		}
		in.exec(fr, s)
	}
}

func (in *interp) exec(fr *frame, s python.Stmt) {
	if !in.step() {
		return
	}
	switch s := s.(type) {
	case *python.ExprStmt:
		in.eval(fr, s.X)
	case *python.Assign:
		v := in.eval(fr, s.Value)
		for _, t := range s.Targets {
			in.assign(fr, t, v, s.Value)
		}
	case *python.AnnAssign:
		if s.Value != nil {
			in.assign(fr, s.Target, in.eval(fr, s.Value), s.Value)
		}
	case *python.AugAssign:
		cur := in.eval(fr, s.Target)
		rhs := in.eval(fr, s.Value)
		v := in.binop(fr, &python.BinOp{Range: s.Range, Left: s.Target, Op: s.Op, Right: s.Value}, cur, rhs)
		if l, ok := cur.(*listV); ok && s.Op == "+" && !l.tuple {
			if r, ok := rhs.(*listV); ok {
				l.items = append(l.items, r.items...)
				return
			}
		}
		in.assign(fr, s.Target, v, s.Value)
	case *python.Import:
		for _, a := range s.Names {
			m := in.importModule(fr, a.Name, 0)
			if a.AsName != "" {
				fr.sc.set(a.AsName, m)
				continue
			}
			// `import a.b.c` binds `a`.
			top := a.Name
			if i := strings.IndexByte(top, '.'); i >= 0 {
				top = top[:i]
				if _, ok := fr.sc.vars[top]; !ok {
					fr.sc.set(top, in.importModule(fr, top, 0))
				}
				continue
			}
			fr.sc.set(top, m)
		}
	case *python.ImportFrom:
		in.importFrom(fr, s)
	case *python.FunctionDef:
		f := &funcV{name: s.Name, def: s, mod: fr.mod, closure: fr.sc}
		var v val = f
		for i := len(s.Decorators) - 1; i >= 0; i-- {
			d := in.eval(fr, s.Decorators[i])
			if isUnknown(d) {
				v = unknown
				break
			}
			v = in.call(fr, &python.Call{Range: s.Range, Func: s.Decorators[i]}, d, []val{v}, nil, nil, nil)
		}
		fr.sc.set(s.Name, v)
	case *python.ClassDef:
		fr.sc.set(s.Name, in.classDef(fr, s))
	case *python.Return:
		var v val = none
		if s.Value != nil {
			v = in.eval(fr, s.Value)
		}
		if !fr.retSet {
			fr.ret, fr.retSet = v, true
		} else if in.spec > 0 {
			fr.ret = mergeVals(fr.ret, v)
		}
		if in.spec == 0 {
			fr.stopped = true
		}
	case *python.If:
		in.execIf(fr, s)
	case *python.For:
		in.execFor(fr, s)
	case *python.While:
		t := in.eval(fr, s.Test)
		if b, ok := truth(t); ok && !b {
			in.execBlock(fr, s.Else)
			return
		}
		in.speculate(fr, func() { in.execBlock(fr, s.Body) })
	case *python.With:
		for _, it := range s.Items {
			in.eval(fr, it.Context)
			if it.Vars != nil {
				in.assign(fr, it.Vars, unknown, nil)
			}
		}
		in.execBlock(fr, s.Body)
	case *python.Try:
		in.speculate(fr, func() { in.execBlock(fr, s.Body) })
		for _, h := range s.Handlers {
			if h.Name != "" {
				fr.sc.set(h.Name, unknown)
			}
			in.speculate(fr, func() { in.execBlock(fr, h.Body) })
		}
		in.speculate(fr, func() { in.execBlock(fr, s.Else) })
		in.execBlock(fr, s.Finally)
	case *python.Global, *python.Nonlocal, *python.Pass, *python.Assert, *python.Raise:
		if r, ok := s.(*python.Raise); ok && in.spec == 0 && r.Exc != nil {
			// Unconditional raise: the rest of the block never runs.
			fr.stopped = true
		}
	case *python.Break:
		if in.spec == 0 {
			fr.brk, fr.stopped = true, true
		}
	case *python.Continue:
		if in.spec == 0 {
			fr.cont, fr.stopped = true, true
		}
	case *python.Delete:
		for _, t := range s.Targets {
			if n, ok := t.(*python.Name); ok {
				fr.sc.set(n.ID, unknown)
			}
		}
	case *python.Unknown:
		// A syntax error or a construct we do not model: its names become unknown.
		for _, p := range s.Parts {
			if st, ok := p.(python.Stmt); ok {
				in.speculate(fr, func() { in.exec(fr, st) })
			}
		}
	}
}

func sameKind(a, b val) bool { return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) }

// mergeVals combines the values a name may have after a branch we could not decide: equal
// values stay; two frames of one table, or two series of one type and dimension, become an
// opaque one of that shape (no domain, so no domain errors); anything else is unknown.
func mergeVals(a, b val) val {
	if a == b {
		return a
	}
	switch x := a.(type) {
	case *frameV:
		y, ok := b.(*frameV)
		if !ok || x.table == nil || y.table == nil || x.table.Name != y.table.Name || x.table.Module != y.table.Module || x.class != y.class {
			return unknown
		}
		if x.f.Key() == y.f.Key() {
			return a
		}
		return &frameV{f: qm.NewOpaqueFrame(x.f.Table(), x.f.Dim(), x.f.Sorted() && y.f.Sorted()), table: x.table, class: x.class, picked: x.picked && y.picked}
	case *seriesV:
		y, ok := b.(*seriesV)
		if !ok || x.s.Type() != y.s.Type() || x.s.Dim() != y.s.Dim() {
			return unknown
		}
		if x.s.Key() == y.s.Key() {
			return a
		}
		return &seriesV{s: qm.NewOpaque(x.s.Type(), x.s.Dim())}
	case *datasetV, *measuresV, *moduleV, *funcV, *builtinV, typeV:
		return unknown
	}
	ka, okA := hashKey(a)
	kb, okB := hashKey(b)
	if okA && okB && ka == kb {
		return a
	}
	return unknown
}

// speculate runs f as a branch that may or may not happen.
func (in *interp) speculate(fr *frame, f func()) {
	in.spec++
	stopped, brk, cont := fr.stopped, fr.brk, fr.cont
	f()
	fr.stopped, fr.brk, fr.cont = stopped, brk, cont
	in.spec--
}

func (in *interp) execIf(fr *frame, s *python.If) {
	t := in.eval(fr, s.Test)
	if sv, ok := t.(*seriesV); ok {
		in.report(fr, CodeEQBoolKeyword, s.Test, "The keywords 'and', 'or', and 'not' cannot be used with ehrQL, and neither can `if`: a %s has no True/False value; use case(when(...).then(...)) or the operators &, | and ~", typeName(sv))
		t = unknown
	}
	if b, ok := truth(t); ok {
		if b {
			in.execBlock(fr, s.Body)
		} else {
			in.execBlock(fr, s.Else)
		}
		return
	}
	// Unknown condition: both branches may run. Each branch's writes are recorded and
	// undone; afterwards a name keeps a value only when both ways agree on its kind.
	sc := fr.sc
	sc.begin()
	in.speculate(fr, func() { in.execBlock(fr, s.Body) })
	a, aOrder := sc.end()
	sc.begin()
	in.speculate(fr, func() { in.execBlock(fr, s.Else) })
	b, bOrder := sc.end()
	for _, name := range append(aOrder, bOrder...) {
		av, inA := a[name]
		bv, inB := b[name]
		cur, exists := sc.vars[name]
		if !inA {
			av, inA = cur, exists
		}
		if !inB {
			bv, inB = cur, exists
		}
		switch {
		case inA && inB:
			sc.set(name, mergeVals(av, bv))
		case inA || inB:
			sc.set(name, unknown)
		}
	}
}

func (in *interp) execFor(fr *frame, s *python.For) {
	it := in.eval(fr, s.Iter)
	items, ok := iterate(it)
	if !ok {
		in.assign(fr, s.Target, unknown, nil)
		in.speculate(fr, func() { in.execBlock(fr, s.Body) })
		return
	}
	for i, x := range items {
		if i >= maxLoopIters || in.exhausted {
			break
		}
		in.assign(fr, s.Target, x, nil)
		fr.brk, fr.cont = false, false
		in.execBlock(fr, s.Body)
		if fr.retSet && fr.stopped && !fr.brk && !fr.cont {
			return
		}
		if fr.brk {
			fr.brk, fr.stopped = false, false
			return
		}
		fr.cont, fr.stopped = false, false
	}
	in.execBlock(fr, s.Else)
}

// iterate lists the items of a known iterable.
func iterate(v val) ([]val, bool) {
	switch x := v.(type) {
	case *listV:
		return x.items, true
	case *setV:
		return x.items, true
	case *dictV:
		return x.keys, true
	case pyStr:
		var out []val
		for _, r := range string(x) {
			out = append(out, pyStr(string(r)))
		}
		return out, true
	case *codelistV:
		if !x.known {
			return nil, false
		}
		var out []val
		for _, c := range x.codes {
			out = append(out, pyStr(c))
		}
		return out, true
	}
	return nil, false
}

func (in *interp) assign(fr *frame, target python.Expr, v val, valueNode python.Expr) {
	switch t := target.(type) {
	case *python.Name:
		fr.sc.set(t.ID, v)
		in.noteValueType(fr, t, v)
	case *python.Tuple, *python.List:
		var elts []python.Expr
		if tt, ok := t.(*python.Tuple); ok {
			elts = tt.Elts
		} else {
			elts = t.(*python.List).Elts
		}
		items, ok := iterate(v)
		for i, e := range elts {
			if st, isStar := e.(*python.Starred); isStar {
				in.assign(fr, st.Value, unknown, nil)
				continue
			}
			if ok && len(items) == len(elts) {
				in.assign(fr, e, items[i], nil)
			} else {
				in.assign(fr, e, unknown, nil)
			}
		}
	case *python.Attribute:
		obj := in.eval(fr, t.Value)
		if ds, ok := obj.(*datasetV); ok {
			in.datasetSet(fr, ds, t.Attr, python.Range(t.AttrRange), v, valueNode, t)
			return
		}
		if m, ok := obj.(*moduleV); ok && m.local != nil {
			m.local.globals.vars[t.Attr] = v
		}
		if et, ok := obj.(*eventTableV); ok {
			et.cols[t.Attr] = v
		}
		if f, ok := obj.(*frameV); ok {
			// Python lets a study hang its own attributes on a frame object.
			if f.extra == nil {
				f.extra = map[string]val{}
			}
			f.extra[t.Attr] = v
		}
	case *python.Subscript:
		obj := in.eval(fr, t.Value)
		key := in.eval(fr, t.Index)
		switch o := obj.(type) {
		case *dictV:
			if _, ok := hashKey(key); ok {
				o.set(key, v)
			} else {
				// An unknown key: the dict's contents can no longer be trusted.
				o.keys, o.vals = nil, nil
			}
		case *listV:
			if i, ok := key.(pyInt); ok && int(i) < len(o.items) && i >= 0 {
				o.items[i] = v
			}
		}
	case *python.Starred:
		in.assign(fr, t.Value, unknown, nil)
	}
}

func (in *interp) noteValueType(fr *frame, n python.Node, v val) {
	switch x := v.(type) {
	case *seriesV:
		in.noteType(fr, n, typeName(x), "")
	case *frameV:
		in.noteType(fr, n, frameDescription(x), "")
	case *codelistV:
		in.noteType(fr, n, codelistDescription(x), "")
	case *datasetV, *measuresV, *dateDiffV, *whenV, *whenThenV:
		in.noteType(fr, n, typeName(x), "")
	case *durationV:
		if k, ok := x.n.(pyInt); ok {
			in.noteType(fr, n, fmt.Sprintf("%s(%d)", x.unit, k), "")
		} else {
			in.noteType(fr, n, x.unit, "")
		}
	}
}

func frameDescription(f *frameV) string {
	cls := f.class
	if f.f != nil && f.f.Sorted() && cls == "EventFrame" {
		cls = "sorted EventFrame"
	}
	if f.table != nil {
		return cls + " (" + f.table.Name + ")"
	}
	return cls
}

func codelistDescription(c *codelistV) string {
	if !c.known {
		return "codelist from " + c.path
	}
	s := fmt.Sprintf("codelist of %d codes from %s (column %s)", len(c.codes), c.path, c.column)
	if c.category {
		s += ", with categories"
	}
	return s
}

func (in *interp) importFrom(fr *frame, s *python.ImportFrom) {
	mod := in.importModule(fr, s.Module, s.Level)
	m, _ := mod.(*moduleV)
	if s.Star {
		switch {
		case m != nil && m.local != nil && !m.opaque:
			for k, v := range m.local.globals.vars {
				if !strings.HasPrefix(k, "_") {
					fr.sc.set(k, v)
				}
			}
		case m != nil && m.ehrql != "":
			if em, ok := schema.LookupEhrQLModule(in.version, m.ehrql); ok {
				for _, t := range em.Tables {
					fr.sc.set(t.Name, in.ehrqlName(fr, m.ehrql, t.Name, nil))
				}
				for _, e := range em.Exports {
					fr.sc.set(e, in.ehrqlName(fr, m.ehrql, e, nil))
				}
			}
		default:
			// Names from an unresolved module stay unknown (never reported as undefined).
		}
		return
	}
	for _, a := range s.Names {
		bind := a.Name
		if a.AsName != "" {
			bind = a.AsName
		}
		var v val = unknown
		if m != nil {
			switch {
			case m.ehrql != "":
				if em, _ := schema.LookupEhrQLModule(in.version, m.ehrql); !em.Has(a.Name) {
					if sub, ok := schema.LookupEhrQLModule(in.version, m.ehrql+"."+a.Name); ok {
						v = &moduleV{name: sub.Path, ehrql: m.ehrql + "." + a.Name}
						break
					}
					in.unknownEhrQLImport(fr, m.ehrql, a)
					v = unknown
					break
				}
				v = in.ehrqlName(fr, m.ehrql, a.Name, nil)
				in.noteImportDoc(fr, m.ehrql, a)
				if f, ok := v.(*frameV); ok && f.table != nil {
					in.useTable(fr, f.table, &python.Name{Range: a.NameRange, ID: a.Name})
				}
			case m.pending != "":
				v = in.importModule(fr, m.pending+"."+a.Name, 0)
				if sub, ok := v.(*moduleV); ok && sub.opaque && (strings.HasPrefix(m.pending, "ehrql") || strings.HasPrefix(m.pending, "databuilder")) {
					in.report(fr, CodeEQUnknownName, &python.Name{Range: a.NameRange, ID: a.Name}, "cannot import name '%s' from '%s'", a.Name, m.pending)
				}
			default:
				v = in.moduleAttr(fr, m, a.Name, nil)
				if m.local != nil && !m.opaque {
					if _, ok := m.local.globals.vars[a.Name]; ok {
						in.noteDef(fr, rngOf(a.NameRange), m.local.path, findDefinition(m.local, a.Name))
					}
				}
			}
		}
		fr.sc.set(bind, v)
	}
}

func rngOf(r python.Range) Range { return Range{r.Start, r.End} }

// findDefinition finds where a module binds a name at top level.
func findDefinition(m *modState, name string) Range {
	for _, s := range m.file.Module.Body {
		switch s := s.(type) {
		case *python.FunctionDef:
			if s.Name == name {
				return rngOf(s.NameRange)
			}
		case *python.ClassDef:
			if s.Name == name {
				return rngOf(s.NameRange)
			}
		case *python.Assign:
			for _, t := range s.Targets {
				if n, ok := t.(*python.Name); ok && n.ID == name {
					return rng(n)
				}
			}
		}
	}
	return Range{}
}

// pyCache keeps the last parse of each module so an edit re-parses incrementally.
var pyCache = struct {
	sync.Mutex
	m map[string]*python.File
}{m: map[string]*python.File{}}

// parsePython parses a module, reusing the previous parse of the same path.
func parsePython(p string, src []byte) *python.File {
	pyCache.Lock()
	old := pyCache.m[p]
	pyCache.Unlock()
	var f *python.File
	switch {
	case old != nil && string(old.Source) == string(src):
		return old
	case old != nil:
		f = old.Reparse(src, nil)
	default:
		f = python.Parse(src)
	}
	pyCache.Lock()
	if len(pyCache.m) > 256 {
		pyCache.m = map[string]*python.File{}
	}
	pyCache.m[p] = f
	pyCache.Unlock()
	return f
}
