package generate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
)

// Expected distributions. Each variable with an expected distribution (from the
// definition's dummy-data sidecar, see analysis.DummySpec) becomes a list of outcomes with
// weights: NULL, True or False, one category, one bin of a numeric distribution or of a
// date range. For every patient the generator draws one outcome per variable, and the
// outcome's condition on the variable's definition (IsNull(v), v == "female",
// v >= 40 AND v < 45, ...) is planned like a conjunct of the population: it narrows the
// candidates of the columns it reads, asks for rows (templates), or forbids rows. The
// patient is then generated from the population's plan and these plans together, and kept
// only when the population holds and every variable, computed by the engine, landed in its
// outcome. Because variables are always computed from the generated source rows, values
// derived from the same rows stay consistent (an age and a date of birth, a flag and the
// date of the event behind it). When a patient cannot be made with the outcomes drawn
// (conflicting expectations, or a population that excludes them) the outcomes are drawn
// again after a number of tries, and the variable's shortfall is reported.

// Target is one variable's expected distribution.
type Target struct {
	Name   string
	Series qm.Series
	Spec   analysis.DummyVariable
}

// outcome is one possible result for a variable.
type outcome struct {
	label  string
	weight float64
	cond   qm.Series
	check  func(v engine.Val) bool
	// whole keeps a range condition (lo <= v AND v <= hi) in one piece, so that a row
	// asked for meets both bounds.
	whole bool
}

// target is a Target prepared for generation.
type target struct {
	name     string
	id       int // the variable, compiled
	outcomes []outcome
	cum      []float64
	plans    map[string]*patientPlan // outcome index and OR choices -> plan
	plan     []*planNode
	redraws  int
}

// numBins is the number of equal-probability bins a continuous distribution is cut into
// (values are spread evenly within a bin, so the outer bins are cut off at the 0.05% and
// 99.95% quantiles rather than stretched to min and max).
const numBins = 64

// prepareTargets turns the expected distributions into outcomes.
func (g *Generator) prepareTargets(ts []Target) error {
	for _, t := range ts {
		if t.Series == nil {
			continue
		}
		s := t.Series
		outs, err := g.outcomesOf(s, t.Spec)
		if err != nil {
			return fmt.Errorf("expected distribution of %s: %w", t.Name, err)
		}
		if len(outs) == 0 {
			continue
		}
		tg := &target{name: t.Name, id: g.prog.CompileSeries(s), outcomes: outs, plans: map[string]*patientPlan{}}
		total := 0.0
		for _, o := range outs {
			total += o.weight
			tg.cum = append(tg.cum, total)
			if o.whole {
				tg.plan = append(tg.plan, &planNode{atom: engine.Rewrite(o.cond)})
			} else {
				tg.plan = append(tg.plan, buildPlan(engine.Rewrite(o.cond)))
			}
		}
		if total <= 0 {
			continue
		}
		for i := range tg.cum {
			tg.cum[i] /= total
		}
		g.targets = append(g.targets, tg)
	}
	return nil
}

func fn(op qm.FnOp, args ...qm.Series) qm.Series { return qm.NewFunction(op, qm.TBool, args...) }

func (g *Generator) outcomesOf(s qm.Series, spec analysis.DummyVariable) ([]outcome, error) {
	t := s.Type()
	pNull := 0.0
	if spec.NullProportion != nil {
		pNull = *spec.NullProportion
	}
	var outs []outcome
	isNull := func(v engine.Val) bool { return v.K == engine.KNull }
	if pNull > 0 {
		outs = append(outs, outcome{label: "NULL", weight: pNull, cond: fn(qm.FnIsNull, s), check: isNull})
	}
	rest := 1 - pNull
	switch {
	case spec.TrueProportion != nil:
		pt := *spec.TrueProportion
		outs = append(outs,
			outcome{label: "True", weight: pt, cond: s, check: func(v engine.Val) bool { return v.True() }},
			outcome{label: "False", weight: math.Max(0, rest-pt), cond: fn(qm.FnNot, s), check: func(v engine.Val) bool { return v.K == engine.KBool && v.I == 0 }})
	case len(spec.Categories) > 0:
		names := make([]string, 0, len(spec.Categories))
		total := 0.0
		for k, w := range spec.Categories {
			names = append(names, k)
			total += w
		}
		sort.Strings(names)
		for _, k := range names {
			val, lit, err := literalOf(k, t)
			if err != nil {
				return nil, err
			}
			outs = append(outs, outcome{label: k, weight: rest * spec.Categories[k] / total,
				cond:  fn(qm.FnEQ, s, qm.NewValue(lit, t)),
				check: func(v engine.Val) bool { return v.K != engine.KNull && engine.Equal(v, val) }})
		}
	case spec.Distribution != nil:
		bins := distributionBins(*spec.Distribution, t.Kind == qm.Int)
		for _, b := range bins {
			b := b
			lo, hi := numLit(b.lo, t), numLit(b.hi, t)
			var cond qm.Series
			var check func(v engine.Val) bool
			if b.lo == b.hi {
				cond = fn(qm.FnEQ, s, qm.NewValue(lo, t))
				check = func(v engine.Val) bool { return v.K != engine.KNull && num(v) == b.lo }
			} else {
				cond = fn(qm.FnAnd, fn(qm.FnGE, s, qm.NewValue(lo, t)), fn(qm.FnLE, s, qm.NewValue(hi, t)))
				check = func(v engine.Val) bool { return v.K != engine.KNull && num(v) >= b.lo && num(v) <= b.hi }
			}
			outs = append(outs, outcome{label: fmt.Sprintf("%g..%g", b.lo, b.hi), weight: rest * b.p, cond: cond, check: check, whole: true})
		}
		g.addTargetLiterals(s, bins)
	case spec.Dates != nil:
		from, err1 := qm.ParseDate(spec.Dates.From)
		to, err2 := qm.ParseDate(spec.Dates.To)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("dates: from and to must be YYYY-MM-DD")
		}
		a, b := engine.DateVal(from).I, engine.DateVal(to).I
		n := min(int64(numBins), b-a+1)
		for i := int64(0); i < n; i++ {
			lo := a + (b-a+1)*i/n
			hi := a + (b-a+1)*(i+1)/n - 1
			if hi < lo {
				continue
			}
			lv, hv := engine.DateDays(lo), engine.DateDays(hi)
			outs = append(outs, outcome{label: lv.Text() + ".." + hv.Text(), weight: rest * float64(hi-lo+1) / float64(b-a+1),
				cond:  fn(qm.FnAnd, fn(qm.FnGE, s, qm.NewValue(lv.Date(), qm.TDate)), fn(qm.FnLE, s, qm.NewValue(hv.Date(), qm.TDate))),
				check: func(v engine.Val) bool { return v.K == engine.KDate && v.I >= lo && v.I <= hi }, whole: true})
		}
	default:
		if pNull > 0 && rest > 0 {
			outs = append(outs, outcome{label: "not NULL", weight: rest, cond: fn(qm.FnNot, fn(qm.FnIsNull, s)), check: func(v engine.Val) bool { return v.K != engine.KNull }})
		}
	}
	return outs, nil
}

// literalOf reads a category (as written in the sidecar) as a value of the series type.
func literalOf(s string, t qm.Type) (engine.Val, any, error) {
	switch t.Kind {
	case qm.Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return engine.Null, nil, fmt.Errorf("category %q is not a whole number", s)
		}
		return engine.Int(n), n, nil
	case qm.Bool:
		b := s == "T" || strings.EqualFold(s, "true")
		return engine.Bool(b), b, nil
	}
	return engine.Str(s), s, nil
}

func num(v engine.Val) float64 {
	if v.K == engine.KFloat {
		return v.F
	}
	return float64(v.I)
}

func numLit(x float64, t qm.Type) any {
	if t.Kind == qm.Int {
		return int64(x)
	}
	return x
}

// bin is a range of values [lo, hi] with its probability.
type bin struct {
	lo, hi float64
	p      float64
}

// distributionBins cuts a distribution into bins: single values for small-range ints and
// Poisson counts, else numBins bins of equal probability (equal width for uniform).
func distributionBins(d analysis.DummyDistribution, ints bool) []bin {
	lo, hi := math.Inf(-1), math.Inf(1)
	if d.Min != nil {
		lo = *d.Min
	}
	if d.Max != nil {
		hi = *d.Max
	}
	var cdf func(x float64) float64
	switch d.Kind {
	case "normal":
		m, sd := *d.Mean, *d.SD
		cdf = func(x float64) float64 { return 0.5 * math.Erfc(-(x-m)/(sd*math.Sqrt2)) }
		lo = math.Max(lo, m-6*sd)
		hi = math.Min(hi, m+6*sd)
	case "uniform":
		a, b := lo, hi
		if ints {
			a, b = math.Ceil(lo)-0.5, math.Floor(hi)+0.5
		}
		cdf = func(x float64) float64 { return math.Max(0, math.Min(1, (x-a)/(b-a))) }
	case "poisson":
		m := *d.Mean
		lo = math.Max(lo, 0)
		hi = math.Min(hi, m+10*math.Sqrt(m)+10)
		pmf := func(k float64) float64 {
			lg, _ := math.Lgamma(k + 1)
			return math.Exp(k*math.Log(m) - m - lg)
		}
		var out []bin
		for k := math.Ceil(lo); k <= hi; k++ {
			out = append(out, bin{k, k, pmf(k)})
		}
		return out
	default:
		return nil
	}
	if ints {
		a, b := math.Ceil(lo), math.Floor(hi)
		if b < a {
			return nil
		}
		mass := func(x, y float64) float64 { return cdf(y+0.5) - cdf(x-0.5) }
		if b-a < 200 {
			var out []bin
			for k := a; k <= b; k++ {
				out = append(out, bin{k, k, mass(k, k)})
			}
			return out
		}
		var out []bin
		total := mass(a, b)
		start := a
		for i := 1; i <= numBins && start <= b; i++ {
			end := b
			if i < numBins {
				// The smallest end whose mass from start reaches the next quantile.
				goal := total * float64(i) / numBins
				x, y := start, b
				for x < y {
					mid := math.Floor((x + y) / 2)
					if mass(a, mid) >= goal {
						y = mid
					} else {
						x = mid + 1
					}
				}
				end = x
			}
			out = append(out, bin{start, end, mass(start, end)})
			start = end + 1
		}
		return out
	}
	if hi <= lo {
		return []bin{{lo, lo, 1}}
	}
	// Equal-probability bins by bisection on the CDF.
	flo, fhi := cdf(lo), cdf(hi)
	inv := func(q float64) float64 {
		x, y := lo, hi
		for i := 0; i < 80; i++ {
			mid := (x + y) / 2
			if cdf(mid) < q {
				x = mid
			} else {
				y = mid
			}
		}
		return (x + y) / 2
	}
	var out []bin
	prev := inv(flo + (fhi-flo)*0.0005)
	last := inv(flo + (fhi-flo)*0.9995)
	if d.Kind == "uniform" {
		prev, last = lo, hi
	}
	for i := 1; i <= numBins; i++ {
		next := last
		if i < numBins {
			next = inv(flo + (fhi-flo)*float64(i)/numBins)
		}
		out = append(out, bin{prev, next, 1.0 / numBins})
		prev = next
	}
	return out
}

// addTargetLiterals makes the values of a numeric distribution available to the columns a
// variable reads, so that bins outside the usual candidates can be filled.
func (g *Generator) addTargetLiterals(s qm.Series, bins []bin) {
	var cols []*colSpec
	var walk func(s qm.Series)
	walk = func(s qm.Series) {
		switch x := s.(type) {
		case *qm.SelectColumn:
			if cs := g.colOf(x); cs != nil && (cs.typ.Kind == qm.Int || cs.typ.Kind == qm.Float) {
				cols = append(cols, cs)
			}
		case *qm.Function:
			for _, a := range x.Args {
				walk(a)
			}
		case *qm.Aggregate:
			if x.Arg != nil {
				walk(x.Arg)
			}
		case *qm.Case:
			for _, b := range x.Branches {
				walk(b.Cond)
				walk(b.Value)
			}
			if x.Default != nil {
				walk(x.Default)
			}
		}
	}
	walk(s)
	for _, cs := range cols {
		for _, b := range bins {
			for k := 0; k <= 8; k++ {
				x := b.lo + (b.hi-b.lo)*float64(k)/8
				if cs.typ.Kind == qm.Int {
					cs.addLit(engine.Int(int64(math.Round(x))))
				} else {
					cs.addLit(engine.Float(math.Round(x*100) / 100))
				}
			}
		}
	}
}

// drawTargets picks an outcome for every target.
func (g *Generator) drawTargets(out []int) []int {
	out = out[:0]
	for _, t := range g.targets {
		u := g.rng.Float64()
		i := sort.SearchFloat64s(t.cum, u)
		if i >= len(t.cum) {
			i = len(t.cum) - 1
		}
		for i > 0 && t.outcomes[i].weight == 0 {
			i--
		}
		out = append(out, i)
	}
	return out
}

// targetPlan returns the plan of one outcome of a target (with a random choice of its ORs).
func (g *Generator) targetPlan(t *target, i int) *patientPlan {
	var atoms []qm.Series
	var key strings.Builder
	key.WriteString(strconv.Itoa(i))
	key.WriteByte(':')
	t.plan[i].choose(g.rng, &atoms, &key)
	if pp, ok := t.plans[key.String()]; ok {
		return pp
	}
	pp := g.newPlan()
	g.exclusive = true
	for _, a := range atoms {
		g.planAtom(pp, a)
	}
	g.exclusive = false
	t.plans[key.String()] = pp
	return pp
}

// merged combines the population's plan with the plans of the outcomes drawn: templates
// and forbidden frames add up; the candidates of a column narrowed by several plans are
// intersected (cached by the plans involved).
func (g *Generator) merged(parts []*patientPlan) *patientPlan {
	out := &patientPlan{filters: map[[2]int]*cands{}}
	owners := map[[2]int][]int{}
	for _, p := range parts {
		out.templates = append(out.templates, p.templates...)
		out.forbids = append(out.forbids, p.forbids...)
		for k := range p.filters {
			owners[k] = append(owners[k], p.id)
		}
	}
	for k, ids := range owners {
		if len(ids) == 1 {
			for _, p := range parts {
				if c := p.filters[k]; c != nil {
					out.filters[k] = c
				}
			}
			continue
		}
		var key strings.Builder
		fmt.Fprintf(&key, "%d/%d", k[0], k[1])
		for _, id := range ids {
			key.WriteString("," + strconv.Itoa(id))
		}
		if c, ok := g.inter[key.String()]; ok {
			out.filters[k] = c
			continue
		}
		var c *cands
		for _, p := range parts {
			if f := p.filters[k]; f != nil {
				if c == nil {
					c = f
				} else {
					c = intersect(c, f)
				}
			}
		}
		g.inter[key.String()] = c
		out.filters[k] = c
	}
	return out
}

func intersect(a, b *cands) *cands {
	out := &cands{nullOK: a.nullOK && b.nullOK}
	i, j := 0, 0
	for i < len(a.vals) && j < len(b.vals) {
		switch c := engine.Compare(a.vals[i], b.vals[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			out.vals = append(out.vals, a.vals[i])
			i++
			j++
		}
	}
	return out
}

// forbid removes the rows of a patient that a forbidden frame would contain (only the
// rows not made by templates when the frame is exclusive to them).
func (g *Generator) forbid(pr *engine.PatientRows, f *forbidden) {
	rows := pr.Tables[f.table]
	upto := len(rows)
	if f.onlyRandom {
		upto = min(upto, g.nRandom[f.table])
	}
	if upto == 0 {
		return
	}
	drop := make([]bool, len(rows))
	if f.cond < 0 {
		for i := 0; i < upto; i++ {
			drop[i] = true
		}
	} else {
		g.ev.Reset(pr)
		if ev, _ := g.prog.IsEvent(f.cond); !ev {
			if g.ev.EvalSeries(f.cond).True() {
				for i := 0; i < upto; i++ {
					drop[i] = true
				}
			}
		} else {
			res := g.ev.EvalVec(f.cond)
			for i := 0; i < upto && i < len(res); i++ {
				drop[i] = res[i].True()
			}
		}
	}
	kept := rows[:0]
	for i, r := range rows {
		if !drop[i] {
			kept = append(kept, r)
		}
	}
	pr.Tables[f.table] = kept
}

// forbidden is a frame that must have no rows for the patient: its table and the compiled
// conjunction of its filters (-1: every row of the table).
type forbidden struct {
	table      int
	cond       int
	onlyRandom bool // template rows stay
}

// addExclusive records that frame f must hold only the rows its templates make.
func (g *Generator) addExclusive(pp *patientPlan, f qm.Frame) {
	n := len(pp.forbids)
	if g.addForbid(pp, f) && !g.prog.Tables[pp.forbids[n].table].Patient {
		pp.forbids[n].onlyRandom = true
	} else if len(pp.forbids) > n {
		pp.forbids = pp.forbids[:n]
	}
}

// addForbid records that frame f must be empty.
func (g *Generator) addForbid(pp *patientPlan, f qm.Frame) bool {
	var conds []qm.Series
	for {
		switch x := f.(type) {
		case *qm.Filter:
			conds = append(conds, x.Cond)
			f = x.Source
			continue
		case *qm.Sort:
			f = x.Source
			continue
		}
		break
	}
	ti := g.prog.TableOf(f)
	if ti < 0 || ti == g.patients {
		return false
	}
	fb := &forbidden{table: ti, cond: -1}
	if len(conds) > 0 {
		c := conds[0]
		for _, d := range conds[1:] {
			c = fn(qm.FnAnd, c, d)
		}
		fb.cond = g.prog.CompileSeries(c)
	}
	pp.forbids = append(pp.forbids, fb)
	return true
}

// planNegative plans the conditions that ask for the absence of rows: NOT exists, a count
// of 0, a picked value or min/max that is NULL. It reports whether it planned a.
func (g *Generator) planNegative(pp *patientPlan, a qm.Series) bool {
	f, ok := a.(*qm.Function)
	if !ok {
		return false
	}
	switch f.Op {
	case qm.FnNot:
		if ag, ok := f.Args[0].(*qm.Aggregate); ok && ag.Op == qm.AggExists && ag.Frame != nil {
			return g.addForbid(pp, ag.Frame)
		}
		// Not NULL: a row whose value is not NULL.
		if in, ok := f.Args[0].(*qm.Function); ok && in.Op == qm.FnIsNull {
			if sub, frame, ok := g.substitutePicks(in.Args[0]); ok {
				g.addTemplate(pp, frame, 1, []qm.Series{fn(qm.FnNot, fn(qm.FnIsNull, sub))})
				if g.exclusive {
					g.addExclusive(pp, frame)
				}
				return true
			}
		}
	case qm.FnEQ:
		if ag, ok := f.Args[0].(*qm.Aggregate); ok && ag.Op == qm.AggCount && ag.Frame != nil {
			if k, ok := intValue(f.Args[1]); ok && k == 0 {
				return g.addForbid(pp, ag.Frame)
			}
		}
	case qm.FnIsNull:
		switch x := f.Args[0].(type) {
		case *qm.SelectColumn:
			if pk, ok := x.Source.(*qm.Pick); ok {
				return g.addForbid(pp, pk.Source)
			}
		case *qm.Aggregate:
			if (x.Op == qm.AggMin || x.Op == qm.AggMax || x.Op == qm.AggSum || x.Op == qm.AggMean) && x.Arg != nil {
				if fr := g.domainFrame(x.Arg); fr != nil {
					return g.addForbid(pp, fr)
				}
			}
		}
	}
	return false
}

// checkTargets reports whether the current patient's variables landed in their outcomes.
func (g *Generator) checkTargets(drawn []int) (int, bool) {
	for k, t := range g.targets {
		if !t.outcomes[drawn[k]].check(g.ev.EvalSeries(t.id)) {
			return k, false
		}
	}
	return -1, true
}

// TargetReport describes how often the outcomes of expected distributions had to be drawn
// again because a patient could not be made with them (empty when never).
func (g *Generator) TargetReport() []string {
	var out []string
	for _, t := range g.targets {
		if t.redraws > 0 {
			out = append(out, fmt.Sprintf("%s: %d patients could not be given the value drawn from its expected distribution (conflicting expectations, or the population excludes them); its distribution is approximate", t.name, t.redraws))
		}
	}
	return out
}
