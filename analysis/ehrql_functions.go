package analysis

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// ehrqlFunction returns the value of a module-level ehrQL name.
func (in *interp) ehrqlFunction(f schema.EhrQLFunction) val {
	name := f.Name
	switch name {
	case "create_dataset", "Dataset":
		return bi(name, func(in *interp, c *callCtx) val {
			st := &datasetState{ds: &qm.Dataset{}, columns: map[string]python.Range{}, maybe: map[string]bool{}, created: c.node.Range, file: c.fr.mod.path}
			d := &datasetV{st: st}
			in.datasets = append(in.datasets, d)
			return d
		})
	case "create_measures", "Measures":
		return bi(name, func(in *interp, c *callCtx) val {
			m := &measuresV{st: &measuresState{m: &qm.Measures{DisclosureControl: true}, names: map[string]bool{}, defaults: map[string]val{}}}
			in.measures = append(in.measures, m)
			return m
		})
	case "days", "weeks", "months", "years":
		return bi(name, func(in *interp, c *callCtx) val {
			v, n, ok := c.arg(0, "value")
			if !ok {
				return unknown
			}
			switch x := v.(type) {
			case pyInt, unknownV:
			case *seriesV:
				if x.s.Type().Kind != qm.Int && x.s.Type().Kind != qm.Unknown {
					in.report(c.fr, CodeEQTypeMismatch, n, "%s() needs an int or an int series, not %s", name, typeName(v))
					return unknown
				}
			default:
				in.report(c.fr, CodeEQTypeMismatch, n, "%s() needs an int or an int series, not %s", name, typeName(v))
				return unknown
			}
			return &durationV{unit: name, n: v}
		})
	case "when":
		return bi(name, func(in *interp, c *callCtx) val {
			v, n, ok := c.arg(0, "condition")
			if !ok {
				return unknown
			}
			s := in.boolSeries(c.fr, v, n, "invalid case condition")
			if s == nil {
				return &whenV{cond: nil, rng: c.node.Range}
			}
			return &whenV{cond: s, rng: c.node.Range}
		})
	case "case":
		return bi(name, func(in *interp, c *callCtx) val { return in.caseFn(c) })
	case "maximum_of", "minimum_of":
		return bi(name, func(in *interp, c *callCtx) val { return in.extremumOf(c, name) })
	case "codelist_from_csv":
		return bi(name, func(in *interp, c *callCtx) val { return in.codelistFromCSV(c) })
	case "get_parameter":
		return bi(name, func(in *interp, c *callCtx) val { return in.getParameter(c) })
	case "claim_permissions":
		return bi(name, func(in *interp, c *callCtx) val {
			for _, a := range c.args {
				if s, ok := a.(pyStr); ok {
					in.perms[string(s)] = true
				} else {
					in.perms["*"] = true
				}
			}
			return none
		})
	case "show":
		return bi(name, func(*interp, *callCtx) val { return none })
	case "INTERVAL":
		return intervalV{}
	case "table_from_file":
		return bi(name, func(in *interp, c *callCtx) val { return in.tableFromFile(c) })
	case "table", "table_from_rows", "Series", "PatientFrame", "EventFrame", "Constraint", "Error", "CodelistError":
		return unknown
	}
	if f.Result == "code" || f.Result == "multicode" {
		sys := strings.TrimSuffix(strings.TrimSuffix(f.Name, "MultiCodeString"), "Code")
		if cs, ok := schema.LookupCodeSystem(f.Name); ok {
			sys = cs.Name
		}
		if f.Result == "multicode" {
			return typeV{name: f.Name, t: qm.Type{Kind: qm.MultiCode, System: sys}}
		}
		return typeV{name: f.Name, t: qm.Type{Kind: qm.Code, System: sys}}
	}
	return unknown
}

// makeCode is SNOMEDCTCode("123") and friends.
func (in *interp) makeCode(fr *frame, c *callCtx, system string) val {
	v, n, ok := c.arg(0, "value")
	if !ok {
		return unknown
	}
	s, ok := v.(pyStr)
	if !ok {
		return unknown
	}
	if !schema.ValidCode(system, string(s)) {
		in.report(fr, CodeEQInvalidCode, n, "Invalid %sCode: %s", system, string(s))
		return unknown
	}
	return codeV{system: system, code: string(s)}
}

// boolSeries converts a condition to a boolean series (Python bools become constants).
func (in *interp) boolSeries(fr *frame, v val, n python.Node, what string) qm.Series {
	switch x := v.(type) {
	case *seriesV:
		if t := x.s.Type(); t.Kind != qm.Bool && t.Kind != qm.Unknown {
			in.report(fr, CodeEQTypeMismatch, n, "%s: Expecting a boolean series, got series of type '%s'", what, t)
			return nil
		}
		return x.s
	case pyBool:
		return qm.NewValue(bool(x), qm.TBool)
	case unknownV:
		return nil
	}
	in.expectSeries(fr, v, rng(n), what)
	return nil
}

// caseFn is case(when(...).then(...), ..., otherwise=...).
func (in *interp) caseFn(c *callCtx) val {
	var branches []qm.Branch
	unknownSeen := false
	for i, a := range c.args {
		switch x := a.(type) {
		case *whenThenV:
			if len(x.branches) != 1 {
				in.report(c.fr, CodeEQArgument, c.argN[i], "`when(...).then(...).otherwise(...)` cannot be nested inside `case(...)`")
				return unknown
			}
			branches = append(branches, x.branches...)
		case *whenV:
			in.report(c.fr, CodeEQWhenNoThen, c.argN[i], "`when(...)` clause missing a `.then(...)` value in `case()` expression")
			return unknown
		case unknownV:
			unknownSeen = true
		case *seriesV:
			// v0 style? No: a bare series is a mistake.
			in.report(c.fr, CodeEQArgument, c.argN[i], "case() arguments must be `when(condition).then(value)` clauses, not a %s", typeName(a))
			return unknown
		default:
			in.report(c.fr, CodeEQArgument, c.argN[i], "case() arguments must be `when(condition).then(value)` clauses, not %s", typeName(a))
			return unknown
		}
	}
	def, hasDef := c.kw["otherwise"]
	defN := python.Node(nil)
	if k, ok := c.kwN["otherwise"]; ok {
		defN = k.Value
	}
	if !hasDef && in.version == schema.EhrQLV0 {
		def, hasDef = c.kw["default"]
		if k, ok := c.kwN["default"]; ok {
			defN = k.Value
		}
	}
	if unknownSeen {
		return unknown
	}
	if len(branches) == 0 {
		in.report(c.fr, CodeEQArgument, c.node, "A `case()` expression requires at least one case")
		return unknown
	}
	values := []val{}
	nodes := []python.Node{}
	for _, b := range branches {
		if b.Value != nil {
			values = append(values, &seriesV{s: b.Value})
			nodes = append(nodes, c.node)
		}
	}
	if hasDef {
		if _, isNone := def.(noneV); !isNone {
			values = append(values, def)
			nodes = append(nodes, defN)
		}
	}
	if len(values) == 0 {
		in.report(c.fr, CodeEQArgument, c.node, "`case()` expression cannot have all `None` values")
		return unknown
	}
	t, ok := in.commonType(c.fr, values, nodes, "case")
	if !ok {
		return unknown
	}
	var defS qm.Series
	if hasDef {
		if _, isNone := def.(noneV); !isNone {
			defS = in.castTo(c.fr, def, defN, t)
			if defS == nil && !isUnknown(def) {
				return unknown
			}
		}
	}
	for i := range branches {
		if branches[i].Value != nil {
			if lit, ok := branches[i].Value.(*qm.Value); ok && lit.T.Kind != t.Kind && t.Kind == qm.Float && lit.T.Kind == qm.Int {
				branches[i].Value = qm.NewValue(lit.V, qm.TFloat)
			}
		}
	}
	all := []qm.Series{}
	for _, b := range branches {
		all = append(all, b.Cond)
		if b.Value != nil {
			all = append(all, b.Value)
		}
	}
	if defS != nil {
		all = append(all, defS)
	}
	if !qm.SameDomain(all...) {
		in.reportDomain(c.fr, c.node)
		return unknown
	}
	if t.Kind == qm.Unknown {
		return unknown
	}
	return &seriesV{s: qm.NewCase(branches, defS, t)}
}

// commonType finds the one element type shared by series and literals (literals take the
// type of the first series; an int literal may join a float series).
func (in *interp) commonType(fr *frame, vals []val, nodes []python.Node, what string) (qm.Type, bool) {
	t := qm.TUnknown
	for _, v := range vals {
		if s, ok := v.(*seriesV); ok && s.s.Type().Kind != qm.Unknown {
			t = s.s.Type()
			break
		}
	}
	if t.Kind == qm.Unknown {
		for _, v := range vals {
			if lt, ok := litType(v); ok {
				t = lt
				break
			}
		}
	}
	if t.Kind == qm.Unknown {
		return t, true
	}
	for i, v := range vals {
		switch x := v.(type) {
		case *seriesV:
			st := x.s.Type()
			if !qm.Compatible(st, t) {
				in.report(fr, CodeEQTypeMismatch, nodes[i], "Expected type 'Series[%s]' but got 'Series[%s]' (all values of %s must have one type)", t, st, what)
				return t, false
			}
		case unknownV:
		default:
			if in.castTo(fr, v, nodes[i], t) == nil {
				return t, false
			}
		}
	}
	return t, true
}

// extremumOf is maximum_of/minimum_of.
func (in *interp) extremumOf(c *callCtx, name string) val {
	if len(c.args) < 2 {
		in.report(c.fr, CodeEQArgument, c.node, "%s() needs at least two arguments", name)
		return unknown
	}
	nodes := make([]python.Node, len(c.argN))
	for i, n := range c.argN {
		nodes[i] = n
	}
	for i, a := range c.args {
		if isUnknown(a) {
			return unknown
		}
		if _, ok := a.(*seriesV); !ok {
			if _, lit := litType(a); !lit {
				in.expectSeries(c.fr, a, rng(c.argN[i]), name+"()")
				return unknown
			}
		}
	}
	t, ok := in.commonType(c.fr, c.args, nodes, name)
	if !ok {
		return unknown
	}
	var ss []qm.Series
	for i, a := range c.args {
		s := in.castTo(c.fr, a, c.argN[i], t)
		if s == nil {
			return unknown
		}
		ss = append(ss, s)
	}
	if !qm.SameDomain(ss...) {
		in.reportDomain(c.fr, c.node)
		return unknown
	}
	op := qm.FnMaximumOf
	if name == "minimum_of" {
		op = qm.FnMinimumOf
	}
	return &seriesV{s: qm.NewFunction(op, t, ss...)}
}

// getParameter is get_parameter(name, type=str, default=None).
func (in *interp) getParameter(c *callCtx) val {
	nv, _, ok := c.arg(0, "name")
	if !ok {
		return unknown
	}
	name, ok := nv.(pyStr)
	if !ok || in.params == nil {
		return unknown
	}
	var found []string
	for i := 0; i < len(in.params); i++ {
		p := in.params[i]
		if p == "--"+string(name) && i+1 < len(in.params) {
			found = append(found, in.params[i+1])
			i++
		} else if strings.HasPrefix(p, "--"+string(name)+"=") {
			found = append(found, strings.TrimPrefix(p, "--"+string(name)+"="))
		}
	}
	if len(found) == 0 {
		if d, ok := c.kw["default"]; ok {
			return d
		}
		if len(c.args) > 2 {
			return c.args[2]
		}
		return unknown
	}
	if len(found) > 1 {
		return unknown
	}
	t, _ := c.kw["type"].(typeV)
	if len(c.args) > 1 {
		t, _ = c.args[1].(typeV)
	}
	switch t.name {
	case "", "str":
		return pyStr(found[0])
	case "int", "float", "bool":
		return in.callType(c.fr, &callCtx{node: c.node, args: []val{pyStr(found[0])}, argN: []python.Expr{c.node}, fr: c.fr}, t)
	}
	return unknown
}

// csvInfo is what we know about a CSV file on disk.
type csvInfo struct {
	exists bool
	header []string
	rows   [][]string
	err    error
}

func (in *interp) readCSV(p string) *csvInfo {
	if ci, ok := in.csvCache[p]; ok {
		return ci
	}
	ci := &csvInfo{}
	in.csvCache[p] = ci
	data, err := in.snap.ReadFile(p)
	if err != nil {
		return ci
	}
	ci.exists = true
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff")))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	h, err := r.Read()
	if err != nil {
		ci.err = err
		return ci
	}
	ci.header = h
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			ci.err = err
			break
		}
		ci.rows = append(ci.rows, row)
	}
	return ci
}

// codelistFromCSV is codelist_from_csv(filename, *, column, category_column=None).
func (in *interp) codelistFromCSV(c *callCtx) val {
	fv, fn, ok := c.arg(0, "filename")
	if !ok {
		return unknown
	}
	path, ok := fv.(pyStr)
	colV, hasCol := c.kw["column"]
	if len(c.args) > 1 {
		colV, hasCol = c.args[1], true
	}
	if !hasCol && in.version == schema.EhrQLV1 {
		in.report(c.fr, CodeEQCodelistColumn, c.node, "codelist_from_csv() missing 1 required keyword-only argument: 'column' (the CSV column holding the codes, e.g. column=\"code\")")
	}
	if !ok {
		return unknown
	}
	p := strings.TrimPrefix(string(path), "./")
	cl := &codelistV{path: p, rng: fn.Span(), file: c.fr.mod.path}
	if col, ok := colV.(pyStr); ok {
		cl.column = string(col)
	}
	catV, hasCat := c.kw["category_column"]
	cat, _ := catV.(pyStr)
	cl.category = hasCat && !isNone(catV)
	in.codelistPathChecks(c.fr, p, fn)
	ci := in.readCSV(p)
	if !ci.exists || ci.err != nil {
		return cl
	}
	colIdx, catIdx := -1, -1
	for i, h := range ci.header {
		if strings.TrimSpace(h) == cl.column {
			colIdx = i
		}
		if cl.category && strings.TrimSpace(h) == string(cat) {
			catIdx = i
		}
	}
	if cl.column != "" && colIdx < 0 {
		n := python.Node(c.node)
		if k, ok := c.kwN["column"]; ok {
			n = k.Value
		}
		in.report(c.fr, CodeEQCodelistColumn, n, "No column '%s' in CSV %s (columns: %s)", cl.column, p, strings.Join(ci.header, ", "))
		return cl
	}
	if cl.category && cat != "" && catIdx < 0 {
		in.report(c.fr, CodeEQCodelistColumn, c.kwN["category_column"].Value, "No column '%s' in CSV %s (columns: %s)", string(cat), p, strings.Join(ci.header, ", "))
		return cl
	}
	if colIdx < 0 {
		return cl
	}
	seen := map[string]bool{}
	cl.cats = map[string]string{}
	for _, row := range ci.rows {
		if colIdx >= len(row) {
			continue
		}
		code := strings.TrimSpace(row[colIdx])
		if code == "" {
			continue
		}
		if !seen[code] {
			seen[code] = true
			cl.codes = append(cl.codes, code)
		}
		if catIdx >= 0 && catIdx < len(row) {
			cl.cats[code] = strings.TrimSpace(row[catIdx])
		}
	}
	cl.known = true
	in.noteType(c.fr, c.node, codelistDescription(cl), "")
	return cl
}

func isNone(v val) bool { _, ok := v.(noneV); return ok }

// codelistPathChecks relates a codelist path to codelists.txt and the files on disk.
func (in *interp) codelistPathChecks(fr *frame, p string, n python.Node) {
	if strings.Contains(p, `\`) {
		in.report(fr, CodeCodelistFileNotFound, n, "No CSV file at %s: use forward slashes (/) in paths", p)
		return
	}
	st := CodelistForPath(in.snap, p)
	switch {
	case st.InCodelists && st.Listed && !st.Exists:
		in.report(fr, CodeCodelistNotFetched, n, "No CSV file at %s: the codelist %s is listed in codelists/codelists.txt but has not been downloaded; run `osls codelists update`", p, st.Line.ID)
	case !st.Exists:
		msg := fmt.Sprintf("No CSV file at %s", p)
		if st.InCodelists {
			msg += ": add the codelist to codelists/codelists.txt and run `osls codelists update`"
		}
		in.report(fr, CodeCodelistFileNotFound, n, "%s", msg)
	case st.InCodelists && !st.Listed:
		in.report(fr, CodeCodelistNotListed, n, "%s is not listed in codelists/codelists.txt: `osls codelists update` would delete it (keep local codelists in local_codelists/)", p)
	}
}

// tableFromFile is table_from_file(path, columns=...) and the @table_from_file decorator.
func (in *interp) tableFromFile(c *callCtx) val {
	pv, _, ok := c.arg(0, "filename")
	path, _ := pv.(pyStr)
	if !ok {
		return unknown
	}
	if _, has := c.kw["columns"]; !has && len(c.args) < 2 {
		// Decorator form: @table_from_file("output/x.csv") class X(PatientFrame): ...
		return bi("table_from_file", func(in *interp, d *callCtx) val {
			if len(d.args) == 1 {
				if uc, ok := d.args[0].(*userTableV); ok {
					t := &qm.Table{Module: "file", Name: uc.name, Patient: true, Columns: uc.columns}
					return in.fileFrame(string(path), t, uc)
				}
			}
			return unknown
		})
	}
	return unknown
}

// userTableV is a class body collected for @table / @table_from_file.
type userTableV struct {
	name    string
	columns []qm.Column
	patient bool
}

func (in *interp) fileFrame(path string, t *qm.Table, uc *userTableV) val {
	st := schema.EhrQLTable{Name: uc.name, StorageName: uc.name, Module: "file:" + path, Dimension: schema.EhrQLPatient}
	for _, c := range uc.columns {
		st.Columns = append(st.Columns, schema.EhrQLColumn{Name: c.Name, Type: schemaType(c.Type)})
	}
	return &frameV{f: qm.NewInlineTable(path, t), table: &st, class: "PatientFrame"}
}

func schemaType(t qm.Type) schema.EhrQLType {
	switch t.Kind {
	case qm.Bool:
		return schema.EhrQLType{Kind: "bool"}
	case qm.Int:
		return schema.EhrQLType{Kind: "int"}
	case qm.Float:
		return schema.EhrQLType{Kind: "float"}
	case qm.Str:
		return schema.EhrQLType{Kind: "str"}
	case qm.DateKind:
		return schema.EhrQLType{Kind: "date"}
	case qm.Code:
		return schema.EhrQLType{Kind: "code", System: t.System}
	}
	return schema.EhrQLType{}
}

// classDef handles class statements: table definitions (subclasses of PatientFrame or
// EventFrame with Series(...) attributes) become userTableV so decorators can turn them into
// tables; other classes are opaque.
func (in *interp) classDef(fr *frame, s *python.ClassDef) val {
	isTable := false
	patient := true
	for _, b := range s.Bases {
		name := ""
		switch x := b.(type) {
		case *python.Name:
			name = x.ID
		case *python.Attribute:
			name = x.Attr
		}
		if name == "PatientFrame" || name == "EventFrame" {
			isTable = true
			patient = name == "PatientFrame"
		}
	}
	if !isTable {
		return &userClassV{name: s.Name}
	}
	uc := &userTableV{name: s.Name, patient: patient}
	for _, st := range s.Body {
		a, ok := st.(*python.Assign)
		if !ok || len(a.Targets) != 1 {
			continue
		}
		n, ok := a.Targets[0].(*python.Name)
		if !ok {
			continue
		}
		call, ok := a.Value.(*python.Call)
		if !ok || len(call.Args) == 0 {
			continue
		}
		tv := in.eval(fr, call.Args[0])
		t := qm.TUnknown
		if ty, ok := tv.(typeV); ok {
			t = ty.t
		}
		uc.columns = append(uc.columns, qm.Column{Name: n.ID, Type: t})
	}
	var v val = uc
	for i := len(s.Decorators) - 1; i >= 0; i-- {
		d := in.eval(fr, s.Decorators[i])
		v = in.call(fr, &python.Call{Range: s.Range, Func: s.Decorators[i]}, d, []val{v}, nil, nil, nil)
	}
	if _, still := v.(*userTableV); still {
		return unknown
	}
	return v
}
