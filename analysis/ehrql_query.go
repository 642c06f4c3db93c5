package analysis

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/schema"
)

// Editor queries on dataset definitions: completion, hover, signature help and go to
// definition at a byte offset of a Python file, from the analysis of the definition that
// covers the file (Definition.Types and Defs) and the ehrQL catalogue. The position logic is
// in ehrql_query_scan.go, the types of expressions in ehrql_query_types.go.

// Completion kinds for Python files.
const (
	CompleteField CompletionKind = iota + 100 // a column of a table
	CompleteMethod
	CompleteFunction
	CompleteModule
	CompleteClass // a table
	CompleteArgument
)

// EhrQLQuery answers editor questions about one Python file of a study.
type EhrQLQuery struct {
	Snap Snapshot
	File string // the file, relative to the study root
	Src  []byte // its text (the editor's buffer)
	// Def is the analysis of the definition that covers File, with Src in Snap; nil when
	// there is none (catalogue facts still work).
	Def *Definition
	// Reanalyze, when set, analyses the definition again with File's text replaced by src;
	// completion uses it to type the expression before a `.` of a half-typed line.
	Reanalyze func(src []byte) *Definition

	once sync.Once
	file *python.File
}

func (q *EhrQLQuery) version() string {
	if q.Def != nil && q.Def.Version != "" {
		return q.Def.Version
	}
	return schema.EhrQLV1
}

func (q *EhrQLQuery) parsed() *python.File {
	q.once.Do(func() { q.file = python.Parse(q.Src) })
	return q.file
}

// ImportsEhrQL reports whether Python source imports ehrQL (or its old name, databuilder).
func ImportsEhrQL(src []byte) bool {
	for _, s := range python.Parse(src).Module.Body {
		switch s := s.(type) {
		case *python.ImportFrom:
			if s.Level == 0 && schema.IsEhrQLModulePath(s.Module) {
				return true
			}
		case *python.Import:
			for _, a := range s.Names {
				if schema.IsEhrQLModulePath(a.Name) {
					return true
				}
			}
		}
	}
	return false
}

// EhrQLAnalyses returns the analyses that cover file: those of the definitions project.yaml
// runs (p may be nil) that load it, the entry itself or as a local module it imports; else,
// for a file that imports ehrQL, the file analysed on its own as a v1 definition. analyze
// performs (or recalls) one analysis.
func EhrQLAnalyses(snap Snapshot, p *Project, file string, analyze func(EhrQLEntry) *Definition) []*Definition {
	var out []*Definition
	if p != nil {
		for _, e := range EhrQLEntries(p) {
			if !snap.Exists(e.File) {
				continue
			}
			e.Params = nil // several actions may share the file: follow every branch
			def := analyze(e)
			if def != nil && containsString(def.Files, file) {
				out = append(out, def)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	src, err := snap.ReadFile(file)
	if err != nil || !ImportsEhrQL(src) {
		return nil
	}
	if def := analyze(EhrQLEntry{File: file, Version: schema.EhrQLV1}); def != nil {
		out = append(out, def)
	}
	return out
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// EhrQLDiagnosticsFor returns the diagnostics of file from the analyses that cover it, each
// once.
func EhrQLDiagnosticsFor(defs []*Definition, file string) []Diagnostic {
	var out []Diagnostic
	seen := map[string]bool{}
	for _, def := range defs {
		for _, d := range def.Diagnostics {
			if d.File != file {
				continue
			}
			k := fmt.Sprintf("%d:%d:%s:%s", d.Range.Start, d.Range.End, d.Code, d.Message)
			if !seen[k] {
				seen[k] = true
				out = append(out, d)
			}
		}
	}
	SortDiagnostics(out)
	return out
}

var (
	importNamesRe  = regexp.MustCompile(`^\s*from\s+([\w.]+)\s+import\s+\(?((?:\s*\w+(?:\s+as\s+\w+)?\s*,)*)\s*\w*$`)
	importModuleRe = regexp.MustCompile(`^\s*(?:from|import)\s+([\w.]*)$`)
	keywordArgRe   = regexp.MustCompile(`^\s*(\w+)\s*=`)
	usedKeywordRe  = regexp.MustCompile(`[(,]\s*(\w+)\s*=[^=]`)
	stringArgRe    = regexp.MustCompile(`^\s*(?:(\w+)\s*=\s*)?[rRuUbBfF]{0,2}$`)
	firstStringRe  = regexp.MustCompile(`^\s*(?:filename\s*=\s*)?[rRuU]?(["'])([^"'\n]*)["']`)
)

// Complete proposes completions at byte offset off.
func (q *EhrQLQuery) Complete(off int) []Completion {
	src := q.Src
	if off < 0 || off > len(src) {
		return nil
	}
	st := scanPython(src, off)
	if st.inComment {
		return nil
	}
	if st.inString {
		return q.completeString(&st, off)
	}
	ls, _ := lineBounds(src, off)
	prefix := string(src[ls:off])
	ws, we := identAround(src, off)
	word := Range{ws, we}
	if m := importNamesRe.FindStringSubmatch(prefix); m != nil {
		return q.completeImportNames(m[1], m[2], word)
	}
	if m := importModuleRe.FindStringSubmatch(prefix); m != nil {
		return q.completeModules(m[1], word)
	}
	if ws > 0 && src[ws-1] == '.' {
		return q.completeMember(&st, ws-1, word)
	}
	if i := st.innermostCall(src); i == len(st.open)-1 && i >= 0 && strings.TrimSpace(string(src[st.argStart[i]:ws])) == "" {
		return q.completeKeywords(&st, i, word)
	}
	return nil
}

// exprType returns the type of the primary expression src[start:end], which must parse on
// its own.
func (q *EhrQLQuery) exprType(defs []*Definition, start, end int) *eqVal {
	if start >= end {
		return nil
	}
	f := python.Parse(q.Src[start:end])
	if len(f.Errors) > 0 || len(f.Module.Body) != 1 {
		return nil
	}
	es, ok := f.Module.Body[0].(*python.ExprStmt)
	if !ok {
		return nil
	}
	t := &typer{q: q, defs: defs}
	return t.typeOf(es.X, start)
}

// typeBefore returns the type of the primary expression that ends at end (a `.` or `(`).
// When the analysis of the buffer does not type it, the definition is analysed again with
// the half-typed rest of the line (from end to the end of the word being typed) removed and
// open brackets closed.
func (q *EhrQLQuery) typeBefore(st *pyScan, end, wordEnd int) *eqVal {
	start := primaryStart(q.Src, end, st.match)
	if start >= end {
		return nil
	}
	if v := q.exprType([]*Definition{q.Def}, start, end); v != nil {
		return v
	}
	if q.Reanalyze == nil {
		return nil
	}
	_, le := lineBounds(q.Src, wordEnd)
	rest := string(q.Src[wordEnd:le])
	fixed := string(q.Src[:end]) + rest + string(q.Src[le:])
	if pf := python.Parse([]byte(fixed)); len(pf.Errors) > 0 {
		fixed = string(q.Src[:end]) + rest + closers(q.Src, st.open) + string(q.Src[le:])
	}
	def := q.Reanalyze([]byte(fixed))
	if def == nil {
		return nil
	}
	return q.exprType([]*Definition{def, q.Def}, start, end)
}

// completeMember proposes the columns, methods and names after the `.` at dot.
func (q *EhrQLQuery) completeMember(st *pyScan, dot int, word Range) []Completion {
	v := q.typeBefore(st, dot, word.End)
	if v == nil {
		return nil
	}
	return q.members(v, word)
}

// members lists what can follow `v.`.
func (q *EhrQLQuery) members(v *eqVal, word Range) []Completion {
	ver := q.version()
	var out []Completion
	add := func(c Completion) {
		c.Replace = word
		if c.Insert == "" {
			c.Insert = c.Label
		}
		if c.Sort == "" {
			c.Sort = fmt.Sprintf("%04d", len(out))
		}
		out = append(out, c)
	}
	if v.module != "" {
		em, ok := schema.LookupEhrQLModule(ver, v.module)
		if !ok {
			return nil
		}
		q.moduleNames(em, add, nil)
		return out
	}
	if v.table != nil {
		for _, c := range v.table.Columns {
			add(Completion{Label: c.Name, Kind: CompleteField, Detail: schema.EhrQLSeriesClass(c.Type, v.dim()), Doc: c.Doc})
		}
		for _, h := range v.table.Helpers {
			if !h.In(ver) || h.Hidden || (v.picked && h.Kind == "method") {
				continue
			}
			add(Completion{Label: h.Name, Kind: methodKind(h), Detail: h.Signature(), Doc: h.Doc})
		}
	}
	if v.class == "" {
		return out
	}
	for _, m := range schema.EhrQLMethods(ver, v.class) {
		if m.Kind == "operator" || m.Hidden || strings.HasPrefix(m.Name, "_") {
			continue
		}
		add(Completion{Label: m.Name, Kind: methodKind(m), Detail: m.Signature(), Doc: m.Doc})
	}
	return out
}

func methodKind(m schema.EhrQLMethod) CompletionKind {
	if m.Kind == "property" {
		return CompleteField
	}
	return CompleteMethod
}

// moduleNames lists the public names of an ehrQL module: tables, functions and submodules.
func (q *EhrQLQuery) moduleNames(em schema.EhrQLModule, add func(Completion), skip map[string]bool) {
	ver := q.version()
	for _, t := range em.Tables {
		if !skip[t.Name] {
			add(Completion{Label: t.Name, Kind: CompleteClass, Detail: t.FrameClass(), Doc: t.Doc})
		}
	}
	for _, f := range schema.EhrQLFunctions(ver, em.Path) {
		if f.Hidden || skip[f.Name] {
			continue
		}
		add(Completion{Label: f.Name, Kind: CompleteFunction, Detail: f.Signature(), Doc: f.Doc})
	}
	for _, s := range em.Submodules {
		if !skip[s] {
			add(Completion{Label: s, Kind: CompleteModule, Detail: "module " + em.Path + "." + s})
		}
	}
}

// completeImportNames proposes the names of `from module import …`.
func (q *EhrQLQuery) completeImportNames(module, already string, word Range) []Completion {
	em, ok := schema.LookupEhrQLModule(q.version(), module)
	if !ok {
		return nil
	}
	skip := map[string]bool{}
	for _, part := range strings.Split(already, ",") {
		if f := strings.Fields(part); len(f) > 0 {
			skip[f[0]] = true
		}
	}
	var out []Completion
	q.moduleNames(em, func(c Completion) {
		c.Replace, c.Insert, c.Sort = word, c.Label, fmt.Sprintf("%04d", len(out))
		out = append(out, c)
	}, skip)
	return out
}

// completeModules proposes the next part of an ehrQL module path after `import` or `from`.
func (q *EhrQLQuery) completeModules(typed string, word Range) []Completion {
	dot := strings.LastIndexByte(typed, '.')
	parent := typed[:dot+1]
	seen := map[string]bool{}
	var out []Completion
	for _, m := range schema.EhrQLModules(q.version()) {
		if !strings.HasPrefix(m.Path, parent) || !strings.HasPrefix(m.Path, typed) {
			continue
		}
		next, _, _ := strings.Cut(m.Path[len(parent):], ".")
		if next == "" || seen[next] {
			continue
		}
		seen[next] = true
		out = append(out, Completion{Label: next, Kind: CompleteModule, Detail: "module " + parent + next, Insert: next, Replace: word})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	for i := range out {
		out[i].Sort = fmt.Sprintf("%04d", i)
	}
	return out
}

// callee returns the function or bound method called by the parenthesis at open.
func (q *EhrQLQuery) callee(st *pyScan, open int) *eqVal {
	v := q.typeBefore(st, open, open)
	if v == nil || (v.fn == nil && v.method == nil) {
		return nil
	}
	return v
}

func (v *eqVal) params() []schema.EhrQLParam {
	if v.method != nil {
		return v.method.Params
	}
	return v.fn.Params
}

// completeKeywords proposes `name=` for the parameters of the call around the cursor that
// have not been given yet.
func (q *EhrQLQuery) completeKeywords(st *pyScan, i int, word Range) []Completion {
	open := st.open[i]
	f := q.callee(st, open)
	if f == nil {
		return nil
	}
	used := map[string]bool{}
	for _, m := range usedKeywordRe.FindAllStringSubmatch(string(q.Src[open:word.Start]), -1) {
		used[m[1]] = true
	}
	var out []Completion
	for _, p := range f.params() {
		if p.Variadic || p.Keywords || used[p.Name] {
			continue
		}
		sortKey := "1"
		if p.KeywordOnly {
			sortKey = "0"
		}
		detail := "parameter"
		if p.Default != "" {
			detail += ", default " + p.Default
		}
		out = append(out, Completion{Label: p.Name + "=", Kind: CompleteArgument, Detail: detail, Doc: p.Doc,
			Insert: p.Name + "=", Replace: word, Sort: fmt.Sprintf("%s%04d", sortKey, len(out))})
	}
	return out
}

// stringCall describes the string literal the cursor is in when it is an argument of a
// call: the callee's last name, the keyword (or "" for a positional argument) and the
// argument's position.
type stringCall struct {
	fn      string
	keyword string
	index   int
	open    int
}

func (q *EhrQLQuery) stringArg(st *pyScan) (stringCall, bool) {
	i := st.innermostCall(q.Src)
	if i != len(st.open)-1 || i < 0 {
		return stringCall{}, false
	}
	open := st.open[i]
	m := stringArgRe.FindStringSubmatch(string(q.Src[st.argStart[i]:st.strQuote]))
	if m == nil {
		return stringCall{}, false
	}
	s, e := identAround(q.Src, open)
	if s == e || e != open {
		return stringCall{}, false
	}
	return stringCall{fn: string(q.Src[s:e]), keyword: m[1], index: st.commas[i], open: open}, true
}

// completeString proposes codelist CSV paths inside `codelist_from_csv("`, and the columns
// of the CSV for `column="` and `category_column="`.
func (q *EhrQLQuery) completeString(st *pyScan, off int) []Completion {
	call, ok := q.stringArg(st)
	if !ok || call.fn != "codelist_from_csv" {
		return nil
	}
	end := off
	for end < len(q.Src) && q.Src[end] != st.quote && q.Src[end] != '\n' {
		end++
	}
	replace := Range{st.strContent, end}
	typed := string(q.Src[st.strContent:off])
	switch {
	case call.keyword == "filename" || call.keyword == "" && call.index == 0:
		return q.completeCSVPaths(typed, replace)
	case call.keyword == "column" || call.keyword == "category_column":
		m := firstStringRe.FindStringSubmatch(string(q.Src[call.open+1:]))
		if m == nil {
			return nil
		}
		data, err := q.Snap.ReadFile(path.Clean(m[2]))
		if err != nil {
			return nil
		}
		info, err := DescribeCSV(data)
		if err != nil {
			return nil
		}
		var out []Completion
		for i, c := range info.Columns {
			if strings.HasPrefix(c, typed) {
				out = append(out, Completion{Label: c, Kind: CompleteValue, Detail: "column of " + m[2], Insert: c, Replace: replace, Sort: fmt.Sprintf("%04d", i)})
			}
		}
		return out
	}
	return nil
}

// completeCSVPaths proposes the CSV files of the study, and the CSVs codelists.txt lists
// that are not downloaded yet.
func (q *EhrQLQuery) completeCSVPaths(typed string, replace Range) []Completion {
	seen := map[string]bool{}
	var out []Completion
	add := func(p, detail string) {
		if seen[p] || !strings.HasPrefix(p, typed) {
			return
		}
		seen[p] = true
		out = append(out, Completion{Label: p, Kind: CompleteFile, Detail: detail, Insert: p, Replace: replace})
	}
	if text, err := q.Snap.ReadFile(CodelistsFile); err == nil {
		for _, l := range ParseCodelistsTxt(text) {
			if l.Path() != "" {
				add(l.Path(), l.ID)
			}
		}
	}
	for _, f := range q.Snap.Files() {
		if strings.HasSuffix(strings.ToLower(f), ".csv") && !strings.HasPrefix(f, "output/") {
			add(f, "")
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := strings.HasPrefix(out[i].Label, CodelistsDir+"/"), strings.HasPrefix(out[j].Label, CodelistsDir+"/")
		if ci != cj {
			return ci
		}
		return out[i].Label < out[j].Label
	})
	for i := range out {
		out[i].Sort = fmt.Sprintf("%04d", i)
	}
	return out
}

// CodelistPathAt returns the CSV path of the codelist_from_csv string literal at off, with
// the range of its text.
func (q *EhrQLQuery) CodelistPathAt(off int) (string, Range, bool) {
	if off < 0 || off > len(q.Src) {
		return "", Range{}, false
	}
	for _, n := range q.parsed().NodeAt(off) {
		c, ok := n.(*python.Call)
		if !ok || !c.ArgsRange.Contains(off) {
			continue
		}
		name := ""
		switch f := c.Func.(type) {
		case *python.Name:
			name = f.ID
		case *python.Attribute:
			name = f.Attr
		}
		if name != "codelist_from_csv" {
			continue
		}
		var arg python.Expr
		if len(c.Args) > 0 {
			arg = c.Args[0]
		}
		for _, k := range c.Keywords {
			if k.Arg == "filename" {
				arg = k.Value
			}
		}
		s, ok := arg.(*python.Str)
		if !ok || !s.Range.Contains(off) {
			continue
		}
		return path.Clean(s.Value), Range{s.Start, s.End}, true
	}
	return "", Range{}, false
}

// Hover explains what is at off: the type the analysis inferred and the documentation of
// the table, column, method or function; else what the catalogue says of an imported name.
func (q *EhrQLQuery) Hover(off int) (Hover, bool) {
	if q.Def != nil {
		var best *TypeInfo
		for i, ti := range q.Def.Types[q.File] {
			if !ti.Range.Contains(off) || ti.Range.Empty() {
				continue
			}
			if best == nil || ti.Range.End-ti.Range.Start < best.Range.End-best.Range.Start || (ti.Range == best.Range && best.Doc == "" && ti.Doc != "") {
				best = &q.Def.Types[q.File][i]
			}
		}
		if best != nil {
			return Hover{Range: best.Range, Markdown: hoverText(best.Type, best.Doc)}, true
		}
	}
	return q.hoverCatalogue(off)
}

func hoverText(typ, doc string) string {
	s := "```python\n" + typ + "\n```"
	if doc != "" {
		s += "\n\n" + doc
	}
	return s
}

// hoverCatalogue documents names from the catalogue alone.
func (q *EhrQLQuery) hoverCatalogue(off int) (Hover, bool) {
	nodes := q.parsed().NodeAt(off)
	if len(nodes) == 0 {
		return Hover{}, false
	}
	switch n := nodes[len(nodes)-1].(type) {
	case *python.Name:
		v := q.imported(n.ID)
		if v == nil {
			v = (&typer{q: q, defs: []*Definition{q.Def}}).typeOf(n, 0)
		}
		return q.hoverVal(v, Range{n.Start, n.End})
	case *python.Attribute:
		if !n.AttrRange.Contains(off) {
			return Hover{}, false
		}
		t := &typer{q: q, defs: []*Definition{q.Def}}
		recv := t.typeOf(n.Value, 0)
		r := Range{n.AttrRange.Start, n.AttrRange.End}
		if recv != nil && recv.table != nil {
			if col, ok := recv.table.Column(n.Attr); ok {
				return Hover{Range: r, Markdown: hoverText(schema.EhrQLSeriesClass(col.Type, recv.dim()), col.Doc)}, true
			}
		}
		return q.hoverVal(q.member(recv, n.Attr), r)
	case *python.Alias:
		for _, s := range q.parsed().Module.Body {
			if imp, ok := s.(*python.ImportFrom); ok && imp.Range.Contains(off) && schema.IsEhrQLModulePath(imp.Module) && n.NameRange.Contains(off) {
				return q.hoverVal(q.member(&eqVal{module: imp.Module}, n.Name), Range{n.NameRange.Start, n.NameRange.End})
			}
		}
	}
	return Hover{}, false
}

func (q *EhrQLQuery) hoverVal(v *eqVal, r Range) (Hover, bool) {
	switch {
	case v == nil:
		return Hover{}, false
	case v.method != nil:
		return Hover{Range: r, Markdown: hoverText(v.method.Signature(), v.method.Doc)}, true
	case v.fn != nil:
		return Hover{Range: r, Markdown: hoverText(v.fn.Signature(), v.fn.Doc)}, true
	case v.table != nil:
		return Hover{Range: r, Markdown: hoverText(v.describe(), v.table.Doc)}, true
	case v.module != "":
		em, _ := schema.LookupEhrQLModule(q.version(), v.module)
		return Hover{Range: r, Markdown: hoverText(v.describe(), em.Doc)}, true
	case v.class != "":
		return Hover{Range: r, Markdown: hoverText(v.class, "")}, true
	}
	return Hover{}, false
}

// SignatureParam is one parameter of a signature: its place in the label, and its doc.
type SignatureParam struct {
	Start, End int // byte offsets into SignatureHelp.Label
	Doc        string
}

// SignatureHelp describes the call around the cursor.
type SignatureHelp struct {
	Label  string // e.g. "codelist_from_csv(filename, *, column, category_column=None)"
	Doc    string
	Params []SignatureParam
	Active int // the parameter being written; -1 when none
}

// SignatureHelp returns the signature of the ehrQL method or function whose call holds off.
func (q *EhrQLQuery) SignatureHelp(off int) (SignatureHelp, bool) {
	if off < 0 || off > len(q.Src) {
		return SignatureHelp{}, false
	}
	st := scanPython(q.Src, off)
	i := st.innermostCall(q.Src)
	if i < 0 || st.inComment {
		return SignatureHelp{}, false
	}
	f := q.callee(&st, st.open[i])
	if f == nil {
		return SignatureHelp{}, false
	}
	name, doc := "", ""
	if f.method != nil {
		name, doc = f.method.Name, f.method.Doc
	} else {
		name, doc = f.fn.Name, f.fn.Doc
	}
	params := f.params()
	label, spans := renderSignature(name, params)
	want := ""
	if f.method != nil {
		want = f.method.Signature()
	} else {
		want = f.fn.Signature()
	}
	if label != want {
		return SignatureHelp{Label: want, Doc: doc, Active: -1}, true
	}
	h := SignatureHelp{Label: label, Doc: doc, Active: -1}
	for j, sp := range spans {
		h.Params = append(h.Params, SignatureParam{Start: sp[0], End: sp[1], Doc: params[j].Doc})
	}
	arg := string(q.Src[st.argStart[i]:off])
	if i != len(st.open)-1 {
		arg = string(q.Src[st.argStart[i]:st.open[i+1]])
	}
	if m := keywordArgRe.FindStringSubmatch(arg); m != nil {
		for j, p := range params {
			if p.Name == m[1] {
				h.Active = j
			}
		}
		return h, true
	}
	pos := 0
	for j, p := range params {
		if p.KeywordOnly || p.Keywords {
			// More positional arguments than positional parameters: the next keyword is
			// what the user is most likely to write.
			used := map[string]bool{}
			for _, m := range usedKeywordRe.FindAllStringSubmatch(string(q.Src[st.open[i]:off]), -1) {
				used[m[1]] = true
			}
			for k := j; k < len(params); k++ {
				if params[k].KeywordOnly && !used[params[k].Name] {
					h.Active = k
					break
				}
			}
			break
		}
		if p.Variadic {
			h.Active = j
			break
		}
		if pos == st.commas[i] {
			h.Active = j
			break
		}
		pos++
	}
	return h, true
}

// renderSignature renders a signature as the catalogue does, recording where each
// parameter's text is.
func renderSignature(name string, params []schema.EhrQLParam) (string, [][2]int) {
	s := name + "("
	star := false
	var spans [][2]int
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		switch {
		case p.Variadic:
			s += "*"
			star = true
		case p.Keywords:
			s += "**"
		case p.KeywordOnly && !star:
			s += "*, "
			star = true
		}
		start := len(s)
		s += p.Name
		if p.Default != "" {
			s += "=" + p.Default
		}
		spans = append(spans, [2]int{start, len(s)})
	}
	return s + ")", spans
}

// Definition answers "go to definition" at off: a name imported from a local module goes to
// its definition there; a codelist_from_csv path goes to the CSV.
func (q *EhrQLQuery) Definition(off int) []Location {
	if p, _, ok := q.CodelistPathAt(off); ok {
		if q.Snap != nil && q.Snap.Exists(p) {
			return []Location{{File: p}}
		}
		return nil
	}
	if q.Def == nil {
		return nil
	}
	defs := q.Def.Defs[q.File]
	for _, d := range defs {
		if d.Range.Contains(off) {
			return []Location{{File: d.TargetFile, Range: d.Target}}
		}
	}
	nodes := q.parsed().NodeAt(off)
	if len(nodes) == 0 {
		return nil
	}
	n, ok := nodes[len(nodes)-1].(*python.Name)
	if !ok {
		return nil
	}
	for _, s := range q.parsed().Module.Body {
		imp, ok := s.(*python.ImportFrom)
		if !ok {
			continue
		}
		for _, a := range imp.Names {
			bind := a.Name
			if a.AsName != "" {
				bind = a.AsName
			}
			if bind != n.ID {
				continue
			}
			for _, d := range defs {
				if d.Range == (Range{a.NameRange.Start, a.NameRange.End}) {
					return []Location{{File: d.TargetFile, Range: d.Target}}
				}
			}
		}
	}
	return nil
}
