package engine

import (
	"context"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
)

// compiledMeasure is one define_measure call, compiled.
type compiledMeasure struct {
	Name      string
	num, den  int
	denBool   bool
	groups    []OutColumn
	intervals [][2]qm.Date
	groupKey  string // denominator and intervals: measures sharing them come out together
	colsKey   string // names of the group-by columns
}

// CompileMeasures prepares a measures definition for evaluation. The program's population
// is "in any measure's denominator".
func CompileMeasures(m *qm.Measures) (*Program, error) {
	p := newProgram()
	rw := newRewriter()
	var roots []qm.Series
	for _, ms := range m.Measures {
		roots = append(roots, rw.ser(ms.Numerator), rw.ser(ms.Denominator))
		for _, g := range ms.GroupBy {
			roots = append(roots, rw.ser(g.Series))
		}
	}
	p.collectPickColumns(roots)
	var pop qm.Series
	for _, ms := range m.Measures {
		den := rw.ser(ms.Denominator)
		cm := compiledMeasure{Name: ms.Name, num: p.series(rw.ser(ms.Numerator)), den: p.series(den), denBool: den.Type().Kind == qm.Bool, intervals: ms.Intervals}
		in := den
		if !cm.denBool {
			in = qm.NewFunction(qm.FnGT, qm.TBool, den, qm.NewValue(int64(0), qm.TInt))
		}
		if pop == nil {
			pop = in
		} else {
			pop = qm.NewFunction(qm.FnOr, qm.TBool, pop, in)
		}
		var names []string
		for _, g := range ms.GroupBy {
			s := rw.ser(g.Series)
			cm.groups = append(cm.groups, OutColumn{Name: g.Name, Type: s.Type(), Series: s, node: p.series(s)})
			names = append(names, g.Name)
		}
		var ik strings.Builder
		for _, iv := range ms.Intervals {
			ik.WriteString(iv[0].String() + iv[1].String())
		}
		cm.groupKey = ms.Denominator.Key() + "|" + ik.String()
		cm.colsKey = strings.Join(names, ",")
		p.measures = append(p.measures, cm)
	}
	if pop == nil {
		pop = qm.NewValue(false, qm.TBool)
	}
	p.Population = p.series(pop)
	p.finish(rw)
	return p, nil
}

// Intervals returns every interval any measure uses, ascending.
func (p *Program) Intervals() [][2]qm.Date {
	seen := map[[2]qm.Date]bool{}
	var out [][2]qm.Date
	for _, m := range p.measures {
		for _, iv := range m.intervals {
			if !seen[iv] {
				seen[iv] = true
				out = append(out, iv)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0].Before(out[j][0])
		}
		return out[i][1].Before(out[j][1])
	})
	return out
}

// SetInterval sets INTERVAL.start_date and end_date for the current patient.
func (e *Evaluator) SetInterval(iv [2]qm.Date) {
	e.SetParam("interval_start", DateVal(iv[0]))
	e.SetParam("interval_end", DateVal(iv[1]))
}

type measureCell struct {
	num, den int64
	groups   []Val
	order    int
}

// MeasureColumns are the output columns of generate-measures before the group-by columns.
var MeasureColumns = []OutColumn{{Name: "measure", Type: qm.TStr}, {Name: "interval_start", Type: qm.TDate}, {Name: "interval_end", Type: qm.TDate}, {Name: "ratio", Type: qm.TFloat}, {Name: "numerator", Type: qm.TInt}, {Name: "denominator", Type: qm.TInt}}

// MeasureRow is one row of measures output.
type MeasureRow struct {
	Measure string
	Vals    []Val // every column after measure... in MeasureColumns order, then groups
}

// EvaluateMeasures sums numerators and denominators per measure, interval and group over
// the patients of src, applying disclosure control when asked, and returns the group-by
// column names (in order of first use) and the rows, in the reference engine's order.
func EvaluateMeasures(ctx context.Context, p *Program, src Source, disclosure bool) ([]OutColumn, []MeasureRow, error) {
	ev := NewEvaluator(p)
	type key struct {
		m, iv int
		g     string
	}
	cells := map[key]*measureCell{}
	order := 0
	intervals := p.Intervals()
	ivIndex := map[[2]qm.Date]int{}
	for i, iv := range intervals {
		ivIndex[iv] = i
	}
	var gbuf []Val
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		pr, ok := src.Next()
		if !ok {
			if err := sourceErr(src); err != nil {
				return nil, nil, err
			}
			break
		}
		ev.Reset(pr)
		for _, iv := range intervals {
			ev.SetInterval(iv)
			for mi := range p.measures {
				m := &p.measures[mi]
				if !hasInterval(m.intervals, iv) {
					continue
				}
				d := ev.scalar(m.den)
				var dv int64
				if m.denBool {
					if !d.True() {
						continue
					}
					dv = 1
				} else {
					if d.K != KInt || d.I <= 0 {
						continue
					}
					dv = d.I
				}
				nv := ev.scalar(m.num)
				var nn int64
				switch nv.K {
				case KBool, KInt:
					nn = nv.I
				}
				gbuf = gbuf[:0]
				var gk strings.Builder
				for _, g := range m.groups {
					v := ev.scalar(g.node)
					gbuf = append(gbuf, v)
					gk.WriteString(v.Text())
					gk.WriteByte(0)
					gk.WriteByte(byte(v.K))
				}
				k := key{mi, ivIndex[iv], gk.String()}
				c := cells[k]
				if c == nil {
					order++
					c = &measureCell{groups: append([]Val(nil), gbuf...), order: order}
					cells[k] = c
				}
				c.num += nn
				c.den += dv
			}
		}
	}
	gcols := MeasureGroupColumns(p)
	gidx := map[string]int{}
	for i, g := range gcols {
		gidx[g.Name] = i
	}
	// Row order: measure groups (denominator + intervals) by first definition; intervals
	// ascending; group-by column sets by first use; group values by first appearance;
	// measures by definition.
	var groupKeys []string
	byGroup := map[string][]int{}
	for mi, m := range p.measures {
		if _, ok := byGroup[m.groupKey]; !ok {
			groupKeys = append(groupKeys, m.groupKey)
		}
		byGroup[m.groupKey] = append(byGroup[m.groupKey], mi)
	}
	var rows []MeasureRow
	for _, gk := range groupKeys {
		ms := byGroup[gk]
		for ivi, iv := range intervals {
			if !hasInterval(p.measures[ms[0]].intervals, iv) {
				continue
			}
			var colsKeys []string
			seen := map[string]bool{}
			for _, mi := range ms {
				if ck := p.measures[mi].colsKey; !seen[ck] {
					seen[ck] = true
					colsKeys = append(colsKeys, ck)
				}
			}
			for _, ck := range colsKeys {
				type combo struct {
					g     string
					order int
				}
				var combos []combo
				cseen := map[string]bool{}
				for _, mi := range ms {
					if p.measures[mi].colsKey != ck {
						continue
					}
					for k, c := range cells {
						if k.m == mi && k.iv == ivi && !cseen[k.g] {
							cseen[k.g] = true
							combos = append(combos, combo{k.g, c.order})
						}
					}
				}
				// First appearance across the measures sharing the columns.
				for i := range combos {
					for _, mi := range ms {
						if c := cells[key{mi, ivi, combos[i].g}]; c != nil && c.order < combos[i].order {
							combos[i].order = c.order
						}
					}
				}
				sort.Slice(combos, func(i, j int) bool { return combos[i].order < combos[j].order })
				for _, cb := range combos {
					for _, mi := range ms {
						m := &p.measures[mi]
						if m.colsKey != ck {
							continue
						}
						c := cells[key{mi, ivi, cb.g}]
						if c == nil {
							continue
						}
						num, den := c.num, c.den
						if disclosure {
							num, den = roundSmall(num), roundSmall(den)
						}
						ratio := Null
						if den != 0 {
							ratio = Float(float64(num) / float64(den))
						}
						vals := []Val{DateVal(iv[0]), DateVal(iv[1]), ratio, Int(num), Int(den)}
						gv := make([]Val, len(gcols))
						for gi, g := range m.groups {
							gv[gidx[g.Name]] = c.groups[gi]
						}
						rows = append(rows, MeasureRow{Measure: m.Name, Vals: append(vals, gv...)})
					}
				}
			}
		}
	}
	return gcols, rows, nil
}

// MeasureGroupColumns are the group-by columns of a measures program, by first use.
func MeasureGroupColumns(p *Program) []OutColumn {
	var gcols []OutColumn
	seen := map[string]bool{}
	for _, m := range p.measures {
		for _, g := range m.groups {
			if !seen[g.Name] {
				seen[g.Name] = true
				gcols = append(gcols, OutColumn{Name: g.Name, Type: g.Type, Series: g.Series})
			}
		}
	}
	return gcols
}

// ReadMeasuresFile reads a --dummy-data-file for generate-measures with ehrQL's column
// specs: measure (one of the measure names), interval_start and interval_end (dates, not
// NULL), ratio (float), numerator and denominator (ints), then the group-by columns with
// their types (groupCats gives categories by column name, when known). Every column must
// be present; others are ignored. With disclosure, numerators and denominators are
// rounded and ratios recomputed, as ehrQL does for dummy measures.
func ReadMeasuresFile(p *Program, path, display string, groupCats map[string][]string, disclosure bool) ([]OutColumn, []MeasureRow, error) {
	gcols := MeasureGroupColumns(p)
	var names []string
	for _, m := range p.measures {
		names = append(names, m.Name)
	}
	ts := &TableSchema{Name: "measures", NoPatient: true, Used: map[string]bool{}}
	for _, c := range append(append([]OutColumn(nil), MeasureColumns...), gcols...) {
		col := qm.Column{Name: c.Name, Type: c.Type, Categories: groupCats[c.Name]}
		if c.Name == "measure" {
			col.Categories = names
		}
		ts.Columns = append(ts.Columns, col)
	}
	if FormatOf(path) == "" {
		return nil, nil, validationErr("%s: the dummy data file must be .csv, .csv.gz or .arrow", display)
	}
	have, err := FileColumns(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, validationErr("Missing file: %s", display)
		}
		return nil, nil, validationErr("%s: %v", display, err)
	}
	hs := map[string]bool{}
	for _, h := range have {
		hs[h] = true
	}
	var missing []string
	for _, c := range ts.Columns {
		if !hs[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, nil, validationErr("Missing columns in dummy data file %s: %s", display, strings.Join(missing, ", "))
	}
	t, err := ReadTableFile(path, display, ts)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]MeasureRow, len(t.Rows))
	for i, r := range t.Rows {
		for j := 0; j < 3; j++ {
			if r[j].K == KNull {
				return nil, nil, validationErr("%s, row %d: column %s: NULL values are not allowed", pyRepr(display), i+1, pyRepr(ts.Columns[j].Name))
			}
		}
		if disclosure {
			num, den := r[4], r[5]
			if num.K == KInt {
				num = Int(roundSmall(num.I))
			}
			if den.K == KInt {
				den = Int(roundSmall(den.I))
			}
			ratio := Null
			if num.K == KInt && den.K == KInt && den.I != 0 {
				ratio = Float(float64(num.I) / float64(den.I))
			}
			r[3], r[4], r[5] = ratio, num, den
		}
		rows[i] = MeasureRow{Measure: r[0].Text(), Vals: r[1:]}
	}
	return gcols, rows, nil
}

func hasInterval(ivs [][2]qm.Date, iv [2]qm.Date) bool {
	for _, x := range ivs {
		if x == iv {
			return true
		}
	}
	return false
}

// roundSmall is ehrQL's disclosure control for counts: 7 or fewer become 0, others are
// rounded to the nearest multiple of 5.
func roundSmall(n int64) int64 {
	if n <= 7 {
		return 0
	}
	return int64(5 * math.Round(float64(n)/5))
}

// WriteMeasureRows writes measure rows to w (a writer set up without patient_id).
func WriteMeasureRows(w Writer, gcols []OutColumn, rows []MeasureRow) error {
	if nw, ok := w.(interface{ OmitPatientID() }); ok {
		nw.OmitPatientID()
	}
	cols := append(append([]OutColumn(nil), MeasureColumns...), gcols...)
	if err := w.Header(cols); err != nil {
		return err
	}
	vals := make([]Val, 0, len(cols))
	for _, r := range rows {
		vals = append(vals[:0], Str(r.Measure))
		vals = append(vals, r.Vals...)
		if err := w.Row(0, vals); err != nil {
			return err
		}
	}
	return w.Close()
}

// RoundSmall exposes the disclosure-control rounding.
func RoundSmall(n int64) int64 { return roundSmall(n) }
