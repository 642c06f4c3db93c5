package engine

import (
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
)

// rewriter expands the table helpers the analyser leaves as named operations
// (qm.FnOp("Helper:<name>")) into query-model primitives, following ehrQL's own
// definitions of those helpers, so that the evaluator, the tie-break rule and the generator
// only ever see primitives.
type rewriter struct {
	frames map[string]qm.Frame
	series map[string]qm.Series
	notes  map[string]bool // things the model could not express, reported once
}

func newRewriter() *rewriter {
	return &rewriter{frames: map[string]qm.Frame{}, series: map[string]qm.Series{}, notes: map[string]bool{}}
}

func helperName(s qm.Series) (string, []qm.Series, bool) {
	f, ok := s.(*qm.Function)
	if !ok {
		return "", nil, false
	}
	name, ok := strings.CutPrefix(string(f.Op), "Helper:")
	return name, f.Args, ok
}

func (r *rewriter) frame(f qm.Frame) qm.Frame {
	if f == nil {
		return nil
	}
	if g, ok := r.frames[f.Key()]; ok {
		return g
	}
	var out qm.Frame
	switch x := f.(type) {
	case *qm.Filter:
		src := r.frame(x.Source)
		if name, args, ok := helperName(x.Cond); ok {
			out = r.helperFilter(src, name, r.list(args))
		} else {
			out = qm.NewFilter(src, r.ser(x.Cond))
		}
	case *qm.Sort:
		if flt, ok := x.Source.(*qm.Filter); ok {
			if name, _, ok := helperName(flt.Cond); ok && name == "for_patient_on" {
				out = forPatientOnSort(r.frame(flt))
				break
			}
		}
		out = qm.NewSort(r.frame(x.Source), r.ser(x.SortKey))
	case *qm.Pick:
		out = qm.NewPick(r.frame(x.Source), x.Last)
	default:
		out = f
	}
	r.frames[f.Key()] = out
	return out
}

func (r *rewriter) list(ss []qm.Series) []qm.Series {
	out := make([]qm.Series, len(ss))
	for i, s := range ss {
		out[i] = r.ser(s)
	}
	return out
}

func (r *rewriter) ser(s qm.Series) qm.Series {
	if s == nil {
		return nil
	}
	if t, ok := r.series[s.Key()]; ok {
		return t
	}
	var out qm.Series
	switch x := s.(type) {
	case *qm.SelectColumn:
		out = qm.NewColumn(r.frame(x.Source), x.Name, x.T)
	case *qm.Case:
		bs := make([]qm.Branch, len(x.Branches))
		for i, b := range x.Branches {
			bs[i] = qm.Branch{Cond: r.ser(b.Cond), Value: r.ser(b.Value)}
		}
		out = qm.NewCase(bs, r.ser(x.Default), x.T)
	case *qm.Aggregate:
		if x.Frame != nil {
			out = qm.NewFrameAggregate(x.Op, r.frame(x.Frame))
			break
		}
		arg := r.ser(x.Arg)
		if arg.Dim() == qm.Patient && (x.Op == qm.AggMax || x.Op == qm.AggMin) {
			// The analyser wraps patient-level helper results of event tables in Max.
			out = arg
			break
		}
		out = qm.NewSeriesAggregate(x.Op, arg, x.T, x.GapDays)
	case *qm.Function:
		if name, args, ok := helperName(x); ok {
			out = r.helperSeries(name, args, x.T)
			break
		}
		if string(x.Op) == "MapValues" {
			r.notes["to_category with a categorised codelist is evaluated as NULL: the query model does not carry the codelist's categories yet"] = true
		}
		out = qm.NewFunction(x.Op, x.T, r.list(x.Args)...)
	default:
		out = s
	}
	r.series[s.Key()] = out
	return out
}

func col(f qm.Frame, name string) qm.Series {
	t := qm.TUnknown
	if tb := f.Table(); tb != nil {
		if c, ok := tb.Column(name); ok {
			t = c.Type
		}
	}
	switch name {
	case "start_date", "end_date", "date_of_death", "practice_systmone_go_live_date", "registration_start_date", "registration_end_date":
		if t.Kind == qm.Unknown {
			t = qm.TDate
		}
	}
	return qm.NewColumn(f, name, t)
}

func fn(op qm.FnOp, args ...qm.Series) qm.Series { return qm.NewFunction(op, qm.TBool, args...) }

func lit(v any, t qm.Type) qm.Series { return qm.NewValue(v, t) }

// spanningCond is practice_registrations.spanning(s, e)'s condition.
func spanningCond(f qm.Frame, s, e qm.Series) qm.Series {
	end := col(f, "end_date")
	return fn(qm.FnAnd, fn(qm.FnLE, col(f, "start_date"), s), fn(qm.FnOr, fn(qm.FnGE, end, e), fn(qm.FnIsNull, end)))
}

// unknownCond is a condition the evaluator treats as NULL (drops every row) when a helper
// is missing its arguments.
func unknownCond() qm.Series { return qm.NewValue("?", qm.TUnknown) }

func (r *rewriter) helperFilter(src qm.Frame, name string, args []qm.Series) qm.Frame {
	tname := ""
	if t := src.Table(); t != nil {
		tname = t.Name
	}
	switch name {
	case "spanning", "spanning_with_systmone":
		if len(args) < 2 {
			return qm.NewFilter(src, unknownCond())
		}
		cond := spanningCond(src, args[0], args[1])
		if name == "spanning_with_systmone" {
			cond = fn(qm.FnAnd, cond, fn(qm.FnLE, col(src, "practice_systmone_go_live_date"), args[0]))
		}
		return qm.NewFilter(src, cond)
	case "for_patient_on":
		if len(args) < 1 {
			return qm.NewFilter(src, unknownCond())
		}
		d := args[0]
		if tname == "addresses" {
			before := fn(qm.FnLT, col(src, "end_date"), d)
			return qm.NewFilter(qm.NewFilter(src, fn(qm.FnLE, col(src, "start_date"), d)), fn(qm.FnOr, fn(qm.FnNot, before), fn(qm.FnIsNull, before)))
		}
		return qm.NewFilter(src, spanningCond(src, d, d))
	case "electronic_frailty_index":
		return qm.NewFilter(src, fn(qm.FnAnd,
			fn(qm.FnEQ, col(src, "algorithm_description"), lit("UK Electronic Frailty Index (eFI)", qm.TStr)),
			fn(qm.FnEQ, col(src, "algorithm_version"), lit("1.0", qm.TStr))))
	}
	r.notes["the table helper "+name+" is not known to the engine; its rows are dropped"] = true
	return qm.NewFilter(src, unknownCond())
}

// forPatientOnSort sorts the rows for_patient_on keeps, so that the last row is the one the
// helper picks.
func forPatientOnSort(filtered qm.Frame) qm.Frame {
	t := filtered.Table()
	var keys []qm.Series
	if t != nil && t.Name == "addresses" {
		hp := col(filtered, "has_postcode")
		keys = []qm.Series{
			qm.NewCase([]qm.Branch{{Cond: hp, Value: lit(int64(1), qm.TInt)}}, lit(int64(0), qm.TInt), qm.TInt),
			col(filtered, "start_date"), col(filtered, "end_date"), col(filtered, "address_id"),
		}
	} else {
		keys = []qm.Series{col(filtered, "start_date"), col(filtered, "end_date"), col(filtered, "practice_pseudo_id")}
	}
	// sort_by(a, b, c) is Sort(Sort(Sort(src, c), b), a).
	out := filtered
	for i := len(keys) - 1; i >= 0; i-- {
		out = qm.NewSort(out, keys[i])
	}
	return out
}

func (r *rewriter) helperSeries(name string, args []qm.Series, t qm.Type) qm.Series {
	if len(args) == 0 {
		return qm.NewValue(nil, t)
	}
	pid, ok := args[0].(*qm.SelectColumn)
	if !ok {
		return qm.NewValue(nil, t)
	}
	f := r.frame(pid.Source)
	rest := r.list(args[1:])
	need := func(n int) bool { return len(rest) >= n }
	switch name {
	case "is_alive_on":
		if need(1) {
			dod := col(f, "date_of_death")
			return fn(qm.FnOr, fn(qm.FnGT, dod, rest[0]), fn(qm.FnIsNull, dod))
		}
	case "is_dead_on":
		if need(1) {
			dod := col(f, "date_of_death")
			return fn(qm.FnAnd, fn(qm.FnNot, fn(qm.FnIsNull, dod)), fn(qm.FnLT, dod, rest[0]))
		}
	case "exists_for_patient_on":
		if need(1) {
			return qm.NewFrameAggregate(qm.AggExists, qm.NewFilter(f, spanningCond(f, rest[0], rest[0])))
		}
	case "has_practice_registration_spanning":
		if need(2) {
			end := col(f, "registration_end_date")
			return fn(qm.FnAnd, fn(qm.FnLE, col(f, "registration_start_date"), rest[0]), fn(qm.FnOr, fn(qm.FnGT, end, rest[1]), fn(qm.FnIsNull, end)))
		}
	case "imd_quintile", "imd_decile":
		n := 5
		if name == "imd_decile" {
			n = 10
		}
		imd := col(f, "imd_rounded")
		var bs []qm.Branch
		for k := 1; k <= n; k++ {
			cut := lit(int64(32844*k/n), qm.TInt)
			cond := fn(qm.FnLT, imd, cut)
			label := itoa(k)
			if k == 1 {
				cond = fn(qm.FnAnd, fn(qm.FnGE, imd, lit(int64(0), qm.TInt)), cond)
				label += " (most deprived)"
			}
			if k == n {
				label += " (least deprived)"
			}
			bs = append(bs, qm.Branch{Cond: cond, Value: lit(label, qm.TStr)})
		}
		return qm.NewCase(bs, lit("unknown", qm.TStr), qm.TStr)
	case "age_on":
		if need(1) {
			return qm.NewFunction(qm.FnDateDiffYears, qm.TInt, rest[0], col(f, "date_of_birth"))
		}
	}
	r.notes["the table helper "+name+" could not be evaluated (unknown helper or arguments); it is NULL"] = true
	return qm.NewValue(nil, t)
}

func itoa(k int) string {
	if k < 10 {
		return string(rune('0' + k))
	}
	return "1" + string(rune('0'+k-10))
}
