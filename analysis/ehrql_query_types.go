package analysis

import (
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/schema"
)

// The static types behind the editor queries. The interpreter records the type of the names
// and attributes it evaluated (Definition.Types); the queries need the type of expressions it
// did not record (calls, half-typed lines), so eqVal follows a primary expression from the
// recorded types of its names through the catalogue's result rules.

// eqVal is what an expression is known to be.
type eqVal struct {
	class  string             // ehrQL class: "EventFrame", "SortedEventFrame", "PatientFrame", "DatePatientSeries", "Dataset", "days", ...
	table  *schema.EhrQLTable // the table of a frame
	picked bool               // a PatientFrame made by first_for_patient/last_for_patient (helper methods are gone)
	module string             // an ehrQL module ("ehrql.tables.tpp")
	fn     *schema.EhrQLFunction
	method *schema.EhrQLMethod // a method bound to recv
	recv   *eqVal
}

// isFrame reports whether v is a frame.
func (v *eqVal) isFrame() bool {
	return v != nil && (v.class == "EventFrame" || v.class == "SortedEventFrame" || v.class == "PatientFrame")
}

// dim returns the dimension of a series or frame class ("" when it has none).
func (v *eqVal) dim() string {
	switch {
	case v == nil:
		return ""
	case v.class == "PatientFrame" || strings.HasSuffix(v.class, "PatientSeries"):
		return schema.EhrQLPatient
	case strings.HasSuffix(v.class, "EventFrame") || strings.HasSuffix(v.class, "EventSeries"):
		return schema.EhrQLEvent
	}
	return ""
}

// describe renders v for hover.
func (v *eqVal) describe() string {
	switch {
	case v == nil:
		return ""
	case v.table != nil:
		return v.class + " (" + v.table.Name + ")"
	case v.module != "":
		return "module " + v.module
	case v.fn != nil:
		return v.fn.Signature()
	case v.method != nil:
		return v.method.Signature()
	}
	return v.class
}

// typer resolves the types of expressions of one file.
type typer struct {
	q     *EhrQLQuery
	defs  []*Definition // analyses whose recorded types are trusted, best first
	depth int
}

// recorded returns the value type the analyses recorded for exactly r.
func (t *typer) recorded(r Range) *eqVal {
	for _, def := range t.defs {
		if def == nil {
			continue
		}
		for _, ti := range def.Types[t.q.File] {
			if ti.Range == r {
				if v := t.parseType(ti.Type); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// sameName returns the latest value type recorded for another use of the name before off.
func (t *typer) sameName(name string, off int) *eqVal {
	src := t.q.Src
	var best *eqVal
	bestAt := -1
	for _, def := range t.defs {
		if def == nil {
			continue
		}
		for _, ti := range def.Types[t.q.File] {
			r := ti.Range
			if r.End > len(src) || r.Start < 0 || string(src[r.Start:r.End]) != name || r.Start >= off || r.Start < bestAt {
				continue
			}
			if v := t.parseType(ti.Type); v != nil {
				best, bestAt = v, r.Start
			}
		}
	}
	return best
}

// parseType reads a type the interpreter recorded: "EventFrame (clinical_events)", "sorted
// EventFrame (x)", "PatientFrame (patients)" or a series class. Other descriptions
// (codelists, signatures) are not values the queries can use.
func (t *typer) parseType(s string) *eqVal {
	sorted := strings.HasPrefix(s, "sorted ")
	s = strings.TrimPrefix(s, "sorted ")
	cls, rest, hasTable := strings.Cut(s, " (")
	switch cls {
	case "EventFrame", "PatientFrame":
		v := &eqVal{class: cls}
		if sorted {
			v.class = "SortedEventFrame"
		}
		if hasTable {
			v.table = t.q.tableNamed(strings.TrimSuffix(rest, ")"))
			if v.table != nil && cls == "PatientFrame" && v.table.Dimension == schema.EhrQLEvent {
				v.picked = true
			}
		}
		return v
	case "Dataset", "Measures", "DateDifference":
		return &eqVal{class: cls}
	}
	if _, _, ok := schema.ParseEhrQLSeriesClass(s); ok && !hasTable {
		return &eqVal{class: s}
	}
	return nil
}

// typeOf returns the type of e, a node of a tree whose offsets are shifted by base from the
// file's.
func (t *typer) typeOf(e python.Expr, base int) *eqVal {
	if t.depth > 12 {
		return nil
	}
	t.depth++
	defer func() { t.depth-- }()
	switch x := e.(type) {
	case *python.Name:
		r := Range{base + x.Start, base + x.End}
		if v := t.recorded(r); v != nil {
			return v
		}
		if v := t.q.imported(x.ID); v != nil {
			return v
		}
		if v := t.assigned(x.ID, r.Start); v != nil {
			return v
		}
		return t.sameName(x.ID, r.Start)
	case *python.Attribute:
		if v := t.recorded(Range{base + x.AttrRange.Start, base + x.AttrRange.End}); v != nil {
			return v
		}
		return t.q.member(t.typeOf(x.Value, base), x.Attr)
	case *python.Call:
		return t.q.callResult(t.typeOf(x.Func, base))
	}
	return nil
}

// assigned finds the last assignment `name = value` at module level (or in a block of it)
// before off, and returns the type of its value.
func (t *typer) assigned(name string, off int) *eqVal {
	var value python.Expr
	var walk func(body []python.Stmt)
	walk = func(body []python.Stmt) {
		for _, s := range body {
			if s.Span().Start >= off {
				return
			}
			switch s := s.(type) {
			case *python.Assign:
				for _, tg := range s.Targets {
					if n, ok := tg.(*python.Name); ok && n.ID == name && s.Value != nil && s.Value.Span().End <= off {
						value = s.Value
					}
				}
			case *python.AnnAssign:
				if n, ok := s.Target.(*python.Name); ok && n.ID == name && s.Value != nil && s.Value.Span().End <= off {
					value = s.Value
				}
			case *python.If:
				walk(s.Body)
				walk(s.Else)
			case *python.For:
				walk(s.Body)
			case *python.With:
				walk(s.Body)
			case *python.Try:
				walk(s.Body)
			}
		}
	}
	walk(t.q.parsed().Module.Body)
	if value == nil {
		return nil
	}
	return t.typeOf(value, 0)
}

// imported returns what a name bound by an import of an ehrQL module is.
func (q *EhrQLQuery) imported(name string) *eqVal {
	ver := q.version()
	for _, s := range q.parsed().Module.Body {
		switch s := s.(type) {
		case *python.ImportFrom:
			if s.Level != 0 || !schema.IsEhrQLModulePath(s.Module) {
				continue
			}
			for _, a := range s.Names {
				bind := a.Name
				if a.AsName != "" {
					bind = a.AsName
				}
				if bind == name {
					return q.member(&eqVal{module: s.Module}, a.Name)
				}
			}
			if s.Star {
				if v := q.member(&eqVal{module: s.Module}, name); v != nil {
					return v
				}
			}
		case *python.Import:
			for _, a := range s.Names {
				if !schema.IsEhrQLModulePath(a.Name) {
					continue
				}
				if a.AsName == name {
					if _, ok := schema.LookupEhrQLModule(ver, a.Name); ok {
						return &eqVal{module: a.Name}
					}
				}
				if root, _, _ := strings.Cut(a.Name, "."); a.AsName == "" && root == name {
					return &eqVal{module: root}
				}
			}
		}
	}
	return nil
}

// member returns the type of recv.name.
func (q *EhrQLQuery) member(recv *eqVal, name string) *eqVal {
	ver := q.version()
	switch {
	case recv == nil:
		return nil
	case recv.module != "":
		em, ok := schema.LookupEhrQLModule(ver, recv.module)
		if !ok {
			return nil
		}
		if tb, ok := em.Table(name); ok {
			return &eqVal{class: tb.FrameClass(), table: &tb}
		}
		if _, ok := schema.LookupEhrQLModule(ver, recv.module+"."+name); ok {
			return &eqVal{module: recv.module + "." + name}
		}
		if fn, ok := schema.LookupEhrQLFunction(ver, recv.module, name); ok {
			return &eqVal{fn: &fn}
		}
		return nil
	case recv.table != nil:
		if col, ok := recv.table.Column(name); ok {
			return &eqVal{class: schema.EhrQLSeriesClass(col.Type, recv.dim())}
		}
		if h, ok := recv.table.Helper(name); ok && h.In(ver) {
			if recv.picked && h.Kind == "method" {
				return nil
			}
			if h.Kind == "property" {
				return q.applyResult(&h, recv)
			}
			return &eqVal{method: &h, recv: recv}
		}
	}
	if recv.class == "" {
		return nil
	}
	m, ok := schema.LookupEhrQLMethod(ver, recv.class, name)
	if !ok || m.Kind == "operator" {
		return nil
	}
	if m.Kind == "property" {
		return q.applyResult(&m, recv)
	}
	return &eqVal{method: &m, recv: recv}
}

// callResult returns the type of calling f.
func (q *EhrQLQuery) callResult(f *eqVal) *eqVal {
	switch {
	case f == nil:
		return nil
	case f.method != nil:
		return q.applyResult(f.method, f.recv)
	case f.fn != nil:
		switch r := f.fn.Result; r {
		case "Dataset", "Measures", "when", "DateDifference":
			return &eqVal{class: r}
		case "Duration":
			return &eqVal{class: f.fn.Name}
		}
	}
	return nil
}

// applyResult applies a method's result and dimension rules to its receiver.
func (q *EhrQLQuery) applyResult(m *schema.EhrQLMethod, recv *eqVal) *eqVal {
	dim := recv.dim()
	if m.Dim == "patient" {
		dim = schema.EhrQLPatient
	}
	series := func(kind string) *eqVal {
		if c := schema.EhrQLSeriesClass(schema.EhrQLType{Kind: kind}, dim); c != "" {
			return &eqVal{class: c}
		}
		return nil
	}
	switch m.Result {
	case "same":
		if recv.isFrame() {
			cp := *recv
			return &cp
		}
		if t, _, ok := schema.ParseEhrQLSeriesClass(recv.class); ok {
			return series(t.Kind)
		}
		return &eqVal{class: recv.class}
	case "bool", "int", "float", "str", "date":
		return series(m.Result)
	case "frame":
		cp := *recv
		return &cp
	case "sorted-frame":
		cp := *recv
		cp.class = "SortedEventFrame"
		return &cp
	case "patient-frame":
		cp := *recv
		cp.picked = recv.class != "PatientFrame"
		cp.class = "PatientFrame"
		return &cp
	case "Duration":
		return &eqVal{class: recv.class}
	case "DateDifference", "Dataset", "Measures", "EventTable", "when", "WhenThen":
		return &eqVal{class: m.Result}
	}
	return nil
}

// tableNamed finds a table by its Python name: in the ehrQL modules the file imports first,
// then in the usual table modules of the version.
func (q *EhrQLQuery) tableNamed(name string) *schema.EhrQLTable {
	ver := q.version()
	var mods []string
	for _, s := range q.parsed().Module.Body {
		if s, ok := s.(*python.ImportFrom); ok && s.Level == 0 && schema.IsEhrQLModulePath(s.Module) {
			mods = append(mods, s.Module)
		}
	}
	mods = append(mods, "ehrql.tables.tpp", "ehrql.tables.core", "ehrql.tables.beta.tpp", "ehrql.tables.beta.core")
	for _, m := range mods {
		if tb, ok := schema.LookupEhrQLTable(ver, m, name); ok {
			return &tb
		}
	}
	for _, m := range schema.EhrQLModules(ver) {
		if tb, ok := m.Table(name); ok {
			return &tb
		}
	}
	return nil
}
