package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// callMethod calls a method looked up on an object.
func (in *interp) callMethod(fr *frame, c *callCtx, b *boundV) val {
	switch r := b.recv.(type) {
	case *frameV:
		return in.frameMethod(fr, c, r, b.name)
	case *seriesV:
		return in.seriesMethod(fr, c, r, b.name)
	case *datasetV:
		return in.datasetMethod(fr, c, r, b.name)
	case *measuresV:
		return in.measuresMethod(fr, c, r, b.name)
	case *durationV:
		return in.durationMethod(fr, c, r, b.name)
	case *whenV:
		v, n, ok := c.arg(0, "value")
		if !ok {
			return unknown
		}
		var s qm.Series
		if !isNone(v) {
			s = in.valueSeries(fr, v, n)
			if s == nil {
				return unknown
			}
		}
		if r.cond == nil {
			return unknown
		}
		return &whenThenV{branches: []qm.Branch{{Cond: r.cond, Value: s}}, rng: c.node.Range}
	case *whenThenV:
		def, n, ok := c.arg(0, "value")
		if !ok {
			return unknown
		}
		vals := []val{}
		nodes := []python.Node{}
		for _, br := range r.branches {
			if br.Value != nil {
				vals = append(vals, &seriesV{s: br.Value})
				nodes = append(nodes, c.node)
			}
		}
		if !isNone(def) {
			vals = append(vals, def)
			nodes = append(nodes, n)
		}
		if len(vals) == 0 {
			in.report(fr, CodeEQArgument, c.node, "`case()` expression cannot have all `None` values")
			return unknown
		}
		t, ok := in.commonType(fr, vals, nodes, "when().then().otherwise()")
		if !ok || t.Kind == qm.Unknown {
			return unknown
		}
		var ds qm.Series
		if !isNone(def) {
			ds = in.castTo(fr, def, n, t)
			if ds == nil {
				return unknown
			}
		}
		return &seriesV{s: qm.NewCase(r.branches, ds, t)}
	}
	return unknown
}

// valueSeries turns a value used as a series argument (a series or a literal) into a node.
func (in *interp) valueSeries(fr *frame, v val, n python.Node) qm.Series {
	switch x := v.(type) {
	case *seriesV:
		return x.s
	case unknownV:
		return nil
	}
	if t, ok := litType(v); ok {
		return in.castTo(fr, v, n, t)
	}
	in.expectSeries(fr, v, rng(n), "invalid value")
	return nil
}

func (in *interp) frameMethod(fr *frame, c *callCtx, f *frameV, name string) val {
	switch name {
	case "where", "except_where":
		v, n, ok := c.arg(0, "condition")
		if !ok {
			return unknown
		}
		var cond qm.Series
		switch x := v.(type) {
		case *seriesV:
			if t := x.s.Type(); t.Kind != qm.Bool && t.Kind != qm.Unknown {
				in.report(fr, CodeEQTypeMismatch, n, "%s() needs a boolean condition, not a %s", name, qm.SeriesName(t, x.s.Dim()))
				return unknown
			}
			if x.s.Dim() == qm.Event && f.f.Domain() != nil && x.s.Domain() != nil && !x.s.Domain().IsAncestorOrEqual(f.f.Domain()) {
				in.report(fr, CodeEQDomain, n, "this condition is drawn from a different table, or a more filtered frame, than the rows it filters: build it from the frame you call %s on", name)
				return unknown
			}
			cond = x.s
		case pyBool:
			cond = qm.NewValue(bool(x), qm.TBool)
		case unknownV:
			// A condition we cannot know still filters: the result has its own domain.
			cond = qm.NewOpaque(qm.TBool, qm.Patient)
		default:
			in.expectSeries(fr, v, rng(n), name+"()")
			return unknown
		}
		if name == "except_where" {
			cond = qm.NewFunction(qm.FnOr, qm.TBool, qm.NewFunction(qm.FnNot, qm.TBool, cond), qm.NewFunction(qm.FnIsNull, qm.TBool, cond))
		}
		return &frameV{f: qm.NewFilter(f.f, cond), table: f.table, class: f.class}
	case "sort_by":
		if len(c.args) == 0 {
			in.report(fr, CodeEQArgument, c.node, "sort_by() needs at least one column to sort by")
			return unknown
		}
		var keys []qm.Series
		for i, a := range c.args {
			switch x := a.(type) {
			case *seriesV:
				t := x.s.Type()
				if t.Kind == qm.Bool {
					in.report(fr, CodeEQArgument, c.argN[i], "Expected type 'Series[~Comparable]' but got 'Series[bool]': a boolean cannot be a sort key (use .as_int() or case())")
					return unknown
				}
				if t.Kind == qm.MultiCode {
					in.report(fr, CodeEQArgument, c.argN[i], "a multi-code string cannot be a sort key")
					return unknown
				}
				if x.s.Dim() == qm.Patient {
					in.report(fr, CodeEQArgument, c.argN[i], "Cannot sort by a constant value: a sort key must have a value for each row (a column of %s)", tableName(f))
					return unknown
				}
				if f.f.Domain() != nil && x.s.Domain() != nil && !x.s.Domain().IsAncestorOrEqual(f.f.Domain()) {
					in.report(fr, CodeEQDomain, c.argN[i], "this sort key is drawn from a different table, or a more filtered frame, than the rows it sorts")
					return unknown
				}
				keys = append(keys, x.s)
			case pyStr:
				in.report(fr, CodeEQArgument, c.argN[i], "to sort by a column use a table attribute like `%s.%s` rather than the string %q", tableName(f), string(x), string(x))
				if f.table != nil {
					if _, ok := f.table.Column(string(x)); ok {
						in.fix("Use "+fr.src(c.node.Func)+" column", rng(c.argN[i]), strings.TrimSuffix(fr.src(c.node.Func), ".sort_by")+"."+string(x))
					}
				}
				return unknown
			case unknownV:
				keys = append(keys, qm.NewOpaque(qm.TUnknown, qm.Event))
			default:
				in.report(fr, CodeEQArgument, c.argN[i], "sort_by() needs columns of the frame, not %s", typeName(a))
				return unknown
			}
		}
		out := f.f
		for i := len(keys) - 1; i >= 0; i-- {
			out = qm.NewSort(out, keys[i])
		}
		return &frameV{f: out, table: f.table, class: f.class}
	case "first_for_patient", "last_for_patient":
		if !f.f.Sorted() {
			in.report(fr, CodeEQUnsortedPick, c.node.Func, "'%s' object has no attribute '%s': sort the rows first with sort_by(...)", tableName(f), name)
			return unknown
		}
		return &frameV{f: qm.NewPick(f.f, name == "last_for_patient"), table: f.table, class: "PatientFrame", picked: true}
	case "exists_for_patient":
		return &seriesV{s: qm.NewFrameAggregate(qm.AggExists, f.f)}
	case "count_for_patient":
		return &seriesV{s: qm.NewFrameAggregate(qm.AggCount, f.f)}
	}
	if f.table != nil {
		if h, ok := f.table.Helper(name); ok {
			return in.helperMethod(fr, c, f, h)
		}
	}
	return unknown
}

func tableName(f *frameV) string {
	if f.table != nil {
		return f.table.Name
	}
	return "frame"
}

// dateArg converts an argument that must be a date (literal, "YYYY-MM-DD" or date series).
func (in *interp) dateArg(fr *frame, v val, n python.Node) qm.Series {
	if isUnknown(v) {
		return nil
	}
	return in.castTo(fr, v, n, qm.TDate)
}

// helperMethod evaluates a table helper such as patients.age_on(date).
func (in *interp) helperMethod(fr *frame, c *callCtx, f *frameV, h schema.EhrQLMethod) val {
	// Check the date arguments the helpers take.
	var dates []qm.Series
	for i, p := range h.Params {
		v, n, ok := c.arg(i, p.Name)
		if !ok {
			continue
		}
		if slices.Contains(p.Accepts, "date") {
			s := in.dateArg(fr, v, n)
			if s == nil {
				if !isUnknown(v) {
					return unknown
				}
				continue
			}
			dates = append(dates, s)
		}
		if slices.Contains(p.Accepts, "codelist") || slices.Contains(p.Accepts, "container") {
			in.checkContainer(fr, v, n, qm.Type{Kind: qm.Code, System: "ICD10"})
		}
	}
	switch h.Name {
	case "cause_of_death_is_in":
		// Any of the underlying cause and the 15 listed causes is in the codelist.
		v, n, ok := c.arg(0, "codelist")
		if !ok {
			return unknown
		}
		var acc qm.Series
		for _, col := range f.table.Columns {
			if col.Name != "underlying_cause_of_death" && !strings.HasPrefix(col.Name, "cause_of_death_") {
				continue
			}
			t := qmType(col.Type)
			items, ok := in.checkContainer(fr, v, n, t)
			if !ok {
				return unknown
			}
			var set qm.Series = qm.NewOpaque(qm.TBool, f.f.Dim())
			if items != nil || isKnownEmpty(v) {
				set = qm.NewFunction(qm.FnIn, qm.TBool, qm.NewColumn(f.f, col.Name, t), qm.NewValue(items, t))
			}
			if acc == nil {
				acc = set
			} else {
				acc = qm.NewFunction(qm.FnOr, qm.TBool, acc, set)
			}
		}
		if acc == nil {
			return unknown
		}
		return &seriesV{s: acc}
	case "age_on":
		if len(dates) == 1 {
			dob := qm.NewColumn(f.f, "date_of_birth", qm.TDate)
			return &seriesV{s: qm.NewFunction(qm.FnDateDiffYears, qm.TInt, dates[0], dob)}
		}
	case "spanning", "spanning_with_systmone", "electronic_frailty_index":
		return &frameV{f: qm.NewFilter(f.f, qm.NewFunction(qm.FnOp("Helper:"+h.Name), qm.TBool, dates...)), table: f.table, class: f.class}
	case "for_patient_on":
		inner := qm.NewFilter(f.f, qm.NewFunction(qm.FnOp("Helper:"+h.Name), qm.TBool, dates...))
		return &frameV{f: qm.NewPick(qm.NewSort(inner, qm.NewColumn(inner, "start_date", qm.TDate)), true), table: f.table, class: "PatientFrame", picked: true}
	}
	t := qmTypeOfResult(h.Result)
	switch h.Result {
	case "frame":
		return &frameV{f: qm.NewFilter(f.f, qm.NewFunction(qm.FnOp("Helper:"+h.Name), qm.TBool, dates...)), table: f.table, class: f.class}
	case "patient-frame":
		return &frameV{f: qm.NewPick(qm.NewSort(f.f, qm.NewOpaque(qm.TUnknown, qm.Event)), true), table: f.table, class: "PatientFrame", picked: true}
	}
	if t.Kind == qm.Unknown {
		return unknown
	}
	args := append([]qm.Series{qm.NewColumn(f.f, "patient_id", qm.TInt)}, dates...)
	s := qm.Series(qm.NewFunction(qm.FnOp("Helper:"+h.Name), t, args...))
	if h.Dim == "patient" && s.Dim() == qm.Event {
		s = qm.NewSeriesAggregate(qm.AggMax, s, t, 0)
	}
	return &seriesV{s: s}
}

// seriesMethod evaluates a method of a series.
func (in *interp) seriesMethod(fr *frame, c *callCtx, sv *seriesV, name string) val {
	s := sv.s
	t := s.Type()
	same := func(op qm.FnOp, args ...qm.Series) val {
		return &seriesV{s: qm.NewFunction(op, t, append([]qm.Series{s}, args...)...)}
	}
	boolOf := func(op qm.FnOp, args ...qm.Series) val {
		all := append([]qm.Series{s}, args...)
		if !qm.SameDomain(all...) {
			in.reportDomain(fr, c.node)
			return unknown
		}
		return &seriesV{s: qm.NewFunction(op, qm.TBool, all...)}
	}
	arg := func(i int, pname string) (val, python.Node, bool) { return c.arg(i, pname) }
	switch name {
	case "is_null":
		return boolOf(qm.FnIsNull)
	case "is_not_null":
		return &seriesV{s: qm.NewFunction(qm.FnNot, qm.TBool, qm.NewFunction(qm.FnIsNull, qm.TBool, s))}
	case "when_null_then", "if_null_then":
		v, n, ok := arg(0, "other")
		if !ok {
			return unknown
		}
		o := in.castTo(fr, v, n, t)
		if o == nil {
			return unknown
		}
		if !qm.SameDomain(s, o) {
			in.reportDomain(fr, c.node)
			return unknown
		}
		cond := qm.NewFunction(qm.FnNot, qm.TBool, qm.NewFunction(qm.FnIsNull, qm.TBool, s))
		return &seriesV{s: qm.NewCase([]qm.Branch{{Cond: cond, Value: s}}, o, t)}
	case "is_in", "is_not_in":
		v, n, ok := arg(0, "other")
		if !ok {
			return unknown
		}
		set := in.containerSeries(fr, v, n, s)
		if set == nil {
			return unknown
		}
		res := qm.Series(qm.NewFunction(qm.FnIn, qm.TBool, s, set))
		if name == "is_not_in" {
			res = qm.NewFunction(qm.FnNot, qm.TBool, res)
		}
		return &seriesV{s: res}
	case "map_values", "to_category":
		v, n, ok := arg(0, "mapping")
		if !ok {
			return unknown
		}
		return in.mapValues(fr, c, s, v, n)
	case "count_distinct_for_patient":
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggCountDistinct, s, qm.TInt, 0)}
	case "minimum_for_patient":
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggMin, s, t, 0)}
	case "maximum_for_patient":
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggMax, s, t, 0)}
	case "sum_for_patient":
		rt := t
		if t.Kind == qm.Bool {
			rt = qm.TInt
		}
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggSum, s, rt, 0)}
	case "mean_for_patient":
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggMean, s, qm.TFloat, 0)}
	case "count_episodes_for_patient":
		v, n, ok := arg(0, "maximum_gap")
		if !ok {
			return unknown
		}
		d, isDur := v.(*durationV)
		if !isDur || (d.unit != "days" && d.unit != "weeks") {
			if !isUnknown(v) {
				in.report(fr, CodeEQArgument, n, "`maximum_gap` must be supplied as `days()` or `weeks()`")
			}
			return unknown
		}
		gap := 0
		if k, ok := d.n.(pyInt); ok {
			gap = int(k)
			if d.unit == "weeks" {
				gap *= 7
			}
		}
		return &seriesV{s: qm.NewSeriesAggregate(qm.AggCountEpisodes, s, qm.TInt, gap)}
	case "as_int":
		return &seriesV{s: qm.NewFunction(qm.FnCastToInt, qm.TInt, s)}
	case "as_float":
		return &seriesV{s: qm.NewFunction(qm.FnCastToFloat, qm.TFloat, s)}
	case "absolute":
		return same(qm.FnAbsolute)
	case "to_first_of_year":
		return same(qm.FnToFirstOfYear)
	case "to_first_of_month":
		return same(qm.FnToFirstOfMon)
	case "is_before", "is_on_or_before", "is_after", "is_on_or_after":
		v, n, ok := arg(0, "other")
		if !ok {
			return unknown
		}
		o := in.castTo(fr, v, n, t)
		if o == nil {
			return unknown
		}
		op := map[string]qm.FnOp{"is_before": qm.FnLT, "is_on_or_before": qm.FnLE, "is_after": qm.FnGT, "is_on_or_after": qm.FnGE}[name]
		return boolOf(op, o)
	case "is_between_but_not_on", "is_on_or_between":
		a, an, ok1 := arg(0, "start")
		b, bn, ok2 := arg(1, "end")
		if !ok1 || !ok2 {
			return unknown
		}
		as, bs := in.castTo(fr, a, an, t), in.castTo(fr, b, bn, t)
		if as == nil || bs == nil {
			return unknown
		}
		lo, hi := qm.FnGE, qm.FnLE
		if name == "is_between_but_not_on" {
			lo, hi = qm.FnGT, qm.FnLT
		}
		if !qm.SameDomain(s, as, bs) {
			in.reportDomain(fr, c.node)
			return unknown
		}
		return &seriesV{s: qm.NewFunction(qm.FnAnd, qm.TBool, qm.NewFunction(lo, qm.TBool, s, as), qm.NewFunction(hi, qm.TBool, s, bs))}
	case "is_during":
		v, n, ok := arg(0, "interval")
		if !ok {
			return unknown
		}
		var lo, hi qm.Series
		switch x := v.(type) {
		case intervalV:
			lo, hi = qm.NewParam("interval_start", qm.TDate), qm.NewParam("interval_end", qm.TDate)
		case *listV:
			if len(x.items) != 2 {
				in.report(fr, CodeEQArgument, n, "is_during() needs a (start, end) pair")
				return unknown
			}
			lo, hi = in.castTo(fr, x.items[0], n, qm.TDate), in.castTo(fr, x.items[1], n, qm.TDate)
			if lo == nil || hi == nil {
				return unknown
			}
		default:
			return unknown
		}
		return &seriesV{s: qm.NewFunction(qm.FnAnd, qm.TBool, qm.NewFunction(qm.FnGE, qm.TBool, s, lo), qm.NewFunction(qm.FnLE, qm.TBool, s, hi))}
	case "contains":
		v, n, ok := arg(0, "other")
		if !ok {
			return unknown
		}
		var o qm.Series
		if t.Kind == qm.MultiCode {
			o = in.codePrefix(fr, v, n, t.System)
		} else {
			o = in.castTo(fr, v, n, qm.TStr)
		}
		if o == nil {
			return unknown
		}
		return boolOf(qm.FnStringContains, o)
	case "contains_any_of":
		v, n, ok := arg(0, "codelist")
		if !ok {
			return unknown
		}
		items, known := iterate(v)
		if !known {
			return &seriesV{s: qm.NewOpaque(qm.TBool, s.Dim())}
		}
		var acc qm.Series
		for _, it := range items {
			o := in.codePrefix(fr, it, n, t.System)
			if o == nil {
				return unknown
			}
			x := qm.NewFunction(qm.FnStringContains, qm.TBool, s, o)
			if acc == nil {
				acc = x
			} else {
				acc = qm.NewFunction(qm.FnOr, qm.TBool, acc, x)
			}
		}
		if acc == nil {
			acc = qm.NewValue(false, qm.TBool)
		}
		return &seriesV{s: acc}
	case "cause_of_death_is_in":
		return unknown
	}
	// Other catalogue methods: result from the rule.
	m, ok := schema.LookupEhrQLMethod(in.version, seriesClass(s), name)
	if !ok {
		return unknown
	}
	rt := qmTypeOfResult(m.Result)
	if m.Result == "same" {
		rt = t
	}
	if rt.Kind == qm.Unknown {
		return unknown
	}
	return &seriesV{s: qm.NewFunction(qm.FnOp("Method:"+name), rt, s)}
}

// codePrefix converts a value used with contains() on a multi-code column.
func (in *interp) codePrefix(fr *frame, v val, n python.Node, system string) qm.Series {
	switch x := v.(type) {
	case pyStr:
		if !schema.ValidCodePrefix(system, string(x)) {
			in.report(fr, CodeEQInvalidCode, n, "Expecting a %sCode, or a string prefix of a %sCode, got %q", system, system, string(x))
			return nil
		}
		return qm.NewValue(string(x), qm.TStr)
	case codeV:
		return qm.NewValue(x.code, qm.TStr)
	case *seriesV:
		return x.s
	case unknownV:
		return nil
	}
	in.report(fr, CodeEQTypeMismatch, n, "Expecting a %sCode, or a string prefix of a %sCode, got %s", system, system, typeName(v))
	return nil
}

// containerSeries converts is_in's argument: a container of literals, a codelist, or an
// event-level series.
func (in *interp) containerSeries(fr *frame, v val, n python.Node, s qm.Series) qm.Series {
	t := s.Type()
	if t.Kind == qm.MultiCode {
		in.report(fr, CodeEQOperator, n, "is_in() cannot be used with a multi-code string: use contains() or contains_any_of()")
		return nil
	}
	switch x := v.(type) {
	case *seriesV:
		if x.s.Dim() == qm.Patient {
			in.report(fr, CodeEQArgument, n, "Argument must be an EventSeries (i.e. have many values per patient); you supplied a PatientSeries with only one value per patient")
			return nil
		}
		if !qm.Compatible(x.s.Type(), t) {
			in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[%s]' but got 'Series[%s]'", t, x.s.Type())
			return nil
		}
		return qm.NewSeriesAggregate(qm.AggCombineAsSet, x.s, t, 0)
	case pyStr, pyInt, pyFloat, pyBool, pyDate, codeV:
		in.report(fr, CodeEQArgument, n, "Invalid type: %s. Note `is_in()` usually expects a list of values rather than a single value", typeName(v))
		return nil
	case unknownV:
		return qm.NewOpaque(qm.TUnknown, qm.Patient)
	}
	items, ok := in.checkContainer(fr, v, n, t)
	if !ok {
		return nil
	}
	return qm.NewValue(items, t)
}

// checkContainer casts every element of a container (list, tuple, set, dict keys,
// codelist) to t, reporting the first that does not fit.
func (in *interp) checkContainer(fr *frame, v val, n python.Node, t qm.Type) ([]any, bool) {
	if cl, ok := v.(*codelistV); ok {
		return in.checkCodelist(fr, cl, n, t)
	}
	items, ok := iterate(v)
	if !ok {
		if isUnknown(v) {
			return nil, true
		}
		in.report(fr, CodeEQArgument, n, "Invalid type: %s. Note `is_in()` usually expects a list of values", typeName(v))
		return nil, false
	}
	var out []any
	var first qm.Type
	for i, it := range items {
		if isUnknown(it) {
			continue
		}
		if lt, ok := litType(it); ok && i == 0 {
			first = lt
		}
		if lt, ok := litType(it); ok && first.Kind != qm.Unknown && lt.Kind != first.Kind && !(lt.Kind == qm.Str && first.Kind == qm.Code) && !(lt.Kind == qm.Code && first.Kind == qm.Str) {
			in.report(fr, CodeEQTypeMismatch, n, "all values in is_in() must have one type; found %s and %s", first, lt)
			return nil, false
		}
		s := in.castTo(fr, it, n, t)
		if s == nil {
			return nil, false
		}
		if lit, ok := s.(*qm.Value); ok {
			out = append(out, lit.V)
		}
	}
	return out, true
}

// checkCodelist checks a codelist's codes against a code column (the CTV3/SNOMED mix-up).
func (in *interp) checkCodelist(fr *frame, cl *codelistV, n python.Node, t qm.Type) ([]any, bool) {
	if !cl.known {
		return nil, true
	}
	if t.Kind != qm.Code && t.Kind != qm.Unknown && t.Kind != qm.Str {
		in.report(fr, CodeEQTypeMismatch, n, "a codelist holds codes, but this is a %s series", t)
		return nil, false
	}
	var out []any
	if t.Kind != qm.Code {
		for _, c := range cl.codes {
			out = append(out, c)
		}
		return out, true
	}
	for _, c := range cl.codes {
		if !schema.ValidCode(t.System, c) {
			hint := ""
			if systems := schema.CodeSystemsMatching(c); len(systems) > 0 {
				hint = fmt.Sprintf(" (it looks like a %s code)", strings.Join(systems, " or "))
			}
			in.report(fr, CodeEQCodelistSystem, n, "Invalid %sCode: %s: the codelist %s (column %s) does not hold %s codes%s", t.System, c, cl.path, cl.column, t.System, hint)
			return nil, false
		}
		out = append(out, c)
	}
	return out, true
}

// mapValues is map_values/to_category.
func (in *interp) mapValues(fr *frame, c *callCtx, s qm.Series, v val, n python.Node) val {
	t := s.Type()
	var keys, vals []val
	switch x := v.(type) {
	case *dictV:
		keys, vals = x.keys, x.vals
	case *codelistV:
		if !x.category {
			in.report(fr, CodeEQArgument, n, "to_category() needs a codelist read with category_column=")
			return unknown
		}
		if _, ok := in.checkCodelist(fr, x, n, t); !ok {
			return unknown
		}
		if !x.known {
			return &seriesV{s: qm.NewOpaque(qm.TStr, s.Dim())}
		}
		// One branch per category, in the order categories first appear: the code is in
		// that category's codes.
		var cats []string
		byCat := map[string][]any{}
		for _, code := range x.codes {
			cat := x.cats[code]
			if _, seen := byCat[cat]; !seen {
				cats = append(cats, cat)
			}
			byCat[cat] = append(byCat[cat], code)
		}
		var branches []qm.Branch
		for _, cat := range cats {
			branches = append(branches, qm.Branch{Cond: qm.NewFunction(qm.FnIn, qm.TBool, s, qm.NewValue(byCat[cat], t)), Value: qm.NewValue(cat, qm.TStr)})
		}
		var def qm.Series
		if d, ok := c.kw["default"]; ok && !isNone(d) {
			def = in.castTo(fr, d, c.kwN["default"].Value, qm.TStr)
		}
		if len(branches) == 0 {
			return &seriesV{s: qm.NewOpaque(qm.TStr, s.Dim())}
		}
		return &seriesV{s: qm.NewCase(branches, def, qm.TStr)}
	default:
		return unknown
	}
	var branches []qm.Branch
	var rt qm.Type
	for i, k := range keys {
		ks := in.castTo(fr, k, n, t)
		if ks == nil {
			return unknown
		}
		lt, ok := litType(vals[i])
		if !ok {
			if isNone(vals[i]) {
				continue
			}
			return unknown
		}
		if rt.Kind == qm.Unknown {
			rt = lt
		}
		branches = append(branches, qm.Branch{Cond: qm.NewFunction(qm.FnEQ, qm.TBool, s, ks), Value: qm.NewValue(literalOf(vals[i]), rt)})
	}
	var def qm.Series
	if d, ok := c.kw["default"]; ok && !isNone(d) {
		def = in.castTo(fr, d, c.kwN["default"].Value, rt)
	}
	if rt.Kind == qm.Unknown {
		return unknown
	}
	return &seriesV{s: qm.NewCase(branches, def, rt)}
}

// literalOf returns the Go value of a Python literal for a qm.Value.
func literalOf(v val) any {
	switch x := v.(type) {
	case pyBool:
		return bool(x)
	case pyInt:
		return int64(x)
	case pyFloat:
		return float64(x)
	case pyStr:
		return string(x)
	case pyDate:
		return qm.Date(x)
	case codeV:
		return x.code
	}
	return nil
}

// castTo converts a value meeting a series of type t, with ehrQL's casting rules, reporting
// what does not fit. It returns nil after reporting (or for unknown values).
func (in *interp) castTo(fr *frame, v val, n python.Node, t qm.Type) qm.Series {
	if sv, ok := v.(*seriesV); ok {
		st := sv.s.Type()
		if !qm.Compatible(st, t) {
			in.reportMismatch(fr, n, t, st, "")
			return nil
		}
		return sv.s
	}
	switch v.(type) {
	case unknownV:
		return nil
	case noneV:
		return qm.NewValue(nil, t)
	}
	lt, ok := litType(v)
	if !ok {
		if _, isFrame := v.(*frameV); isFrame {
			in.expectSeries(fr, v, rng(n), "invalid value")
			return nil
		}
		if t.Kind == qm.Unknown {
			return nil
		}
		in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[%s]' but got '%s'", t, typeName(v))
		return nil
	}
	switch t.Kind {
	case qm.Unknown:
		return qm.NewValue(literalOf(v), lt)
	case qm.DateKind:
		switch x := v.(type) {
		case pyDate:
			return qm.NewValue(qm.Date(x), t)
		case pyStr:
			d, err := qm.ParseDate(string(x))
			if err != nil {
				in.report(fr, CodeEQBadDate, n, "%s", dateError(string(x)))
				return nil
			}
			return qm.NewValue(d, t)
		}
	case qm.Float:
		switch x := v.(type) {
		case pyFloat:
			return qm.NewValue(float64(x), t)
		case pyInt:
			return qm.NewValue(float64(x), t)
		}
	case qm.Int:
		switch x := v.(type) {
		case pyInt:
			return qm.NewValue(int64(x), t)
		case pyFloat:
			in.report(fr, CodeEQIntFloat, n, "Expected type 'Series[int]' but got 'Series[float]'")
			return nil
		}
	case qm.Bool:
		if x, ok := v.(pyBool); ok {
			return qm.NewValue(bool(x), t)
		}
	case qm.Str:
		if x, ok := v.(pyStr); ok {
			return qm.NewValue(string(x), t)
		}
	case qm.Code:
		switch x := v.(type) {
		case pyStr:
			if t.System != "" && !schema.ValidCode(t.System, string(x)) {
				hint := ""
				if systems := schema.CodeSystemsMatching(string(x)); len(systems) > 0 {
					hint = fmt.Sprintf(" (it looks like a %s code)", strings.Join(systems, " or "))
				}
				in.report(fr, CodeEQInvalidCode, n, "Invalid %sCode: %s%s", t.System, string(x), hint)
				return nil
			}
			return qm.NewValue(string(x), t)
		case codeV:
			if t.System != "" && x.system != t.System {
				in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[%sCode]' but got '%sCode'", t.System, x.system)
				return nil
			}
			return qm.NewValue(x.code, t)
		}
	case qm.MultiCode:
		return in.codePrefix(fr, v, n, t.System)
	}
	in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[%s]' but got 'Series[%s]'", t, lt)
	return nil
}

func dateError(s string) string {
	if _, err := qm.ParseDate(s); err != nil && isoDateShape(s) {
		return fmt.Sprintf("%s is not a real date", s)
	}
	return fmt.Sprintf("Dates must be in YYYY-MM-DD format: '%s'", s)
}

func isoDateShape(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-'
}

// isKnownEmpty reports whether v is a container known to hold nothing.
func isKnownEmpty(v val) bool {
	items, ok := iterate(v)
	return ok && len(items) == 0
}
