package analysis

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// qmType converts a catalogue type to the query model's.
func qmType(t schema.EhrQLType) qm.Type {
	switch t.Kind {
	case "bool":
		return qm.TBool
	case "int":
		return qm.TInt
	case "float":
		return qm.TFloat
	case "str":
		return qm.TStr
	case "date":
		return qm.TDate
	case "code":
		return qm.Type{Kind: qm.Code, System: t.System}
	case "multicode":
		return qm.Type{Kind: qm.MultiCode, System: t.System}
	}
	return qm.TUnknown
}

// qmTable converts (and caches) a catalogue table for the model.
func (in *interp) qmTable(t *schema.EhrQLTable) *qm.Table {
	key := t.Module + "." + t.Name
	if in.tableRefs == nil {
		in.tableRefs = map[string]*qm.Table{}
	}
	if q, ok := in.tableRefs[key]; ok {
		return q
	}
	q := &qm.Table{Module: t.Module, Name: t.StorageName, Patient: t.Dimension == schema.EhrQLPatient, Permission: t.Permission}
	if q.Name == "" {
		q.Name = t.Name
	}
	for _, c := range t.Columns {
		q.Columns = append(q.Columns, qm.Column{Name: c.Name, Type: qmType(c.Type), NotNull: c.Constraints.NotNull, Categories: c.Constraints.Categories, FirstOfMonth: c.Constraints.FirstOfMonth, Unique: c.Constraints.Unique, Doc: c.Doc})
	}
	in.tableRefs[key] = q
	return q
}

// ehrqlName resolves a name imported from (or looked up on) an ehrQL module.
func (in *interp) ehrqlName(fr *frame, module, name string, n python.Node) val {
	em, ok := schema.LookupEhrQLModule(in.version, module)
	if !ok {
		return unknown
	}
	if t, ok := em.Table(name); ok {
		tt := t
		f := &frameV{f: qm.NewSelectTable(in.qmTable(&tt)), table: &tt, class: tt.FrameClass()}
		if n != nil {
			in.noteType(fr, n, frameDescription(f), tt.Doc)
		}
		in.useTable(fr, &tt, n)
		return f
	}
	if sub, ok := schema.LookupEhrQLModule(in.version, module+"."+name); ok {
		return &moduleV{name: sub.Path, ehrql: module + "." + name}
	}
	if fn, ok := schema.LookupEhrQLFunction(in.version, module, name); ok {
		return in.ehrqlFunction(fn)
	}
	if em.Has(name) {
		if isEhrQLClassName(name) {
			return classRefV{name: name}
		}
		return unknown
	}
	if n != nil {
		in.report(fr, CodeEQUnknownName, n, "module '%s' has no attribute '%s'%s", module, name, in.otherVersionHint(module, name))
	}
	return unknown
}

// otherVersionHint explains names that exist in the other API version.
func (in *interp) otherVersionHint(module, name string) string {
	other := schema.EhrQLV1
	if in.version == schema.EhrQLV1 {
		other = schema.EhrQLV0
	}
	if m, ok := schema.LookupEhrQLModule(other, module); ok && m.Has(name) {
		return fmt.Sprintf(" (it exists in ehrQL %s; this action's image uses %s)", other, in.version)
	}
	return ""
}

// isEhrQLClassName reports whether name is a series or frame class of ehrQL.
func isEhrQLClassName(name string) bool {
	if _, _, ok := schema.ParseEhrQLSeriesClass(name); ok {
		return true
	}
	switch name {
	case "PatientFrame", "EventFrame", "BaseFrame", "BaseSeries", "PatientSeries", "EventSeries", "Series":
		return true
	}
	return false
}

// isInstance decides isinstance(v, cls) where it can.
func (in *interp) isInstance(v, cls val) val {
	if items, ok := cls.(*listV); ok && items.tuple {
		anyUnknown := false
		for _, c := range items.items {
			r := in.isInstance(v, c)
			if b, ok := r.(pyBool); ok && bool(b) {
				return pyBool(true)
			}
			if isUnknown(r) {
				anyUnknown = true
			}
		}
		if anyUnknown {
			return unknown
		}
		return pyBool(false)
	}
	switch c := cls.(type) {
	case classRefV:
		var names []string
		switch x := v.(type) {
		case *seriesV:
			class := seriesClass(x.s)
			if class == "" {
				return unknown
			}
			names = append(schema.EhrQLClassAncestors(in.version, class), "Series")
		case *frameV:
			names = []string{x.class, "BaseFrame"}
			if x.class == "PatientFrame" || x.class == "EventFrame" {
				names = append(names, schema.EhrQLClassAncestors(in.version, x.class)...)
			}
		case unknownV:
			return unknown
		default:
			return pyBool(false)
		}
		return pyBool(slices.Contains(names, c.name))
	case typeV:
		switch v.(type) {
		case unknownV:
			return unknown
		case pyInt:
			return pyBool(c.name == "int")
		case pyBool:
			return pyBool(c.name == "bool" || c.name == "int")
		case pyFloat:
			return pyBool(c.name == "float")
		case pyStr:
			return pyBool(c.name == "str")
		case pyDate:
			return pyBool(c.name == "date")
		case *seriesV, *frameV:
			return pyBool(false)
		}
	}
	return unknown
}

func (in *interp) unknownEhrQLImport(fr *frame, module string, a *python.Alias) {
	msg := fmt.Sprintf("cannot import name '%s' from '%s'", a.Name, module)
	code := CodeEQUnknownName
	if h := in.otherVersionHint(module, a.Name); h != "" {
		msg += h
		code = CodeEQOtherVersion
	} else if em, ok := schema.LookupEhrQLModule(in.version, module); ok {
		var names []string
		for _, t := range em.Tables {
			names = append(names, t.Name)
		}
		names = append(names, em.Exports...)
		if s := suggest(a.Name, names); s != "" {
			msg += fmt.Sprintf(": did you mean '%s'?", s)
			in.reportSev(fr, code, code.Severity, rngOf(a.NameRange), "%s", msg)
			in.fix("Change to "+s, rngOf(a.NameRange), s)
			return
		}
	}
	in.reportSev(fr, code, code.Severity, rngOf(a.NameRange), "%s", msg)
}

func (in *interp) noteImportDoc(fr *frame, module string, a *python.Alias) {
	if t, ok := schema.LookupEhrQLTable(in.version, module, a.Name); ok {
		in.types[fr.mod.path] = append(in.types[fr.mod.path], TypeInfo{Range: rngOf(a.NameRange), Type: t.FrameClass() + " (" + t.Name + ")", Doc: t.Doc})
		return
	}
	if f, ok := schema.LookupEhrQLFunction(in.version, module, a.Name); ok {
		in.types[fr.mod.path] = append(in.types[fr.mod.path], TypeInfo{Range: rngOf(a.NameRange), Type: f.Signature(), Doc: f.Doc})
	}
}

// useTable records the use of a table (for permission warnings).
func (in *interp) useTable(fr *frame, t *schema.EhrQLTable, n python.Node) {
	if t.Permission == "" || n == nil {
		return
	}
	if _, ok := in.tablesUsed[t.Permission]; ok {
		return
	}
	in.tablesUsed[t.Permission] = python.Range(rng(n).toPy())
	in.tableFile[t.Permission] = fr.mod.path
}

func (r Range) toPy() python.Range { return python.Range{Start: r.Start, End: r.End} }

// getAttr reads obj.name.
func (in *interp) getAttr(fr *frame, obj val, name string, n *python.Attribute) val {
	var attrNode python.Node
	if n != nil {
		attrNode = &python.Name{Range: n.AttrRange, ID: name}
	}
	switch o := obj.(type) {
	case unknownV:
		return unknown
	case *moduleV:
		if o.ehrql != "" {
			return in.ehrqlName(fr, o.ehrql, name, attrNode)
		}
		return in.moduleAttr(fr, o, name, attrNode)
	case *frameV:
		return in.frameAttr(fr, o, name, attrNode)
	case *seriesV:
		return in.seriesAttr(fr, o, name, attrNode)
	case *datasetV:
		switch name {
		case "define_population", "add_column", "configure_dummy_data", "add_event_table", "configure_dummy_dataset":
			if name == "configure_dummy_dataset" && in.version != schema.EhrQLV0 {
				in.report(fr, CodeEQOtherVersion, attrNode, "'Dataset' object has no attribute 'configure_dummy_dataset' (it was renamed configure_dummy_data; the old name exists only in ehrQL v0)")
				in.fix("Change to configure_dummy_data", rng(attrNode), "configure_dummy_data")
				return unknown
			}
			return &boundV{recv: o, name: name}
		case "population":
			if o.st.ds.Population != nil {
				return &seriesV{s: o.st.ds.Population}
			}
			return unknown
		}
		if v, ok := o.st.value(name); ok {
			return v
		}
		if !o.st.maybe[name] && !in.hasUnknownColumns(o) && in.spec == 0 && !strings.HasPrefix(name, "_") {
			in.report(fr, CodeEQUnknownColumn, attrNode, "Variable '%s' has not been defined", name)
		}
		return unknown
	case *eventTableV:
		if v, ok := o.cols[name]; ok {
			return v
		}
		return unknown
	case *measuresV:
		switch name {
		case "define_measure", "define_defaults", "configure_dummy_data", "configure_disclosure_control":
			return &boundV{recv: o, name: name}
		}
		return unknown
	case *dateDiffV:
		switch name {
		case "days", "weeks", "months", "years":
			return &seriesV{s: dateDiffSeries(o, name)}
		}
		in.report(fr, CodeEQUnknownMethod, attrNode, "'DateDifference' object has no attribute '%s' (use .days, .weeks, .months or .years)", name)
		return unknown
	case *durationV:
		switch name {
		case "starting_on", "ending_on":
			return &boundV{recv: o, name: name}
		case "value":
			return o.n
		}
		return unknown
	case *whenV:
		if name == "then" {
			return &boundV{recv: o, name: name}
		}
		in.report(fr, CodeEQWhenNoThen, attrNode, "`when(...)` has no attribute '%s': write `when(condition).then(value)`", name)
		return unknown
	case *whenThenV:
		if name == "otherwise" {
			return &boundV{recv: o, name: name}
		}
		return unknown
	case intervalV:
		switch name {
		case "start_date", "end_date":
			return &seriesV{s: qm.NewParam("interval_"+strings.TrimSuffix(name, "_date"), qm.TDate)}
		}
		return unknown
	case codeV:
		if name == "_to_primitive_type" {
			return bi(name, func(*interp, *callCtx) val { return pyStr(o.code) })
		}
		return unknown
	case pyDate:
		d := qm.Date(o)
		switch name {
		case "year":
			return pyInt(d.Year)
		case "month":
			return pyInt(d.Month)
		case "day":
			return pyInt(d.Day)
		case "isoformat":
			return bi(name, func(*interp, *callCtx) val { return pyStr(d.String()) })
		}
		return unknown
	case typeV:
		if o.name == "date" {
			switch name {
			case "fromisoformat":
				return bi(name, func(in *interp, c *callCtx) val {
					if len(c.args) == 1 {
						if s, ok := c.args[0].(pyStr); ok {
							if d, err := qm.ParseDate(string(s)); err == nil {
								return pyDate(d)
							}
						}
					}
					return unknown
				})
			case "today":
				return returnsUnknown(name)
			}
		}
		return unknown
	case *dictV:
		return dictMethod(o, name)
	case *listV:
		return listMethod(o, name)
	case pyStr:
		return strMethod(o, name)
	case *codelistV:
		return codelistMethod(o, name)
	}
	return unknown
}

func (in *interp) hasUnknownColumns(d *datasetV) bool { return d.st.unknownNames }

func dictMethod(d *dictV, name string) val {
	switch name {
	case "keys":
		return bi(name, func(*interp, *callCtx) val { return &listV{items: append([]val{}, d.keys...)} })
	case "values":
		return bi(name, func(*interp, *callCtx) val { return &listV{items: append([]val{}, d.vals...)} })
	case "items":
		return bi(name, func(*interp, *callCtx) val {
			l := &listV{}
			for i, k := range d.keys {
				l.items = append(l.items, &listV{tuple: true, items: []val{k, d.vals[i]}})
			}
			return l
		})
	case "get":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 0 {
				return unknown
			}
			if v, ok := d.get(c.args[0]); ok {
				return v
			}
			if _, ok := hashKey(c.args[0]); !ok {
				return unknown
			}
			if len(c.args) > 1 {
				return c.args[1]
			}
			return none
		})
	case "update":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 {
				if o, ok := c.args[0].(*dictV); ok {
					for i, k := range o.keys {
						d.set(k, o.vals[i])
					}
					return none
				}
				d.keys, d.vals = nil, nil
			}
			for _, k := range sortedKeys(c.kw) {
				d.set(pyStr(k), c.kw[k])
			}
			return none
		})
	case "copy":
		return bi(name, func(*interp, *callCtx) val {
			return &dictV{keys: append([]val{}, d.keys...), vals: append([]val{}, d.vals...)}
		})
	}
	return unknown
}

func listMethod(l *listV, name string) val {
	switch name {
	case "append":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 && !l.tuple {
				l.items = append(l.items, c.args[0])
			}
			return none
		})
	case "extend":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 && !l.tuple {
				if items, ok := iterate(c.args[0]); ok {
					l.items = append(l.items, items...)
				} else {
					l.items = append(l.items, unknown)
				}
			}
			return none
		})
	case "copy":
		return bi(name, func(*interp, *callCtx) val { return &listV{items: append([]val{}, l.items...)} })
	case "index", "count", "pop", "insert", "remove", "sort", "reverse":
		return returnsUnknown(name)
	}
	return unknown
}

func strMethod(s pyStr, name string) val {
	str := string(s)
	simple := func(f func(string) string) val {
		return bi(name, func(*interp, *callCtx) val { return pyStr(f(str)) })
	}
	switch name {
	case "lower":
		return simple(strings.ToLower)
	case "upper":
		return simple(strings.ToUpper)
	case "strip":
		return simple(strings.TrimSpace)
	case "title":
		return unknown
	case "replace":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 2 {
				a, ok1 := c.args[0].(pyStr)
				b, ok2 := c.args[1].(pyStr)
				if ok1 && ok2 {
					return pyStr(strings.ReplaceAll(str, string(a), string(b)))
				}
			}
			return unknown
		})
	case "startswith", "endswith":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 {
				if a, ok := c.args[0].(pyStr); ok {
					if name == "startswith" {
						return pyBool(strings.HasPrefix(str, string(a)))
					}
					return pyBool(strings.HasSuffix(str, string(a)))
				}
			}
			return unknown
		})
	case "join":
		return bi(name, func(in *interp, c *callCtx) val {
			if len(c.args) == 1 {
				if items, ok := iterate(c.args[0]); ok {
					var parts []string
					for _, it := range items {
						p, ok := it.(pyStr)
						if !ok {
							return unknown
						}
						parts = append(parts, string(p))
					}
					return pyStr(strings.Join(parts, str))
				}
			}
			return unknown
		})
	case "split":
		return bi(name, func(in *interp, c *callCtx) val {
			var parts []string
			if len(c.args) == 0 {
				parts = strings.Fields(str)
			} else if sep, ok := c.args[0].(pyStr); ok && sep != "" {
				parts = strings.Split(str, string(sep))
			} else {
				return unknown
			}
			l := &listV{}
			for _, p := range parts {
				l.items = append(l.items, pyStr(p))
			}
			return l
		})
	case "format":
		return bi(name, func(in *interp, c *callCtx) val { return formatStr(str, c) })
	}
	return unknown
}

var formatField = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*|\d*)\}`)

// formatStr implements str.format for plain {} / {0} / {name} fields.
func formatStr(s string, c *callCtx) val {
	if strings.Contains(s, "{{") || strings.Contains(s, ":") {
		return unknown
	}
	i := 0
	ok := true
	out := formatField.ReplaceAllStringFunc(s, func(m string) string {
		key := m[1 : len(m)-1]
		var v val
		switch {
		case key == "":
			if i < len(c.args) {
				v = c.args[i]
			}
			i++
		case key[0] >= '0' && key[0] <= '9':
			n := 0
			fmt.Sscan(key, &n)
			if n < len(c.args) {
				v = c.args[n]
			}
		default:
			v = c.kw[key]
		}
		str, known := pyStrOf(v)
		if !known {
			ok = false
		}
		return str
	})
	if !ok {
		return unknown
	}
	return pyStr(out)
}

func codelistMethod(c *codelistV, name string) val {
	if !c.category {
		return unknown
	}
	switch name {
	case "keys":
		return bi(name, func(*interp, *callCtx) val {
			if !c.known {
				return unknown
			}
			return &listV{items: codesAsVals(c)}
		})
	case "values", "items", "get":
		return returnsUnknown(name)
	}
	return unknown
}

// frameAttr reads a column, method or helper of a frame.
func (in *interp) frameAttr(fr *frame, f *frameV, name string, n python.Node) val {
	if v, ok := f.extra[name]; ok {
		return v
	}
	if f.table != nil {
		if col, ok := f.table.Column(name); ok {
			s := qm.NewColumn(f.f, name, qmType(col.Type))
			in.noteType(fr, n, qm.SeriesName(s.Type(), s.Dim()), col.Doc)
			return &seriesV{s: s}
		}
		if h, ok := f.table.Helper(name); ok && h.In(in.version) {
			if f.picked && h.Kind == "method" {
				in.report(fr, CodeEQUnknownColumn, n, "'%s' object has no attribute '%s' (table helper methods are not available after first_for_patient/last_for_patient)", f.table.Name, name)
				return unknown
			}
			in.noteType(fr, n, h.Signature(), h.Doc)
			if h.Kind == "property" {
				return in.helperProperty(fr, f, h, n)
			}
			return &boundV{recv: f, name: name, rng: n.Span()}
		}
	}
	class := f.class
	if f.f != nil && f.f.Sorted() && class == "EventFrame" {
		class = "SortedEventFrame"
	}
	if m, ok := schema.LookupEhrQLMethod(in.version, class, name); ok {
		in.noteType(fr, n, m.Signature(), m.Doc)
		return &boundV{recv: f, name: name, rng: n.Span()}
	}
	if f.table == nil {
		return unknown
	}
	if in.version == schema.EhrQLV0 && class == "PatientFrame" {
		// Before ehrQL v0.126 (November 2023) some of these tables were at event level, and
		// v0 studies written then still use them so; today's v0 image rejects it.
		if _, ok := schema.LookupEhrQLMethod(in.version, "SortedEventFrame", name); ok {
			in.reportSev(fr, CodeEQOtherVersion, SeverityWarning, rng(n), "'%s' has one row per patient since ehrQL v0.126 (November 2023), so today's v0 image has no '%s' for it; for all death registrations use ehrql.tables.beta.raw.tpp.%s", f.table.Name, name, f.table.Name)
			return unknown
		}
	}
	tname := f.table.Name
	if name == "first_for_patient" || name == "last_for_patient" {
		if class == "EventFrame" {
			in.report(fr, CodeEQUnsortedPick, n, "'%s' object has no attribute '%s': sort the rows first, e.g. `%s.sort_by(%s.date).%s()`", tname, name, tname, tname, name)
			return unknown
		}
		if f.class == "PatientFrame" {
			in.report(fr, CodeEQUnsortedPick, n, "'%s' object has no attribute '%s': it already has at most one row per patient", tname, name)
			return unknown
		}
	}
	// Another version's name?
	other := schema.EhrQLV1
	if in.version == schema.EhrQLV1 {
		other = schema.EhrQLV0
	}
	if m, ok := schema.LookupEhrQLMethod(other, class, name); ok && !m.Hidden {
		in.report(fr, CodeEQOtherVersion, n, "'%s' object has no attribute '%s' in ehrQL %s (it exists in %s)", tname, name, in.version, other)
		return unknown
	}
	for _, mod := range []string{"ehrql.tables.tpp", "ehrql.tables.core", "ehrql.tables.beta.tpp", "ehrql.tables.beta.core"} {
		if ot, ok := schema.LookupEhrQLTable(other, mod, tname); ok {
			if _, ok := ot.Helper(name); ok {
				in.report(fr, CodeEQOtherVersion, n, "'%s' object has no attribute '%s' in ehrQL %s (it exists in %s)", tname, name, in.version, other)
				return unknown
			}
		}
	}
	cands := append([]string{}, f.table.ColumnNames()...)
	for _, h := range f.table.Helpers {
		cands = append(cands, h.Name)
	}
	in.unknownAttr(fr, CodeEQUnknownColumn, n, tname, name, append(cands, in.methodNames(class)...))
	return unknown
}

// methodNames lists the public methods and properties of an ehrQL class.
func (in *interp) methodNames(class string) []string {
	var out []string
	for _, m := range schema.EhrQLMethods(in.version, class) {
		if m.Kind != "operator" && !m.Hidden {
			out = append(out, m.Name)
		}
	}
	return out
}

// unknownAttr reports an attribute that owner does not have, suggesting (and offering to
// change to) the closest of cands.
func (in *interp) unknownAttr(fr *frame, code Code, n python.Node, owner, name string, cands []string) {
	msg := fmt.Sprintf("'%s' object has no attribute '%s'", owner, name)
	s := suggest(name, cands)
	if s != "" {
		msg += fmt.Sprintf(": did you mean '%s'?", s)
	}
	in.report(fr, code, n, "%s", msg)
	if s != "" {
		in.fix("Change to "+s, rng(n), s)
	}
}

// seriesClass is the catalogue class name for a series.
func seriesClass(s qm.Series) string {
	t := s.Type()
	if t.Kind == qm.Unknown {
		return ""
	}
	return qm.SeriesName(t, s.Dim())
}

// seriesAttr reads a method or property of a series.
func (in *interp) seriesAttr(fr *frame, sv *seriesV, name string, n python.Node) val {
	class := seriesClass(sv.s)
	if class == "" {
		return unknown
	}
	m, ok := schema.LookupEhrQLMethod(in.version, class, name)
	if ok && m.Kind != "operator" {
		in.noteType(fr, n, m.Signature(), m.Doc)
		if m.Error != "" {
			in.report(fr, CodeEQOperator, n, "%s", m.Error)
			return unknown
		}
		if m.Kind == "property" {
			return in.seriesProperty(fr, sv, name)
		}
		return &boundV{recv: sv, name: name, rng: n.Span()}
	}
	aggs := []string{"minimum_for_patient", "maximum_for_patient", "sum_for_patient", "mean_for_patient", "count_distinct_for_patient", "count_episodes_for_patient"}
	if sv.s.Dim() == qm.Patient && slices.Contains(aggs, name) {
		in.report(fr, CodeEQPatientAggregate, n, "'%s' object has no attribute '%s': it already has one value per patient, so there is nothing to aggregate", class, name)
		return unknown
	}
	other := schema.EhrQLV1
	if in.version == schema.EhrQLV1 {
		other = schema.EhrQLV0
	}
	if om, ok := schema.LookupEhrQLMethod(other, class, name); ok && !om.Hidden {
		alt := ""
		if om.AliasOf != "" {
			alt = fmt.Sprintf("; use %s", om.AliasOf)
		}
		in.report(fr, CodeEQOtherVersion, n, "'%s' object has no attribute '%s' in ehrQL %s (it exists in %s%s)", class, name, in.version, other, alt)
		if om.AliasOf != "" {
			in.fix("Change to "+om.AliasOf, rng(n), om.AliasOf)
		} else if name == "if_null_then" {
			in.fix("Change to when_null_then", rng(n), "when_null_then")
		}
		return unknown
	}
	in.unknownAttr(fr, CodeEQUnknownMethod, n, class, name, in.methodNames(class))
	return unknown
}

func (in *interp) seriesProperty(fr *frame, sv *seriesV, name string) val {
	switch name {
	case "year":
		return &seriesV{s: qm.NewFunction(qm.FnYear, qm.TInt, sv.s)}
	case "month":
		return &seriesV{s: qm.NewFunction(qm.FnMonth, qm.TInt, sv.s)}
	case "day":
		return &seriesV{s: qm.NewFunction(qm.FnDay, qm.TInt, sv.s)}
	}
	return unknown
}

func dateDiffSeries(d *dateDiffV, unit string) qm.Series {
	switch unit {
	case "days":
		return qm.NewFunction(qm.FnDateDiffDays, qm.TInt, d.end, d.start)
	case "weeks":
		days := qm.NewFunction(qm.FnDateDiffDays, qm.TInt, d.end, d.start)
		return qm.NewFunction(qm.FnFloorDivide, qm.TInt, days, qm.NewValue(int64(7), qm.TInt))
	case "months":
		return qm.NewFunction(qm.FnDateDiffMonths, qm.TInt, d.end, d.start)
	}
	return qm.NewFunction(qm.FnDateDiffYears, qm.TInt, d.end, d.start)
}

// helperProperty evaluates a table helper property (addresses.imd_quintile, ...).
func (in *interp) helperProperty(fr *frame, f *frameV, h schema.EhrQLMethod, n python.Node) val {
	t := qmTypeOfResult(h.Result)
	if t.Kind == qm.Unknown {
		return unknown
	}
	return &seriesV{s: qm.NewFunction(qm.FnOp("Helper:"+h.Name), t, qm.NewColumn(f.f, "patient_id", qm.TInt))}
}

// qmTypeOfResult is the element type named by a catalogue result rule, for the rules that
// name a plain type; other rules ("same", "frame", ...) give Unknown.
func qmTypeOfResult(r string) qm.Type {
	switch r {
	case "bool", "int", "float", "str", "date":
		return qmType(schema.EhrQLType{Kind: r})
	}
	return qm.TUnknown
}

// datasetState helpers.

func (st *datasetState) value(name string) (val, bool) {
	v, ok := st.values[name]
	return v, ok
}

var variableNameRe = regexp.MustCompile(schema.EhrQLVariableNamePattern)

// datasetSet handles `dataset.name = value`.
func (in *interp) datasetSet(fr *frame, ds *datasetV, name string, nameRange python.Range, v val, valueNode python.Expr, target python.Node) {
	in.datasetAssign(fr, ds, name, true, Range{nameRange.Start, nameRange.End}, v, valueNode, target)
}

// datasetAssign checks and records a dataset column, from attribute assignment,
// add_column or setattr. known is false when the name is computed at run time.
func (in *interp) datasetAssign(fr *frame, ds *datasetV, name string, known bool, nameR Range, v val, valueNode python.Node, whole python.Node) {
	st := ds.st
	valueR := rng(valueNode)
	if valueNode == nil {
		valueR = rng(whole)
	}
	if known {
		switch {
		case name == "population":
			in.reportSev(fr, CodeEQInvalidName, CodeEQInvalidName.Severity, nameR, "Cannot set variable 'population'; use define_population() instead")
			return
		case slices.Contains(schema.EhrQLReservedVariableNames(in.version), name):
			in.reportSev(fr, CodeEQInvalidName, CodeEQInvalidName.Severity, nameR, "'%s' is not an allowed variable name", name)
			return
		case !variableNameRe.MatchString(name):
			in.reportSev(fr, CodeEQInvalidName, CodeEQInvalidName.Severity, nameR, "invalid variable name '%s': variable names must start with a letter, and contain only alphanumeric characters and underscores", name)
			return
		}
	} else {
		st.unknownNames = true
	}
	s, ok := in.expectSeries(fr, v, valueR, "invalid variable '"+name+"'")
	if !ok {
		return
	}
	if s != nil && s.Dim() == qm.Event {
		in.reportSev(fr, CodeEQNotPatientLevel, CodeEQNotPatientLevel.Severity, valueR, "invalid variable '%s': Expecting a series with only one value per patient, but %s has many (aggregate it, e.g. with .exists_for_patient(), or pick a row with sort_by(...).first_for_patient())", name, qm.SeriesName(s.Type(), s.Dim()))
		return
	}
	if !known {
		return
	}
	if prev, done := st.columns[name]; done && in.spec == 0 && !st.maybe[name] {
		_ = prev
		in.reportSev(fr, CodeEQReassigned, CodeEQReassigned.Severity, nameR, "'%s' is already set and cannot be reassigned", name)
		return
	}
	if in.spec > 0 {
		st.maybe[name] = true
	}
	st.columns[name] = python.Range{Start: nameR.Start, End: nameR.End}
	if st.values == nil {
		st.values = map[string]val{}
	}
	if s == nil {
		st.values[name] = unknown
		return
	}
	if prev, ok := st.values[name]; ok && in.spec > 0 {
		st.values[name] = mergeVals(prev, &seriesV{s: s})
	} else {
		st.values[name] = &seriesV{s: s}
	}
	for i, x := range st.ds.Variables {
		if x.Name == name {
			st.ds.Variables[i].Series = s
			return
		}
	}
	st.ds.Variables = append(st.ds.Variables, qm.Variable{Name: name, Series: s})
}

// expectSeries checks that a value can be a dataset column or population: an ehrQL series
// (or a Python literal, which ehrQL does not accept either). It returns nil for unknown
// values and false after reporting.
func (in *interp) expectSeries(fr *frame, v val, r Range, what string) (qm.Series, bool) {
	switch x := v.(type) {
	case *seriesV:
		return x.s, true
	case unknownV:
		return nil, true
	case *frameV:
		name := x.class
		if x.table != nil {
			name = x.table.Name
		}
		in.reportSev(fr, CodeEQFrameAsValue, CodeEQFrameAsValue.Severity, r, "%s: Expecting a series but got a frame (`%s`): are you missing a column name?", what, name)
	case *boundV:
		in.reportSev(fr, CodeEQNotASeries, CodeEQNotASeries.Severity, r, "%s: Function referenced but not called: are you missing parentheses on `%s()`?", what, x.name)
		in.fix("Call "+x.name+"()", Range{r.End, r.End}, "()")
	case *whenThenV:
		in.reportSev(fr, CodeEQWhenNoThen, CodeEQWhenNoThen.Severity, r, "Missing `.otherwise(...)` condition on a `when(...).then(...)` expression (use `.otherwise(None)` for no value)")
	case *whenV:
		in.reportSev(fr, CodeEQWhenNoThen, CodeEQWhenNoThen.Severity, r, "`when(...)` clause missing a `.then(...)` value")
	case *listV:
		msg := fmt.Sprintf("%s: Expecting an ehrQL series, got type '%s'", what, typeName(x))
		comma := x.tuple && len(x.items) == 1
		if comma {
			msg += " (is there a trailing comma? `x = something(),` makes a tuple)"
		}
		in.reportSev(fr, CodeEQNotASeries, CodeEQNotASeries.Severity, r, "%s", msg)
		if comma && fr != nil && fr.mod != nil && r.End <= len(fr.mod.src) {
			text := strings.TrimRight(string(fr.mod.src[r.Start:r.End]), " \t")
			if strings.HasSuffix(text, ",") {
				in.fix("Remove the trailing comma", Range{r.Start, r.Start + len(text)}, strings.TrimSuffix(text, ","))
			}
		}
	case *funcV, *builtinV:
		in.reportSev(fr, CodeEQNotASeries, CodeEQNotASeries.Severity, r, "%s: Function referenced but not called: are you missing parentheses?", what)
	default:
		in.reportSev(fr, CodeEQNotASeries, CodeEQNotASeries.Severity, r, "%s: Expecting an ehrQL series, got type '%s'", what, typeName(v))
	}
	return nil, false
}
