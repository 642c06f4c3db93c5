package engine

import (
	"math"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
)

// Evaluator evaluates a Program for one patient at a time. It reuses its buffers between
// patients; it is not safe for concurrent use (make one per goroutine).
type Evaluator struct {
	prog   *Program
	p      *PatientRows
	gen    uint32 // bumped per patient
	pgen   uint32 // bumped per patient and per parameter change
	stamp  []uint32
	scal   []Val
	vecs   [][]Val
	rows   [][]int32
	sets   []*valSet
	params map[string]Val
	argbuf []Val
	empty  PatientRows
}

// NewEvaluator returns an evaluator for p.
func NewEvaluator(p *Program) *Evaluator {
	n := len(p.nodes)
	e := &Evaluator{prog: p, stamp: make([]uint32, n), scal: make([]Val, n), vecs: make([][]Val, n), rows: make([][]int32, n), sets: make([]*valSet, n), params: map[string]Val{}}
	e.empty.Tables = make([][]Row, len(p.Tables))
	return e
}

func (e *Evaluator) grow() {
	n := len(e.prog.nodes)
	for len(e.stamp) < n {
		e.stamp = append(e.stamp, 0)
		e.scal = append(e.scal, Null)
		e.vecs = append(e.vecs, nil)
		e.rows = append(e.rows, nil)
		e.sets = append(e.sets, nil)
	}
	for len(e.empty.Tables) < len(e.prog.Tables) {
		e.empty.Tables = append(e.empty.Tables, nil)
	}
}

// Reset starts a new patient.
func (e *Evaluator) Reset(p *PatientRows) {
	if len(e.stamp) < len(e.prog.nodes) {
		e.grow()
	}
	if p == nil {
		p = &e.empty
	}
	e.p = p
	e.gen += 2
	e.pgen = e.gen
	if e.gen == 0 || e.gen > math.MaxUint32-4 {
		clear(e.stamp)
		e.gen, e.pgen = 2, 2
	}
}

// SetParam sets a measures parameter (interval_start, interval_end) for the current patient.
func (e *Evaluator) SetParam(name string, v Val) {
	e.params[name] = v
	e.gen += 2
	// Nodes that don't depend on parameters stay valid: they are stamped with pgen|1.
}

func (e *Evaluator) fresh(id int) bool {
	n := e.prog.nodes[id]
	if n.dep {
		return e.stamp[id] == e.gen
	}
	return e.stamp[id] == e.pgen|1
}

func (e *Evaluator) mark(id int) {
	if e.prog.nodes[id].dep {
		e.stamp[id] = e.gen
	} else {
		e.stamp[id] = e.pgen | 1
	}
}

// Population evaluates the population condition: true when the patient is in the output.
func (e *Evaluator) Population() bool { return e.scalar(e.prog.Population).True() }

// EvalSeries evaluates a compiled patient-level series.
func (e *Evaluator) EvalSeries(id int) Val { return e.scalar(id) }

// Row evaluates the output columns into dst (resized as needed).
func (e *Evaluator) Row(dst []Val) []Val {
	dst = dst[:0]
	for _, c := range e.prog.Columns {
		dst = append(dst, e.scalar(c.node))
	}
	return dst
}

func (e *Evaluator) nrows(t int) int { return len(e.p.Tables[t]) }

// frame returns the row indices (into the base table) a frame keeps, in order.
func (e *Evaluator) frame(id int) []int32 {
	if e.fresh(id) {
		return e.rows[id]
	}
	n := e.prog.nodes[id]
	out := e.rows[id][:0]
	switch n.kind {
	case nTable:
		k := e.nrows(n.table)
		if !n.event {
			if k > 0 {
				out = append(out, int32(k-1)) // a later duplicate row wins
			}
		} else {
			for i := 0; i < k; i++ {
				out = append(out, int32(i))
			}
		}
	case nFilter:
		src := e.frame(n.src)
		c := e.prog.nodes[n.arg]
		if !c.event {
			if e.scalar(n.arg).True() {
				out = append(out, src...)
			}
			break
		}
		cond := e.vec(n.arg)
		for _, r := range src {
			if cond[r].True() {
				out = append(out, r)
			}
		}
	case nSort:
		src := e.frame(n.src)
		out = append(out, src...)
		if e.prog.nodes[n.arg].event {
			key := e.vec(n.arg)
			sort.SliceStable(out, func(i, j int) bool { return CompareNullsFirst(key[out[i]], key[out[j]]) < 0 })
		}
	case nPick:
		src := e.frame(n.src)
		if len(src) == 0 {
			break
		}
		keys := make([][]Val, len(n.keys))
		for i, k := range n.keys {
			keys[i] = e.vec(k)
		}
		best := src[0]
		for _, r := range src[1:] {
			c := 0
			for _, k := range keys {
				if c = CompareNullsFirst(k[r], k[best]); c != 0 {
					break
				}
			}
			if c == 0 {
				// Ties keep the original row order.
				if r < best {
					c = -1
				} else {
					c = 1
				}
			}
			if (n.last && c > 0) || (!n.last && c < 0) {
				best = r
			}
		}
		out = append(out, best)
	}
	e.rows[id] = out
	e.mark(id)
	return out
}

// scalar evaluates a patient-level series.
func (e *Evaluator) scalar(id int) Val {
	if e.fresh(id) {
		return e.scal[id]
	}
	n := e.prog.nodes[id]
	var v Val
	switch n.kind {
	case nValue:
		v = n.val
	case nParam:
		v = e.params[n.param]
	case nColumn:
		rows := e.frame(n.src)
		if len(rows) > 0 {
			if n.col < 0 {
				v = Int(e.p.ID)
			} else {
				row := e.p.Tables[n.table][rows[0]]
				if n.col < len(row) {
					v = row[n.col]
				}
			}
		}
	case nCase:
		v = Null
		matched := false
		for _, b := range n.branches {
			if e.scalar(b[0]).True() {
				if b[1] >= 0 {
					v = e.scalar(b[1])
				}
				matched = true
				break
			}
		}
		if !matched && n.def >= 0 {
			v = e.scalar(n.def)
		}
	case nAgg:
		v = e.aggregate(n)
	case nFn:
		args := make([]Val, len(n.args))
		for i, a := range n.args {
			if e.prog.nodes[a].kind == nSet || e.isSetAgg(a) {
				continue
			}
			args[i] = e.scalar(a)
		}
		v = e.apply(n, args, -1)
	}
	e.scal[id] = v
	e.mark(id)
	return v
}

func (e *Evaluator) isSetAgg(id int) bool {
	n := e.prog.nodes[id]
	return n.kind == nAgg && n.agg == qm.AggCombineAsSet
}

// set returns the set of an is_in right-hand side.
func (e *Evaluator) set(id int) *valSet {
	n := e.prog.nodes[id]
	if n.kind == nSet {
		return n.set
	}
	if n.kind != nAgg || n.agg != qm.AggCombineAsSet {
		return nil
	}
	if e.fresh(id) {
		return e.sets[id]
	}
	s := e.sets[id]
	if s == nil {
		s = &valSet{}
		e.sets[id] = s
	}
	s.reset()
	if e.prog.nodes[n.arg].event {
		vals := e.vec(n.arg)
		for _, r := range e.frame(n.src) {
			s.addSmall(vals[r])
		}
	} else {
		s.addSmall(e.scalar(n.arg))
	}
	e.mark(id)
	return s
}

// vec evaluates an event-level series over every row of its base table.
func (e *Evaluator) vec(id int) []Val {
	if e.fresh(id) {
		return e.vecs[id]
	}
	n := e.prog.nodes[id]
	k := e.nrows(n.table)
	out := e.vecs[id]
	if cap(out) < k {
		out = make([]Val, k)
	} else {
		out = out[:k]
	}
	switch n.kind {
	case nColumn:
		rows := e.p.Tables[n.table]
		for i := range out {
			if n.col < 0 {
				out[i] = Int(e.p.ID)
			} else if n.col < len(rows[i]) {
				out[i] = rows[i][n.col]
			} else {
				out[i] = Null
			}
		}
	case nCase:
		type src struct {
			ev  bool
			v   []Val
			s   Val
			nil bool
		}
		get := func(a int) src {
			if a < 0 {
				return src{nil: true}
			}
			if e.prog.nodes[a].event {
				return src{ev: true, v: e.vec(a)}
			}
			return src{s: e.scalar(a)}
		}
		at := func(s src, i int) Val {
			if s.nil {
				return Null
			}
			if s.ev {
				return s.v[i]
			}
			return s.s
		}
		conds := make([]src, len(n.branches))
		vals := make([]src, len(n.branches))
		for j, b := range n.branches {
			conds[j], vals[j] = get(b[0]), get(b[1])
		}
		def := get(n.def)
		for i := range out {
			v := at(def, i)
			for j := range n.branches {
				if at(conds[j], i).True() {
					v = at(vals[j], i)
					break
				}
			}
			out[i] = v
		}
	case nFn:
		nargs := len(n.args)
		scal := make([]Val, nargs)
		vs := make([][]Val, nargs)
		for j, a := range n.args {
			an := e.prog.nodes[a]
			switch {
			case an.kind == nSet || e.isSetAgg(a):
			case an.event:
				vs[j] = e.vec(a)
			default:
				scal[j] = e.scalar(a)
			}
		}
		args := make([]Val, nargs)
		for i := range out {
			for j := range args {
				if vs[j] != nil {
					args[j] = vs[j][i]
				} else {
					args[j] = scal[j]
				}
			}
			out[i] = e.apply(n, args, i)
		}
	default:
		for i := range out {
			out[i] = Null
		}
	}
	e.vecs[id] = out
	e.mark(id)
	return out
}

func (e *Evaluator) aggregate(n *node) Val {
	if n.agg == qm.AggExists || n.agg == qm.AggCount {
		k := len(e.frame(n.src))
		if n.agg == qm.AggExists {
			return Bool(k > 0)
		}
		return Int(int64(k))
	}
	if n.agg == qm.AggCombineAsSet {
		return Null
	}
	var vals []Val
	var rows []int32
	an := e.prog.nodes[n.arg]
	if an.event {
		vals = e.vec(n.arg)
		rows = e.frame(n.src)
	} else {
		vals = []Val{e.scalar(n.arg)}
		rows = []int32{0}
	}
	switch n.agg {
	case qm.AggMin, qm.AggMax:
		best := Null
		for _, r := range rows {
			v := vals[r]
			if v.K == KNull {
				continue
			}
			if best.K == KNull {
				best = v
				continue
			}
			c := Compare(v, best)
			if (n.agg == qm.AggMin && c < 0) || (n.agg == qm.AggMax && c > 0) {
				best = v
			}
		}
		return best
	case qm.AggSum:
		var isum int64
		var fs neumaier
		any, isFloat := false, n.typ.Kind == qm.Float
		for _, r := range rows {
			v := vals[r]
			switch v.K {
			case KNull:
				continue
			case KFloat:
				isFloat = true
				fs.add(v.F)
			default:
				isum += v.I
				fs.add(float64(v.I))
			}
			any = true
		}
		if !any {
			return Null
		}
		if isFloat {
			return Float(fs.sum())
		}
		return Int(isum)
	case qm.AggMean:
		var xs []float64
		for _, r := range rows {
			v := vals[r]
			switch v.K {
			case KNull:
			case KFloat:
				xs = append(xs, v.F)
			default:
				xs = append(xs, float64(v.I))
			}
		}
		if len(xs) == 0 {
			return Null
		}
		return Float(fsum(xs) / float64(len(xs)))
	case qm.AggCountDistinct:
		var s valSet
		for _, r := range rows {
			s.addSmall(vals[r])
		}
		return Int(int64(s.n))
	case qm.AggCountEpisodes:
		var ds []int64
		for _, r := range rows {
			if v := vals[r]; v.K != KNull {
				ds = append(ds, v.I)
			}
		}
		if len(ds) == 0 {
			return Int(0)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		count := int64(1)
		for i := 1; i < len(ds); i++ {
			if ds[i]-ds[i-1] > n.gap {
				count++
			}
		}
		return Int(count)
	}
	return Null
}

// neumaier is compensated summation, as Python 3.12+'s sum() of floats.
type neumaier struct{ s, c float64 }

func (n *neumaier) add(x float64) {
	t := n.s + x
	if math.Abs(n.s) >= math.Abs(x) {
		n.c += (n.s - t) + x
	} else {
		n.c += (x - t) + n.s
	}
	n.s = t
}

func (n *neumaier) sum() float64 {
	if math.IsInf(n.c, 0) || math.IsNaN(n.c) {
		return n.s
	}
	return n.s + n.c
}

// fsum is an exactly rounded sum (Shewchuk's algorithm, as Python's math.fsum).
func fsum(xs []float64) float64 {
	var partials []float64
	for _, x := range xs {
		i := 0
		for _, y := range partials {
			if math.Abs(x) < math.Abs(y) {
				x, y = y, x
			}
			hi := x + y
			lo := y - (hi - x)
			if lo != 0 {
				partials[i] = lo
				i++
			}
			x = hi
		}
		partials = append(partials[:i], x)
	}
	n := len(partials)
	if n == 0 {
		return 0
	}
	hi := partials[n-1]
	n--
	lo := 0.0
	for n > 0 {
		x := hi
		y := partials[n-1]
		n--
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	if n > 0 && ((lo < 0 && partials[n-1] < 0) || (lo > 0 && partials[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		yr := x - hi
		if y == yr {
			hi = x
		}
	}
	return hi
}

// apply computes a function of one row's (or the patient's) argument values; row is the
// base-table row for event-level evaluation (used for set arguments), or -1.
func (e *Evaluator) apply(n *node, a []Val, row int) Val {
	switch n.op {
	case qm.FnAnd:
		x, y := a[0], a[1]
		if (x.K == KBool && x.I == 0) || (y.K == KBool && y.I == 0) {
			return Bool(false)
		}
		if x.K == KNull || y.K == KNull {
			return Null
		}
		return Bool(true)
	case qm.FnOr:
		x, y := a[0], a[1]
		if x.True() || y.True() {
			return Bool(true)
		}
		if x.K == KNull || y.K == KNull {
			return Null
		}
		return Bool(false)
	case qm.FnNot:
		if a[0].K == KNull {
			return Null
		}
		return Bool(a[0].I == 0)
	case qm.FnIsNull:
		return Bool(a[0].K == KNull)
	case qm.FnIn:
		s := e.set(n.args[1])
		if s == nil {
			return Null
		}
		if s.Len() == 0 {
			return Bool(false)
		}
		if a[0].K == KNull {
			return Null
		}
		return Bool(s.has(a[0]))
	case qm.FnMinimumOf, qm.FnMaximumOf:
		best := Null
		for _, v := range a {
			if v.K == KNull {
				continue
			}
			if best.K == KNull {
				best = v
				continue
			}
			c := Compare(v, best)
			if (n.op == qm.FnMinimumOf && c < 0) || (n.op == qm.FnMaximumOf && c > 0) {
				best = v
			}
		}
		if best.K == KInt && n.typ.Kind == qm.Float {
			best = Float(float64(best.I))
		}
		return best
	}
	for _, v := range a {
		if v.K == KNull {
			return Null
		}
	}
	switch n.op {
	case qm.FnEQ:
		return Bool(Equal(a[0], a[1]))
	case qm.FnNE:
		return Bool(!Equal(a[0], a[1]))
	case qm.FnLT:
		return Bool(Compare(a[0], a[1]) < 0)
	case qm.FnLE:
		return Bool(Compare(a[0], a[1]) <= 0)
	case qm.FnGT:
		return Bool(Compare(a[0], a[1]) > 0)
	case qm.FnGE:
		return Bool(Compare(a[0], a[1]) >= 0)
	case qm.FnNegate:
		if a[0].K == KFloat {
			return Float(-a[0].F)
		}
		return Int(-a[0].I)
	case qm.FnAbsolute:
		if a[0].K == KFloat {
			return Float(math.Abs(a[0].F))
		}
		if a[0].I < 0 {
			return Int(-a[0].I)
		}
		return a[0]
	case qm.FnAdd, qm.FnSubtract, qm.FnMultiply:
		return arith(n.op, a[0], a[1])
	case qm.FnTrueDivide:
		x, y := toFloat(a[0]), toFloat(a[1])
		if y == 0 {
			return Null
		}
		return Float(x / y)
	case qm.FnFloorDivide:
		return floorDiv(a[0], a[1])
	case qm.FnPower:
		return power(a[0], a[1])
	case qm.FnCastToInt:
		switch a[0].K {
		case KFloat:
			f := a[0].F
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return Null
			}
			return Int(int64(f)) // truncates toward zero, as Python's int()
		case KStr:
			return Null
		}
		return Int(a[0].I)
	case qm.FnCastToFloat:
		if a[0].K == KFloat {
			return a[0]
		}
		return Float(float64(a[0].I))
	case qm.FnDateAddDays:
		d := a[0].I + a[1].I
		if d < minDay || d > maxDay {
			return Null
		}
		return DateDays(d)
	case qm.FnDateAddMonths, qm.FnDateAddYears:
		k := a[1].I
		if n.op == qm.FnDateAddYears {
			k *= 12
		}
		if k > 12*10000 || k < -12*10000 {
			return Null
		}
		d, ok := a[0].Date().AddMonths(int(k))
		if !ok {
			return Null
		}
		return DateVal(d)
	case qm.FnDateDiffDays:
		return Int(a[0].I - a[1].I)
	case qm.FnDateDiffMonths:
		return Int(int64(a[0].Date().MonthsSince(a[1].Date())))
	case qm.FnDateDiffYears:
		return Int(int64(a[0].Date().YearsSince(a[1].Date())))
	case qm.FnYear:
		return Int(int64(a[0].Date().Year))
	case qm.FnMonth:
		return Int(int64(a[0].Date().Month))
	case qm.FnDay:
		return Int(int64(a[0].Date().Day))
	case qm.FnToFirstOfYear:
		d := a[0].Date()
		return DateVal(qm.Date{Year: d.Year, Month: 1, Day: 1})
	case qm.FnToFirstOfMon:
		d := a[0].Date()
		return DateVal(qm.Date{Year: d.Year, Month: d.Month, Day: 1})
	case qm.FnStringContains:
		return Bool(strings.Contains(a[0].S, a[1].S))
	}
	if name, ok := strings.CutPrefix(string(n.op), "Method:"); ok {
		switch name {
		case "year":
			return Int(int64(a[0].Date().Year))
		case "month":
			return Int(int64(a[0].Date().Month))
		case "day":
			return Int(int64(a[0].Date().Day))
		}
	}
	return Null
}

func toFloat(v Val) float64 {
	if v.K == KFloat {
		return v.F
	}
	return float64(v.I)
}

func arith(op qm.FnOp, x, y Val) Val {
	if x.K == KFloat || y.K == KFloat {
		a, b := toFloat(x), toFloat(y)
		switch op {
		case qm.FnAdd:
			return Float(a + b)
		case qm.FnSubtract:
			return Float(a - b)
		}
		return Float(a * b)
	}
	switch op {
	case qm.FnAdd:
		return Int(x.I + y.I)
	case qm.FnSubtract:
		return Int(x.I - y.I)
	}
	return Int(x.I * y.I)
}

// floorDiv is Python's // with ehrQL's int result: floor toward -inf, NULL on zero.
func floorDiv(x, y Val) Val {
	if x.K != KFloat && y.K != KFloat {
		if y.I == 0 {
			return Null
		}
		q := x.I / y.I
		if (x.I%y.I != 0) && ((x.I < 0) != (y.I < 0)) {
			q--
		}
		return Int(q)
	}
	a, b := toFloat(x), toFloat(y)
	if b == 0 {
		return Null
	}
	// Python's float floor division (via divmod).
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && ((b < 0) != (mod < 0)) {
		div -= 1
	}
	var fd float64
	if div != 0 {
		fd = math.Floor(div)
		if div-fd > 0.5 {
			fd += 1
		}
	} else {
		fd = math.Copysign(0, a/b)
	}
	if math.IsNaN(fd) || math.IsInf(fd, 0) {
		return Null
	}
	return Int(int64(fd))
}

// power is Python's ** as ehrQL evaluates it: int ** non-negative int stays an int;
// 0 ** negative and negative ** fractional are NULL.
func power(x, y Val) Val {
	if x.K != KFloat && y.K != KFloat {
		if y.I >= 0 {
			r, ok := ipow(x.I, y.I)
			if ok {
				return Int(r)
			}
			return Float(math.Pow(float64(x.I), float64(y.I)))
		}
		if x.I == 0 {
			return Null
		}
		return Float(math.Pow(float64(x.I), float64(y.I)))
	}
	a, b := toFloat(x), toFloat(y)
	if a == 0 && b < 0 {
		return Null
	}
	if a < 0 && b != math.Trunc(b) {
		return Null
	}
	r := math.Pow(a, b)
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return Null
	}
	return Float(r)
}

func ipow(b, e int64) (int64, bool) {
	r := int64(1)
	for e > 0 {
		if e&1 == 1 {
			hi, lo := mul64(r, b)
			if !hi {
				return 0, false
			}
			r = lo
		}
		e >>= 1
		if e > 0 {
			hi, nb := mul64(b, b)
			if !hi {
				return 0, false
			}
			b = nb
		}
	}
	return r, true
}

func mul64(a, b int64) (bool, int64) {
	if a == 0 || b == 0 {
		return true, 0
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return false, 0
	}
	return true, c
}
