package analysis

import (
	"fmt"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// reportDomain reports event-level series from different tables or filters combined.
func (in *interp) reportDomain(fr *frame, n python.Node) {
	in.report(fr, CodeEQDomain, n, "Cannot combine series which are drawn from different tables and both have more than one value per patient: aggregate one side first (e.g. .exists_for_patient() or sort_by(...).first_for_patient()), or use is_in()")
}

// reportMismatch reports two element types that cannot meet: int and float get their own
// code, as ehrQL only converts int literals.
func (in *interp) reportMismatch(fr *frame, n python.Node, want, got qm.Type, hint string) {
	if (want.Kind == qm.Int && got.Kind == qm.Float) || (want.Kind == qm.Float && got.Kind == qm.Int) {
		in.report(fr, CodeEQIntFloat, n, "Expected type 'Series[%s]' but got 'Series[%s]': convert one side with .as_float() or .as_int()%s", want, got, hint)
		return
	}
	in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[%s]' but got 'Series[%s]'%s", want, got, hint)
}

var arithOps = map[string]qm.FnOp{"+": qm.FnAdd, "-": qm.FnSubtract, "*": qm.FnMultiply, "/": qm.FnTrueDivide, "//": qm.FnFloorDivide, "**": qm.FnPower}

func (in *interp) unsupported(fr *frame, e *python.BinOp, l, r val) val {
	msg := fmt.Sprintf("unsupported operand type(s) for %s: '%s' and '%s'", e.Op, typeName(l), typeName(r))
	if e.Op == "&" || e.Op == "|" {
		if _, ok := l.(*seriesV); !ok {
			msg += "; `&` and `|` bind more tightly than `==`: put brackets around comparisons, e.g. `(a == b) | (c == d)`"
		} else if _, ok := r.(*seriesV); !ok {
			msg += "; `&` and `|` bind more tightly than `==`: put brackets around comparisons, e.g. `(a == b) | (c == d)`"
		}
	}
	in.report(fr, CodeEQOperator, e, "%s", msg)
	return unknown
}

// ehrqlBinop applies an arithmetic or logical operator where an ehrQL object is involved.
func (in *interp) ehrqlBinop(fr *frame, e *python.BinOp, l, r val) val {
	// Durations and dates.
	if ld, ok := l.(*durationV); ok {
		return in.durationOp(fr, e, ld, r, false)
	}
	if rd, ok := r.(*durationV); ok {
		return in.durationOp(fr, e, rd, l, true)
	}
	if _, ok := l.(*codelistV); ok {
		return combineCodelists(l.(*codelistV), r)
	}
	ls, lIsSeries := l.(*seriesV)
	rs, rIsSeries := r.(*seriesV)
	if !lIsSeries && !rIsSeries {
		return in.unsupported(fr, e, l, r)
	}
	// The series decides the type; a literal is cast to it.
	var st qm.Type
	if lIsSeries {
		st = ls.s.Type()
	} else {
		st = rs.s.Type()
	}
	if st.Kind == qm.Unknown {
		return unknown
	}
	switch e.Op {
	case "&", "|":
		for _, x := range []val{l, r} {
			switch x.(type) {
			case pyStr, pyInt, pyFloat, pyDate, noneV:
				return in.unsupported(fr, e, l, r)
			}
		}
		lb := in.logicOperand(fr, e, l, e.Left)
		rb := in.logicOperand(fr, e, r, e.Right)
		if lb == nil || rb == nil {
			if (lb == nil && !isUnknown(l) && !isEhrQL(l) && !isBoolish(l)) || (rb == nil && !isUnknown(r) && !isEhrQL(r) && !isBoolish(r)) {
				return in.unsupported(fr, e, l, r)
			}
			return unknown
		}
		if !qm.SameDomain(lb, rb) {
			in.reportDomain(fr, e)
			return unknown
		}
		op := qm.FnAnd
		if e.Op == "|" {
			op = qm.FnOr
		}
		return &seriesV{s: qm.NewFunction(op, qm.TBool, lb, rb)}
	}
	fn, ok := arithOps[e.Op]
	if !ok {
		return in.unsupported(fr, e, l, r)
	}
	// Dates: difference of two dates.
	if st.Kind == qm.DateKind {
		if e.Op != "-" {
			return in.unsupported(fr, e, l, r)
		}
		var a, b qm.Series
		if lIsSeries {
			a = ls.s
		} else {
			a = in.castTo(fr, l, e.Left, qm.TDate)
		}
		if rIsSeries {
			b = rs.s
		} else {
			if _, isInt := r.(pyInt); isInt {
				return in.unsupported(fr, e, l, r)
			}
			b = in.castTo(fr, r, e.Right, qm.TDate)
		}
		if a == nil || b == nil {
			return unknown
		}
		if !qm.Compatible(a.Type(), qm.TDate) || !qm.Compatible(b.Type(), qm.TDate) {
			return in.unsupported(fr, e, l, r)
		}
		if !qm.SameDomain(a, b) {
			in.reportDomain(fr, e)
			return unknown
		}
		return &dateDiffV{end: a, start: b}
	}
	if st.Kind != qm.Int && st.Kind != qm.Float {
		return in.unsupported(fr, e, l, r)
	}
	// Numbers.
	var a, b qm.Series
	if lIsSeries {
		a = ls.s
	}
	if rIsSeries {
		b = rs.s
	}
	if a == nil {
		if _, isBool := l.(pyBool); isBool {
			return in.unsupported(fr, e, l, r)
		}
		a = in.castTo(fr, l, e.Left, st)
	}
	if b == nil {
		if _, isBool := r.(pyBool); isBool {
			return in.unsupported(fr, e, l, r)
		}
		b = in.castTo(fr, r, e.Right, st)
	}
	if a == nil || b == nil {
		return unknown
	}
	if at, bt := a.Type(), b.Type(); !qm.Compatible(at, bt) {
		in.reportMismatch(fr, e, at, bt, "")
		return unknown
	}
	if !qm.SameDomain(a, b) {
		in.reportDomain(fr, e)
		return unknown
	}
	rt := st
	switch e.Op {
	case "/", "**":
		rt = qm.TFloat
	case "//":
		rt = qm.TInt
	}
	return &seriesV{s: qm.NewFunction(fn, rt, a, b)}
}

func isBoolish(v val) bool { _, ok := v.(pyBool); return ok }

// logicOperand converts an operand of & or | to a boolean series.
func (in *interp) logicOperand(fr *frame, e *python.BinOp, v val, n python.Node) qm.Series {
	switch x := v.(type) {
	case *seriesV:
		if t := x.s.Type(); t.Kind != qm.Bool && t.Kind != qm.Unknown {
			in.report(fr, CodeEQTypeMismatch, n, "Expected type 'Series[bool]' but got 'Series[%s]' (`%s` combines conditions)", t, e.Op)
			return nil
		}
		return x.s
	case pyBool:
		return qm.NewValue(bool(x), qm.TBool)
	}
	return nil
}

// durationOp is arithmetic with durations: date ± duration, duration ± duration.
func (in *interp) durationOp(fr *frame, e *python.BinOp, d *durationV, other val, durationOnRight bool) val {
	switch o := other.(type) {
	case *durationV:
		if o.unit != d.unit {
			return in.unsupported(fr, e, d, o)
		}
		if e.Op != "+" && e.Op != "-" {
			return in.unsupported(fr, e, d, o)
		}
		a, b := d.n, o.n
		if durationOnRight {
			a, b = o.n, d.n
		}
		return &durationV{unit: d.unit, n: arith(e.Op, a, b)}
	case unknownV:
		return unknown
	}
	if !durationOnRight && e.Op == "-" {
		// duration - date makes no sense.
		return in.unsupported(fr, e, d, other)
	}
	if e.Op != "+" && e.Op != "-" {
		if durationOnRight {
			return in.unsupported(fr, e, other, d)
		}
		return in.unsupported(fr, e, d, other)
	}
	sign := int64(1)
	if e.Op == "-" {
		sign = -1
	}
	// Static: a literal date and a literal number.
	if pd, ok := asStaticDate(other); ok {
		if n, ok := d.n.(pyInt); ok {
			k := int(int64(n) * sign)
			var out qm.Date
			ok := true
			switch d.unit {
			case "days":
				out = pd.AddDays(k)
			case "weeks":
				out = pd.AddDays(7 * k)
			case "months":
				out, ok = pd.AddMonths(k)
			case "years":
				out, ok = pd.AddYears(k)
			}
			if !ok {
				in.report(fr, CodeEQBadDate, e, "the resulting date is outside the years 1 to 9999")
				return unknown
			}
			return pyDate(out)
		}
	}
	var ds qm.Series
	switch x := other.(type) {
	case *seriesV:
		if !qm.Compatible(x.s.Type(), qm.TDate) {
			if durationOnRight {
				return in.unsupported(fr, e, other, d)
			}
			return in.unsupported(fr, e, d, other)
		}
		ds = x.s
	case pyStr, pyDate:
		ds = in.castTo(fr, other, e, qm.TDate)
		if ds == nil {
			return unknown
		}
	default:
		if durationOnRight {
			return in.unsupported(fr, e, other, d)
		}
		return in.unsupported(fr, e, d, other)
	}
	var ns qm.Series
	switch n := d.n.(type) {
	case pyInt:
		ns = qm.NewValue(int64(n)*sign, qm.TInt)
	case *seriesV:
		ns = n.s
		if sign < 0 {
			ns = qm.NewFunction(qm.FnNegate, qm.TInt, ns)
		}
	default:
		return unknown
	}
	if !qm.SameDomain(ds, ns) {
		in.reportDomain(fr, e)
		return unknown
	}
	op := map[string]qm.FnOp{"days": qm.FnDateAddDays, "weeks": qm.FnDateAddDays, "months": qm.FnDateAddMonths, "years": qm.FnDateAddYears}[d.unit]
	if d.unit == "weeks" {
		ns = qm.NewFunction(qm.FnMultiply, qm.TInt, ns, qm.NewValue(int64(7), qm.TInt))
	}
	return &seriesV{s: qm.NewFunction(op, qm.TDate, ds, ns)}
}

func asStaticDate(v val) (qm.Date, bool) {
	switch x := v.(type) {
	case pyDate:
		return qm.Date(x), true
	case pyStr:
		d, err := qm.ParseDate(string(x))
		return d, err == nil
	}
	return qm.Date{}, false
}

var compareOps = map[string]qm.FnOp{"==": qm.FnEQ, "!=": qm.FnNE, "<": qm.FnLT, "<=": qm.FnLE, ">": qm.FnGT, ">=": qm.FnGE}

// ehrqlCompare applies a comparison where an ehrQL object is involved.
func (in *interp) ehrqlCompare(fr *frame, e *python.Compare, op string, l, r val) val {
	ls, lIsSeries := l.(*seriesV)
	rs, rIsSeries := r.(*seriesV)
	if !lIsSeries && !rIsSeries {
		if ld, ok := l.(*durationV); ok {
			if rd, ok := r.(*durationV); ok && (op == "==" || op == "!=") {
				eq := ld.unit == rd.unit && fmt.Sprint(ld.n) == fmt.Sprint(rd.n)
				return pyBool(eq == (op == "=="))
			}
		}
		return unknown
	}
	fn, ok := compareOps[op]
	if !ok {
		if op == "in" || op == "not in" {
			in.report(fr, CodeEQOperator, e, "`in` cannot test an ehrQL series: use .is_in([...])")
		} else {
			in.report(fr, CodeEQOperator, e, "`%s` cannot compare ehrQL series: use .is_null() or ==", op)
		}
		return unknown
	}
	var st qm.Type
	if lIsSeries {
		st = ls.s.Type()
	} else {
		st = rs.s.Type()
	}
	if st.Kind == qm.Unknown {
		return unknown
	}
	if st.Kind == qm.MultiCode && (op == "==" || op == "!=") {
		in.report(fr, CodeEQOperator, e, "a multi-code string cannot be compared with %s: use contains() or contains_any_of()", op)
		return unknown
	}
	if op != "==" && op != "!=" {
		if st.Kind == qm.Bool || st.Kind == qm.Code || st.Kind == qm.MultiCode {
			in.report(fr, CodeEQOperator, e, "'%s' not supported between %s values", op, st)
			return unknown
		}
	}
	var a, b qm.Series
	if lIsSeries {
		a = ls.s
	} else {
		a = in.castTo(fr, l, e.Left, st)
	}
	if rIsSeries {
		b = rs.s
	} else {
		b = in.castTo(fr, r, e.Comparators[0], st)
	}
	if a == nil || b == nil {
		return unknown
	}
	if at, bt := a.Type(), b.Type(); !qm.Compatible(at, bt) {
		in.reportMismatch(fr, e, at, bt, "")
		return unknown
	}
	if !qm.SameDomain(a, b) {
		in.reportDomain(fr, e)
		return unknown
	}
	return &seriesV{s: qm.NewFunction(fn, qm.TBool, a, b)}
}

// ehrqlUnary applies -, ~ or not to an ehrQL object.
func (in *interp) ehrqlUnary(fr *frame, e *python.UnaryOp, v val) val {
	switch x := v.(type) {
	case *seriesV:
		t := x.s.Type()
		switch e.Op {
		case "not":
			in.report(fr, CodeEQBoolKeyword, e, "The keywords 'and', 'or', and 'not' cannot be used with ehrQL, please use the operators '&', '|' and '~' instead")
			in.fix("Use ~", rng(e), "~("+fr.src(e.Operand)+")")
			return unknown
		case "~":
			if t.Kind != qm.Bool && t.Kind != qm.Unknown {
				in.report(fr, CodeEQOperator, e, "bad operand type for unary ~: '%s'", typeName(v))
				return unknown
			}
			return &seriesV{s: qm.NewFunction(qm.FnNot, qm.TBool, x.s)}
		case "-":
			if t.Kind != qm.Int && t.Kind != qm.Float && t.Kind != qm.Unknown {
				in.report(fr, CodeEQOperator, e, "bad operand type for unary -: '%s'", typeName(v))
				return unknown
			}
			return &seriesV{s: qm.NewFunction(qm.FnNegate, t, x.s)}
		case "+":
			return v
		}
	case *durationV:
		if e.Op == "-" {
			return &durationV{unit: x.unit, n: arith("*", x.n, pyInt(-1))}
		}
	}
	return unknown
}

// datasetMethod handles define_population, add_column, configure_dummy_data, add_event_table.
func (in *interp) datasetMethod(fr *frame, c *callCtx, d *datasetV, name string) val {
	st := d.st
	switch name {
	case "define_population":
		v, n, ok := c.arg(0, "population_condition")
		if !ok {
			return none
		}
		if st.popDefined && in.spec == 0 && !st.popMaybe {
			in.report(fr, CodeEQPopulationTwice, c.node, "define_population() should be called no more than once")
			return none
		}
		if in.spec > 0 {
			st.popMaybe = true
		}
		st.popDefined = true
		st.popRange = c.node.Range
		s, ok := in.expectSeries(fr, v, rng(n), "invalid population definition")
		if !ok || s == nil {
			return none
		}
		if t := s.Type(); t.Kind != qm.Bool && t.Kind != qm.Unknown {
			in.report(fr, CodeEQPopulationType, n, "invalid population definition: Expecting a boolean series, got series of type '%s'", t)
			return none
		}
		if s.Dim() == qm.Event {
			in.report(fr, CodeEQPopulationType, n, "invalid population definition: Expecting a series with only one value per patient")
			return none
		}
		if nullTrue(s) {
			in.report(fr, CodeEQPopulationNull, n, "population definition must not evaluate as True for NULL inputs: it would include every patient with no data at all (e.g. use `x.exists_for_patient() & ...`)")
		}
		st.ds.Population = s
		return none
	case "add_column":
		nv, nn, ok1 := c.arg(0, "column_name")
		v, vn, ok2 := c.arg(1, "ehrql_query")
		if !ok1 || !ok2 {
			return none
		}
		s, known := nv.(pyStr)
		in.datasetAssign(fr, d, string(s), known, rng(nn), v, vn, c.node)
		return none
	case "configure_dummy_data", "configure_dummy_dataset":
		if ps, ok := c.kw["population_size"].(pyInt); ok {
			st.ds.Dummy.PopulationSize = int(ps)
		}
		if t, ok := c.kw["timeout"].(pyInt); ok {
			st.ds.Dummy.Timeout = int(t)
		}
		if l, ok := c.kw["legacy"].(pyBool); ok {
			st.ds.Dummy.Legacy = bool(l)
		}
		if v, ok := c.kw["additional_population_constraint"]; ok {
			if s := in.boolSeries(fr, v, c.kwN["additional_population_constraint"].Value, "invalid additional_population_constraint"); s != nil {
				st.ds.Dummy.Constraint = s
			}
		}
		if len(c.args) > 0 {
			in.report(fr, CodeEQArgument, c.argN[0], "configure_dummy_data() takes keyword arguments only (e.g. population_size=1000)")
		}
		return none
	case "add_event_table":
		nv, _, ok := c.arg(0, "name")
		name, known := nv.(pyStr)
		if !ok || !known {
			st.unknownNames = true
			return unknown
		}
		et := &eventTableV{cols: map[string]val{}}
		table := qm.EventTable{Name: string(name)}
		var domain qm.Series
		for _, kw := range c.node.Keywords { // columns in the order written
			k := kw.Arg
			v, ok := c.kw[k]
			if k == "" || k == "name" || !ok {
				continue
			}
			et.cols[k] = v
			s, ok := in.expectSeries(fr, v, rng(c.kwN[k].Value), "invalid column '"+k+"' of event table '"+string(name)+"'")
			if !ok || s == nil {
				continue
			}
			if s.Dim() == qm.Event {
				if domain != nil && !qm.SameDomain(domain, s) {
					in.reportDomain(fr, c.kwN[k].Value)
					continue
				}
				domain = s
			}
			table.Columns = append(table.Columns, qm.Variable{Name: k, Series: s})
		}
		st.ds.EventTables = append(st.ds.EventTables, table)
		if st.values == nil {
			st.values = map[string]val{}
		}
		st.values[string(name)] = et
		return et
	}
	return unknown
}

// measuresMethod handles define_measure and friends, collecting measures for the engine.
func (in *interp) measuresMethod(fr *frame, c *callCtx, m *measuresV, name string) val {
	st := m.st
	get := func(k string) (val, python.Node) {
		if v, ok := c.kw[k]; ok {
			return v, c.kwN[k].Value
		}
		if v, ok := st.defaults[k]; ok {
			return v, c.node
		}
		return nil, nil
	}
	switch name {
	case "define_defaults":
		for k, v := range c.kw {
			st.defaults[k] = v
		}
		return none
	case "configure_disclosure_control":
		if b, ok := c.kw["enabled"].(pyBool); ok {
			st.m.DisclosureControl = bool(b)
		}
		return none
	case "configure_dummy_data":
		if ps, ok := c.kw["population_size"].(pyInt); ok {
			st.m.Dummy.PopulationSize = int(ps)
		}
		return none
	case "define_measure":
		var mname string
		if v, _, ok := c.arg(0, "name"); ok {
			if s, ok := v.(pyStr); ok {
				mname = string(s)
			}
		}
		meas := qm.Measure{Name: mname}
		for _, k := range []string{"numerator", "denominator"} {
			v, n := get(k)
			if v == nil {
				continue
			}
			s, ok := in.expectSeries(fr, v, rng(n), "invalid "+k)
			if !ok || s == nil {
				continue
			}
			if t := s.Type(); t.Kind != qm.Bool && t.Kind != qm.Int && t.Kind != qm.Unknown {
				in.report(fr, CodeEQTypeMismatch, n, "%s must be a boolean or integer series, got series of type '%s'", k, t)
				continue
			}
			if s.Dim() == qm.Event {
				in.report(fr, CodeEQNotPatientLevel, n, "%s: Expecting a series with only one value per patient", k)
				continue
			}
			if k == "numerator" {
				meas.Numerator = s
			} else {
				meas.Denominator = s
			}
		}
		if gv, gn := get("group_by"); gv != nil {
			if gd, ok := gv.(*dictV); ok {
				for i, key := range gd.keys {
					ks, _ := key.(pyStr)
					s, ok := in.expectSeries(fr, gd.vals[i], rng(gn), "invalid group_by '"+string(ks)+"'")
					if !ok || s == nil {
						continue
					}
					if s.Dim() == qm.Event {
						in.report(fr, CodeEQNotPatientLevel, gn, "group_by '%s': Expecting a series with only one value per patient", string(ks))
						continue
					}
					if contains(schema.EhrQLReservedGroupByNames(), string(ks)) {
						in.report(fr, CodeEQInvalidName, gn, "'%s' is not an allowed group_by name", string(ks))
					}
					meas.GroupBy = append(meas.GroupBy, qm.Variable{Name: string(ks), Series: s})
				}
			}
		}
		if iv, in2 := get("intervals"); iv != nil {
			if _, isDur := iv.(*durationV); isDur {
				in.report(fr, CodeEQArgument, in2, "intervals must be a list of (start, end) dates, e.g. months(12).starting_on(\"2020-01-01\"), not a bare duration")
			}
			if l, ok := iv.(*listV); ok {
				for _, it := range l.items {
					if p, ok := it.(*listV); ok && len(p.items) == 2 {
						a, ok1 := p.items[0].(pyDate)
						b, ok2 := p.items[1].(pyDate)
						if ok1 && ok2 {
							meas.Intervals = append(meas.Intervals, [2]qm.Date{qm.Date(a), qm.Date(b)})
						}
					}
				}
			}
		}
		st.m.Measures = append(st.m.Measures, meas)
		return none
	}
	return unknown
}

// durationMethod handles Duration.starting_on/ending_on (measures intervals).
func (in *interp) durationMethod(fr *frame, c *callCtx, d *durationV, name string) val {
	v, n, ok := c.arg(0, "date")
	if !ok {
		return unknown
	}
	start, ok := asStaticDate(v)
	if !ok {
		if s, isStr := v.(pyStr); isStr {
			in.report(fr, CodeEQBadDate, n, "%s", dateError(string(s)))
		}
		return unknown
	}
	count, ok := d.n.(pyInt)
	if !ok || count < 0 || count > 10000 {
		return unknown
	}
	step := func(date qm.Date, k int) (qm.Date, bool) {
		switch d.unit {
		case "days":
			return date.AddDays(k), true
		case "weeks":
			return date.AddDays(7 * k), true
		case "months":
			return date.AddMonths(k)
		}
		return date.AddYears(k)
	}
	out := &listV{}
	for i := 0; i < int(count); i++ {
		var a, b qm.Date
		var ok1, ok2 bool
		if name == "starting_on" {
			a, ok1 = step(start, i)
			b, ok2 = step(start, i+1)
			b = b.AddDays(-1)
		} else {
			b, ok2 = step(start, -i)
			a, ok1 = step(start, -i-1)
			a = a.AddDays(1)
		}
		if !ok1 || !ok2 {
			return unknown
		}
		out.items = append(out.items, &listV{tuple: true, items: []val{pyDate(a), pyDate(b)}})
	}
	if name == "ending_on" {
		reverseVals(out.items)
	}
	return out
}

// nullTrue evaluates a population condition for a patient with no rows in any table, with
// Kleene logic, and reports whether it is definitely true.
func nullTrue(s qm.Series) bool {
	v, known := evalEmpty(s)
	return known && v == true
}

// evalEmpty gives a series' value for a patient with no data: nil stands for NULL.
func evalEmpty(s qm.Series) (any, bool) {
	switch x := s.(type) {
	case *qm.Value:
		if x.T.Kind == qm.Unknown {
			return nil, false
		}
		return x.V, true
	case *qm.SelectColumn:
		return nil, true
	case *qm.Aggregate:
		switch x.Op {
		case qm.AggExists:
			return false, true
		case qm.AggCount, qm.AggCountDistinct, qm.AggCountEpisodes:
			return int64(0), true
		}
		return nil, true
	case *qm.Function:
		args := make([]any, len(x.Args))
		for i, a := range x.Args {
			v, ok := evalEmpty(a)
			if !ok {
				return nil, false
			}
			args[i] = v
		}
		switch x.Op {
		case qm.FnNot:
			if b, ok := args[0].(bool); ok {
				return !b, true
			}
			return nil, true
		case qm.FnIsNull:
			return args[0] == nil, true
		case qm.FnAnd:
			a, b := args[0], args[1]
			if a == false || b == false {
				return false, true
			}
			if a == true && b == true {
				return true, true
			}
			return nil, true
		case qm.FnOr:
			a, b := args[0], args[1]
			if a == true || b == true {
				return true, true
			}
			if a == false && b == false {
				return false, true
			}
			return nil, true
		case qm.FnEQ, qm.FnNE, qm.FnLT, qm.FnLE, qm.FnGT, qm.FnGE:
			if args[0] == nil || args[1] == nil {
				return nil, true
			}
			a, aok := args[0].(int64)
			b, bok := args[1].(int64)
			if !aok || !bok {
				return nil, false
			}
			switch x.Op {
			case qm.FnEQ:
				return a == b, true
			case qm.FnNE:
				return a != b, true
			case qm.FnLT:
				return a < b, true
			case qm.FnLE:
				return a <= b, true
			case qm.FnGT:
				return a > b, true
			case qm.FnGE:
				return a >= b, true
			}
		}
		for _, a := range args {
			if a == nil {
				return nil, true
			}
		}
		return nil, false
	case *qm.Case:
		for _, b := range x.Branches {
			c, ok := evalEmpty(b.Cond)
			if !ok {
				return nil, false
			}
			if c == true {
				if b.Value == nil {
					return nil, true
				}
				return evalEmpty(b.Value)
			}
		}
		if x.Default == nil {
			return nil, true
		}
		return evalEmpty(x.Default)
	}
	return nil, false
}
