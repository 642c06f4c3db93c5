// Package generate makes dummy patients for a dataset definition: exactly the requested
// number of patients that satisfy the population, with values inside each column's
// constraints, codes from the codelists the definition uses, and dates inside each
// patient's life and before "today". Generation is steered by the population: its
// conditions are split into conjuncts (choosing one side of each OR per patient), and
// each conjunct that needs rows (exists_for_patient, count_for_patient, a picked row's
// value) becomes a row template whose single-column conditions narrow that column's
// candidate values, found by evaluating the condition with the engine. Anything the
// templates cannot guarantee is checked by evaluating the population, retrying the
// patient when it fails. Output is deterministic for a seed and a "today".
package generate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/schema"
)

// Options control generation.
type Options struct {
	PopulationSize int
	Seed           uint64
	Today          qm.Date
	Timeout        time.Duration
	Version        string // ehrQL API version for the table catalogue
	// Population is the condition generated patients must meet (the dataset's population,
	// AND-ed with any additional_population_constraint); nil means the program's.
	Population qm.Series
	// Targets are the expected distributions of variables (see targets.go).
	Targets []Target
	// Files are the rows of table_from_file tables whose files exist, by table index in
	// the program. When any is given, patients take their ids from the files (every id in
	// any of them, ascending, each at most once, whatever PopulationSize), and those tables
	// hold the files' rows instead of generated ones.
	Files map[int]*engine.Table
	Log   func(format string, args ...any)
}

// fileTries is how many candidates are made for a patient id from a file before the id
// is left out (its file rows, or everything else, fail the population).
const fileTries = 200

// Generator produces dummy patients.
type Generator struct {
	prog     *engine.Program
	ev       *engine.Evaluator
	opts     Options
	today    int64
	epoch    int64
	cols     [][]*colSpec
	plan     *planNode
	plans    map[string]*patientPlan
	popID    int
	rng      *rand.Rand
	nextID   int64
	made     int
	timedOut bool
	Attempts int
	start    time.Time
	patients int // index of the patients table, or -1
	deaths   int // index of ons_deaths (patient-level), or -1
	dob, dod int // column indices in patients
	ivs      [][2]qm.Date
	targets  []*target
	inter    map[string]*cands // intersections of candidates, by column and plans
	nplans   int
	drawn    []int
	// exclusive is set while the plans of expected distributions are built: a row asked
	// for a picked value must be the only row of its frame, so that it is the one picked.
	exclusive   bool
	nRandom     []int                    // per table, how many of the last patient's rows were not from templates
	fileRows    []map[int64][]engine.Row // per table: rows read from its file, by patient id
	fileIDs     []int64                  // patient ids of the files, ascending
	fileNext    int                      // index in fileIDs of the next id to generate
	fileTry     int                      // candidates made for fileIDs[fileNext]
	fileSkipped int                      // ids left out after fileTries candidates
}

// SetIntervals makes the generator evaluate the population in a random one of these
// measures intervals for each candidate patient.
func (g *Generator) SetIntervals(ivs [][2]qm.Date) {
	g.ivs = ivs
	// Dates near the intervals make numerators that count events in them non-trivial.
	for _, cols := range g.cols {
		for _, cs := range cols {
			if cs.typ.Kind != qm.DateKind || cs.table == g.patients {
				continue
			}
			for _, iv := range ivs {
				cs.addLit(engine.DateVal(iv[0]))
				cs.addLit(engine.DateVal(iv[1]))
			}
		}
	}
}

// New prepares a generator for a compiled program.
func New(prog *engine.Program, opts Options) (*Generator, error) {
	if opts.PopulationSize <= 0 {
		opts.PopulationSize = 10
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Today == (qm.Date{}) {
		now := time.Now()
		opts.Today = qm.Date{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}
	}
	if opts.Version == "" {
		opts.Version = schema.EhrQLV1
	}
	g := &Generator{prog: prog, opts: opts, plans: map[string]*patientPlan{}, patients: -1, deaths: -1, dob: -1, dod: -1}
	g.today = engine.DateVal(opts.Today).I
	g.epoch = engine.DaysFromCivil(1900, 1, 1)
	g.rng = rand.New(rand.NewPCG(opts.Seed, 0x6f736c73))
	g.ev = engine.NewEvaluator(prog)
	g.setupColumns()
	g.setupFiles()
	pop := opts.Population
	if pop == nil {
		return nil, fmt.Errorf("generate: no population")
	}
	pop = engine.Rewrite(pop)
	g.popID = prog.CompileSeries(pop)
	g.collectLiterals(pop)
	g.plan = buildPlan(pop)
	g.inter = map[string]*cands{}
	if err := g.prepareTargets(opts.Targets); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *Generator) setupColumns() {
	g.cols = make([][]*colSpec, len(g.prog.Tables))
	for ti, ts := range g.prog.Tables {
		var st *schema.EhrQLTable
		if m, ok := schema.LookupEhrQLModule(g.opts.Version, ts.Module); ok {
			for i := range m.Tables {
				if m.Tables[i].StorageName == ts.Name || (m.Tables[i].StorageName == "" && m.Tables[i].Name == ts.Name) {
					st = &m.Tables[i]
					break
				}
			}
		}
		g.cols[ti] = make([]*colSpec, len(ts.Columns))
		for ci, c := range ts.Columns {
			cs := &colSpec{table: ti, col: ci, name: c.Name, typ: c.Type, notNull: c.NotNull, firstOfMonth: c.FirstOfMonth}
			for _, k := range c.Categories {
				if v, err := engine.ParseCell(k, c.Type); err == nil && v.K != engine.KNull {
					cs.cats = append(cs.cats, v)
				}
			}
			if st != nil {
				if sc, ok := st.Column(c.Name); ok {
					cs.applySchema(sc)
					for _, a := range sc.Dummy.DateAfter {
						if j := ts.ColumnIndex(a); j >= 0 {
							cs.dateAfter = append(cs.dateAfter, j)
						}
					}
				}
			}
			g.cols[ti][ci] = cs
		}
		if ts.Name == "patients" && ts.Patient && ts.Inline == nil {
			g.patients = ti
			g.dob = ts.ColumnIndex("date_of_birth")
			g.dod = ts.ColumnIndex("date_of_death")
		}
		if ts.Name == "ons_deaths" && ts.Patient {
			g.deaths = ti
		}
	}
}

// setupFiles indexes the rows of table_from_file tables read from files by patient id.
func (g *Generator) setupFiles() {
	if len(g.opts.Files) == 0 {
		return
	}
	g.fileRows = make([]map[int64][]engine.Row, len(g.prog.Tables))
	seen := map[int64]bool{}
	for ti, t := range g.opts.Files {
		if ti < 0 || ti >= len(g.prog.Tables) || t == nil {
			continue
		}
		m := map[int64][]engine.Row{}
		for i, id := range t.IDs {
			m[id] = append(m[id], t.Rows[i])
			if !seen[id] {
				seen[id] = true
				g.fileIDs = append(g.fileIDs, id)
			}
		}
		g.fileRows[ti] = m
	}
	sort.Slice(g.fileIDs, func(a, b int) bool { return g.fileIDs[a] < g.fileIDs[b] })
}

// nextCandidateID is the id of the next candidate patient, or false when there is none (every id
// of the files has been tried).
func (g *Generator) nextCandidateID() (int64, bool) {
	if g.fileRows == nil {
		return g.nextID + 1, true
	}
	for g.fileNext < len(g.fileIDs) && g.fileTry >= fileTries {
		g.fileSkipped++
		g.fileNext++
		g.fileTry = 0
	}
	if g.fileNext >= len(g.fileIDs) {
		if g.fileSkipped > 0 {
			g.logf("note: %d of the %d patient ids of the table_from_file files were left out: no generated patient with their rows matched the population in %d tries", g.fileSkipped, len(g.fileIDs), fileTries)
			g.fileSkipped = 0
		}
		return 0, false
	}
	g.fileTry++
	return g.fileIDs[g.fileNext], true
}

// colOf resolves a column selection to its spec.
func (g *Generator) colOf(s qm.Series) *colSpec {
	c, ok := s.(*qm.SelectColumn)
	if !ok || c.Name == "patient_id" {
		return nil
	}
	ti := g.prog.TableOf(c.Source)
	if ti < 0 {
		return nil
	}
	ci := g.prog.Tables[ti].ColumnIndex(c.Name)
	if ci < 0 {
		return nil
	}
	return g.cols[ti][ci]
}

// collectLiterals records, for every column compared with literals (==, is_in, contains,
// ordering), the values used, so that codes from codelists appear in the data.
func (g *Generator) collectLiterals(extra ...qm.Series) {
	roots := append([]qm.Series(nil), extra...)
	for _, c := range g.prog.Columns {
		roots = append(roots, c.Series)
	}
	seen := map[string]bool{}
	var walk func(s qm.Series)
	walkFrame := func(f qm.Frame) {}
	walkFrame = func(f qm.Frame) {
		switch x := f.(type) {
		case *qm.Filter:
			walkFrame(x.Source)
			walk(x.Cond)
		case *qm.Sort:
			walkFrame(x.Source)
			walk(x.SortKey)
		case *qm.Pick:
			walkFrame(x.Source)
		}
	}
	walk = func(s qm.Series) {
		if s == nil || seen[s.Key()] {
			return
		}
		seen[s.Key()] = true
		switch x := s.(type) {
		case *qm.Function:
			if len(x.Args) == 2 {
				for k := 0; k < 2; k++ {
					cs := g.colOf(x.Args[k])
					val, ok := x.Args[1-k].(*qm.Value)
					if cs == nil || !ok {
						continue
					}
					if items, ok := val.V.([]any); ok {
						for _, it := range items {
							cs.addLit(engine.FromLiteral(it, cs.typ))
						}
					} else if val.T.Kind != qm.Unknown {
						cs.addLit(engine.FromLiteral(val.V, cs.typ))
					}
				}
			}
			for _, a := range x.Args {
				walk(a)
			}
		case *qm.Case:
			for _, b := range x.Branches {
				walk(b.Cond)
				walk(b.Value)
			}
			walk(x.Default)
		case *qm.Aggregate:
			if x.Frame != nil {
				walkFrame(x.Frame)
			}
			walk(x.Arg)
		case *qm.SelectColumn:
			walkFrame(x.Source)
		}
	}
	for _, r := range roots {
		walk(engine.Rewrite(r))
	}
}

// Next returns the next generated patient, or false when the population size is reached
// (or the time ran out).
func (g *Generator) Next() (*engine.PatientRows, bool) {
	if g.timedOut || (g.fileRows == nil && g.made >= g.opts.PopulationSize) {
		return nil, false
	}
	if g.start.IsZero() {
		g.start = time.Now()
	}
	for tries := 0; ; tries++ {
		g.Attempts++
		if g.Attempts&255 == 0 && time.Since(g.start) > g.opts.Timeout {
			// As ehrQL: warn, and return the patients found so far (possibly none).
			secs := g.opts.Timeout.Seconds()
			g.logf("warning: Failed to find %d matching patients within %g seconds — giving up (found %d)", g.opts.PopulationSize, secs, g.made)
			g.logf("Use e.g. `dataset.configure_dummy_data(timeout=%g)` to try for longer", 2*secs)
			g.timedOut = true
			return nil, false
		}
		id, ok := g.nextCandidateID()
		if !ok {
			return nil, false
		}
		pp := g.patientPlan()
		if len(g.targets) > 0 {
			// Outcomes are drawn once per patient, and again only when many tries with
			// them failed.
			if tries == 0 || g.drawn == nil {
				g.drawn = g.drawTargets(g.drawn)
			}
			parts := []*patientPlan{pp}
			for k, t := range g.targets {
				parts = append(parts, g.targetPlan(t, g.drawn[k]))
			}
			pp = g.merged(parts)
		}
		pr := g.patient(id, pp)
		if pr == nil {
			g.missTargets(tries, -1)
			continue
		}
		for _, f := range pp.forbids {
			if g.fileRows != nil && g.fileRows[f.table] != nil {
				continue // a file's rows are as they are
			}
			g.forbid(pr, f)
		}
		g.ev.Reset(pr)
		if len(g.ivs) > 0 {
			g.ev.SetInterval(g.ivs[g.rng.IntN(len(g.ivs))])
		}
		if !g.ev.EvalSeries(g.popID).True() {
			g.missTargets(tries, -1)
			continue
		}
		if len(g.targets) > 0 {
			if k, ok := g.checkTargets(g.drawn); !ok {
				g.missTargets(tries, k)
				continue
			}
		}
		g.nextID = id
		if g.fileRows != nil {
			g.fileNext++
			g.fileTry = 0
		}
		g.made++
		return pr, true
	}
}

// Made is the number of patients generated so far.
func (g *Generator) Made() int { return g.made }

// TimedOut reports whether generation stopped at the timeout before the population size.
func (g *Generator) TimedOut() bool { return g.timedOut }

func (g *Generator) logf(format string, args ...any) {
	if g.opts.Log != nil {
		g.opts.Log(format, args...)
	}
}

// Run generates every patient into w, evaluating the dataset with the engine.
func (g *Generator) Run(ctx context.Context, w engine.Writer) (int, error) {
	return engine.Evaluate(ctx, g.prog, g, w)
}

// ---- population plans ----

type planNode struct {
	atom qm.Series
	and  []*planNode
	or   []*planNode
}

func buildPlan(s qm.Series) *planNode {
	if f, ok := s.(*qm.Function); ok {
		switch f.Op {
		case qm.FnAnd:
			return &planNode{and: []*planNode{buildPlan(f.Args[0]), buildPlan(f.Args[1])}}
		case qm.FnOr:
			return &planNode{or: []*planNode{buildPlan(f.Args[0]), buildPlan(f.Args[1])}}
		}
	}
	return &planNode{atom: s}
}

// choose picks one side of every OR, returning the atoms to satisfy and a key naming the
// choices.
func (n *planNode) choose(r *rand.Rand, atoms *[]qm.Series, key *strings.Builder) {
	switch {
	case n.atom != nil:
		*atoms = append(*atoms, n.atom)
	case n.and != nil:
		for _, c := range n.and {
			c.choose(r, atoms, key)
		}
	default:
		k := r.IntN(len(n.or))
		key.WriteByte(byte('0' + k))
		n.or[k].choose(r, atoms, key)
	}
}

// patientPlan is what one choice of OR branches asks of a patient.
type patientPlan struct {
	id        int
	filters   map[[2]int]*cands // patient-level columns narrowed by single-column conditions
	templates []*template
	forbids   []*forbidden // frames that must have no rows
}

// newPlan starts an empty plan with its own id.
func (g *Generator) newPlan() *patientPlan {
	g.nplans++
	return &patientPlan{id: g.nplans, filters: map[[2]int]*cands{}}
}

// missTargetsEvery is how many failed tries with the same outcomes lead to drawing them
// again.
const missTargetsEvery = 40

// missTargets counts a failed try; after missTargetsEvery of them the outcomes are drawn
// again, and the variable that failed last (k, or -1 when unknown) is charged with it.
func (g *Generator) missTargets(tries, k int) {
	if len(g.targets) == 0 || (tries+1)%missTargetsEvery != 0 {
		return
	}
	if k >= 0 {
		g.targets[k].redraws++
	}
	g.drawn = g.drawTargets(g.drawn)
}

// cands is a narrowed candidate list.
type cands struct {
	vals   []engine.Val // sorted, non-NULL
	nullOK bool
}

// template asks for rows of an event (or patient) table meeting some conditions.
type template struct {
	table int
	count int
	cols  map[int]*cands
}

func (g *Generator) patientPlan() *patientPlan {
	var atoms []qm.Series
	var key strings.Builder
	g.plan.choose(g.rng, &atoms, &key)
	if pp, ok := g.plans[key.String()]; ok {
		return pp
	}
	pp := g.newPlan()
	for _, a := range atoms {
		g.planAtom(pp, a)
	}
	g.plans[key.String()] = pp
	return pp
}

func andAtoms(s qm.Series, out []qm.Series) []qm.Series {
	if f, ok := s.(*qm.Function); ok && f.Op == qm.FnAnd {
		return andAtoms(f.Args[1], andAtoms(f.Args[0], out))
	}
	return append(out, s)
}

func intValue(s qm.Series) (int64, bool) {
	v, ok := s.(*qm.Value)
	if !ok {
		return 0, false
	}
	n, ok := v.V.(int64)
	return n, ok
}

func (g *Generator) planAtom(pp *patientPlan, a qm.Series) {
	if g.planNegative(pp, a) {
		return
	}
	switch x := a.(type) {
	case *qm.Aggregate:
		if x.Op == qm.AggExists && x.Frame != nil {
			g.addTemplate(pp, x.Frame, 1, nil)
			return
		}
	case *qm.Function:
		if len(x.Args) == 2 {
			if ag, ok := x.Args[0].(*qm.Aggregate); ok && ag.Op == qm.AggCount && ag.Frame != nil {
				if k, ok := intValue(x.Args[1]); ok {
					n := 0
					switch x.Op {
					case qm.FnGT:
						n = int(k) + 1
					case qm.FnGE, qm.FnEQ:
						n = int(k)
					}
					if n > 0 && n <= 50 {
						g.addTemplate(pp, ag.Frame, n, nil)
					}
					return
				}
			}
		}
	}
	// A condition on a picked row or an aggregate of one table: ask for a row meeting it.
	if sub, frame, ok := g.substitutePicks(a); ok {
		g.addTemplate(pp, frame, 1, []qm.Series{sub})
		if g.exclusive {
			g.addExclusive(pp, frame)
		}
		return
	}
	// A patient-level condition on one column of a patient-level table.
	cols := g.columnsOf(a)
	if len(cols) == 1 && cols[0].table >= 0 && g.prog.Tables[cols[0].table].Patient {
		cs := cols[0]
		k := [2]int{cs.table, cs.col}
		pp.filters[k] = g.narrow(cs, a, pp.filters[k])
	}
}

// columnsOf lists the columns a condition reads directly (not through aggregates); nil
// when it reads anything else that varies (aggregates, picked rows).
func (g *Generator) columnsOf(s qm.Series) []*colSpec {
	var out []*colSpec
	ok := true
	var walk func(s qm.Series)
	walk = func(s qm.Series) {
		if s == nil || !ok {
			return
		}
		switch x := s.(type) {
		case *qm.SelectColumn:
			switch x.Source.(type) {
			case *qm.SelectTable, *qm.Filter, *qm.Sort:
			default:
				ok = false
				return
			}
			cs := g.colOf(x)
			if cs == nil {
				ok = false
				return
			}
			for _, c := range out {
				if c == cs {
					return
				}
			}
			out = append(out, cs)
		case *qm.Function:
			for _, a := range x.Args {
				walk(a)
			}
		case *qm.Case:
			for _, b := range x.Branches {
				walk(b.Cond)
				walk(b.Value)
			}
			walk(x.Default)
		case *qm.Aggregate:
			ok = false
		case *qm.Param:
			ok = false
		}
	}
	walk(s)
	if !ok {
		return nil
	}
	return out
}

// substitutePicks rewrites a patient-level condition on columns of one picked frame (or
// on min/max of one table's series) into a row condition over the frame it was picked
// from.
func (g *Generator) substitutePicks(a qm.Series) (qm.Series, qm.Frame, bool) {
	var frame qm.Frame
	ok := true
	var sub func(s qm.Series) qm.Series
	sub = func(s qm.Series) qm.Series {
		if s == nil || !ok {
			return s
		}
		switch x := s.(type) {
		case *qm.SelectColumn:
			if pk, isPick := x.Source.(*qm.Pick); isPick {
				if frame != nil && frame.Key() != pk.Source.Key() {
					ok = false
					return s
				}
				frame = pk.Source
				return qm.NewColumn(pk.Source, x.Name, x.T)
			}
			return s
		case *qm.Aggregate:
			if (x.Op == qm.AggMax || x.Op == qm.AggMin) && x.Arg != nil && x.Arg.Dim() == qm.Event {
				fr := g.domainFrame(x.Arg)
				if fr == nil || (frame != nil && frame.Key() != fr.Key()) {
					ok = false
					return s
				}
				frame = fr
				return x.Arg
			}
			ok = false
			return s
		case *qm.Function:
			if x.Op == qm.FnIsNull || x.Op == qm.FnNot || x.Op == qm.FnOr {
				ok = false
				return s
			}
			args := make([]qm.Series, len(x.Args))
			for i, a := range x.Args {
				args[i] = sub(a)
			}
			return qm.NewFunction(x.Op, x.T, args...)
		case *qm.Case:
			ok = false
		}
		return s
	}
	out := sub(a)
	if !ok || frame == nil {
		return nil, nil, false
	}
	return out, frame, true
}

// domainFrame finds the frame an event-level series is drawn from.
func (g *Generator) domainFrame(s qm.Series) qm.Frame {
	var found qm.Frame
	var walk func(s qm.Series)
	walk = func(s qm.Series) {
		if s == nil || found != nil {
			return
		}
		switch x := s.(type) {
		case *qm.SelectColumn:
			if x.Source.Domain() != nil && s.Domain() != nil && x.Source.Domain().Key == s.Domain().Key {
				found = x.Source
			}
		case *qm.Function:
			for _, a := range x.Args {
				walk(a)
			}
		case *qm.Case:
			for _, b := range x.Branches {
				walk(b.Cond)
				walk(b.Value)
			}
			walk(x.Default)
		}
	}
	walk(s)
	return found
}

// addTemplate asks for count rows of the frame's table meeting its filters (and extra).
func (g *Generator) addTemplate(pp *patientPlan, f qm.Frame, count int, extra []qm.Series) {
	conds := append([]qm.Series(nil), extra...)
	for {
		switch x := f.(type) {
		case *qm.Filter:
			conds = andAtoms(x.Cond, conds)
			f = x.Source
			continue
		case *qm.Sort:
			f = x.Source
			continue
		}
		break
	}
	ti := g.prog.TableOf(f)
	if ti < 0 {
		return
	}
	t := &template{table: ti, count: count, cols: map[int]*cands{}}
	for _, c := range conds {
		cols := g.columnsOf(c)
		if len(cols) == 1 && cols[0].table == ti {
			t.cols[cols[0].col] = g.narrow(cols[0], c, t.cols[cols[0].col])
		} else if len(cols) == 0 && c.Dim() == qm.Patient {
			// A patient-level condition: leave it to the population check.
			continue
		}
	}
	pp.templates = append(pp.templates, t)
}

// narrow keeps the candidates of cs for which cond is True (evaluated by the engine on a
// one-column table), starting from prev when the column was already narrowed.
func (g *Generator) narrow(cs *colSpec, cond qm.Series, prev *cands) *cands {
	var pool []engine.Val
	nullOK := !cs.notNull
	if prev != nil {
		pool, nullOK = prev.vals, prev.nullOK
	} else {
		pool = cs.candidates(g)
	}
	id := g.prog.CompileSeries(cond)
	ts := g.prog.Tables[cs.table]
	width := len(ts.Columns)
	mk := func(v engine.Val) engine.Row {
		r := make(engine.Row, width)
		r[cs.col] = v
		return r
	}
	out := &cands{}
	isEvent, _ := g.prog.IsEvent(id)
	pr := &engine.PatientRows{ID: 1, Tables: make([][]engine.Row, len(g.prog.Tables))}
	if isEvent {
		rows := make([]engine.Row, 0, len(pool)+1)
		for _, v := range pool {
			rows = append(rows, mk(v))
		}
		rows = append(rows, mk(engine.Null))
		pr.Tables[cs.table] = rows
		g.ev.Reset(pr)
		res := g.ev.EvalVec(id)
		for i, v := range pool {
			if res[i].True() {
				out.vals = append(out.vals, v)
			}
		}
		out.nullOK = nullOK && res[len(pool)].True()
		return out
	}
	for _, v := range append(pool, engine.Null) {
		pr.Tables[cs.table] = []engine.Row{mk(v)}
		g.ev.Reset(pr)
		if g.ev.EvalSeries(id).True() {
			if v.K == engine.KNull {
				out.nullOK = nullOK
			} else {
				out.vals = append(out.vals, v)
			}
		}
	}
	return out
}

// ---- patients ----

// pickIn chooses a candidate inside [lo, hi] (for dates), or any when the window is nil.
func pickIn(r *rand.Rand, vals []engine.Val, lo, hi int64, window bool) (engine.Val, bool) {
	if len(vals) == 0 {
		return engine.Null, false
	}
	if !window || vals[0].K != engine.KDate {
		return vals[r.IntN(len(vals))], true
	}
	i := sort.Search(len(vals), func(i int) bool { return vals[i].I >= lo })
	j := sort.Search(len(vals), func(i int) bool { return vals[i].I > hi })
	if i >= j {
		return engine.Null, false
	}
	return vals[i+r.IntN(j-i)], true
}

func (g *Generator) patient(id int64, pp *patientPlan) *engine.PatientRows {
	r := g.rng
	pr := &engine.PatientRows{ID: id, Tables: make([][]engine.Row, len(g.prog.Tables))}
	if len(g.nRandom) != len(g.prog.Tables) {
		g.nRandom = make([]int, len(g.prog.Tables))
	}
	// Birth and death first: they bound every other date.
	lo := g.today - 110*365
	var dob, dod engine.Val
	if g.patients >= 0 && g.dob >= 0 {
		c := pp.filters[[2]int{g.patients, g.dob}]
		if c == nil {
			c = &cands{vals: g.cols[g.patients][g.dob].candidates(g)}
		}
		v, ok := pickIn(r, c.vals, lo, g.today, true)
		if !ok {
			return nil
		}
		dob = v
	} else {
		dob = engine.DateDays(lo + r.Int64N(g.today-lo+1))
	}
	if g.patients >= 0 && g.dod >= 0 {
		c := pp.filters[[2]int{g.patients, g.dod}]
		if c == nil {
			c = &cands{vals: g.cols[g.patients][g.dod].candidates(g), nullOK: true}
		}
		if !(c.nullOK && (r.IntN(10) < 9 || len(c.vals) == 0)) {
			v, ok := pickIn(r, c.vals, dob.I, min(g.today-1, dob.I+105*365), true)
			if !ok && !c.nullOK {
				return nil
			}
			dod = v
		}
	} else if r.IntN(10) == 0 {
		dod = engine.DateDays(dob.I + r.Int64N(g.today-dob.I+1))
		if dod.I >= g.today {
			dod = engine.Null
		}
	}
	hi := g.today
	if dod.K != engine.KNull {
		hi = dod.I
	}
	life := [2]int64{dob.I, hi}
	for ti, ts := range g.prog.Tables {
		if g.fileRows != nil && g.fileRows[ti] != nil {
			// The file's rows, copied: forbid and the evaluator may reorder a slice.
			src := g.fileRows[ti][id]
			rows := make([]engine.Row, len(src))
			for k, row := range src {
				rows[k] = append(engine.Row(nil), row...)
			}
			g.nRandom[ti] = len(rows)
			pr.Tables[ti] = rows
			continue
		}
		var n int
		switch {
		case ti == g.patients:
			n = 1
		case ti == g.deaths:
			if dod.K != engine.KNull {
				n = 1
			}
		case ts.Patient:
			n = r.IntN(2)
		default:
			n = 0
			for r.IntN(4) != 0 && n < 12 {
				n++
			}
		}
		rows := make([]engine.Row, 0, n+2)
		for k := 0; k < n; k++ {
			row := g.row(ti, nil, pp, life, dob, dod)
			if row == nil {
				return nil
			}
			rows = append(rows, row)
		}
		g.nRandom[ti] = len(rows)
		for _, t := range pp.templates {
			if t.table != ti {
				continue
			}
			for k := 0; k < t.count; k++ {
				row := g.row(ti, t, pp, life, dob, dod)
				if row == nil {
					return nil
				}
				if ts.Patient {
					rows = rows[:0]
				}
				rows = append(rows, row)
			}
		}
		pr.Tables[ti] = rows
	}
	return pr
}

// row makes one row of table ti; t (optional) narrows some columns.
func (g *Generator) row(ti int, t *template, pp *patientPlan, life [2]int64, dob, dod engine.Val) engine.Row {
	r := g.rng
	ts := g.prog.Tables[ti]
	row := make(engine.Row, len(ts.Columns))
	for ci, cs := range g.cols[ti] {
		if !ts.Used[cs.name] {
			continue
		}
		if ti == g.patients && ci == g.dob {
			row[ci] = dob
			continue
		}
		if ti == g.patients && ci == g.dod {
			row[ci] = dod
			continue
		}
		if ti == g.deaths && cs.name == "date" {
			row[ci] = dod
			continue
		}
		var c *cands
		if t != nil {
			c = t.cols[ci]
		}
		if c == nil && ts.Patient {
			c = pp.filters[[2]int{ti, ci}]
		}
		if c != nil {
			if len(c.vals) == 0 || (c.nullOK && r.IntN(10) == 0) {
				if !c.nullOK {
					return nil
				}
				continue
			}
			v, ok := pickIn(r, c.vals, life[0], life[1], true)
			if !ok {
				if c.nullOK {
					continue
				}
				return nil
			}
			row[ci] = v
			continue
		}
		row[ci] = g.random(cs, life)
	}
	// Dates that must follow others (DateAfter) are put in order.
	for ci, cs := range g.cols[ti] {
		for _, j := range cs.dateAfter {
			if row[ci].K == engine.KDate && row[j].K == engine.KDate && row[ci].I < row[j].I {
				row[ci], row[j] = row[j], row[ci]
			}
		}
	}
	return row
}

// random draws a value for an unconstrained column.
func (g *Generator) random(cs *colSpec, life [2]int64) engine.Val {
	r := g.rng
	if cs.nullOnly {
		return engine.Null
	}
	if !cs.notNull && r.IntN(20) == 0 {
		return engine.Null
	}
	switch cs.typ.Kind {
	case qm.DateKind:
		lo, hi := life[0], life[1]
		if cs.min != nil && cs.min.I > lo {
			lo = cs.min.I
		}
		if cs.max != nil && cs.max.I < hi {
			hi = cs.max.I
		}
		if len(cs.lits) > 0 && r.IntN(3) == 0 {
			l := cs.lits[r.IntN(len(cs.lits))]
			d := l.I + int64(r.IntN(61)) - 30
			if d >= lo && d <= hi {
				lo, hi = d, d
			}
		}
		if hi < lo {
			return engine.Null
		}
		d := engine.DateDays(lo + r.Int64N(hi-lo+1))
		if cs.firstOfMonth {
			x := d.Date()
			d = engine.DateVal(qm.Date{Year: x.Year, Month: x.Month, Day: 1})
		}
		return d
	case qm.Bool:
		return engine.Bool(r.IntN(2) == 1)
	}
	if len(cs.cats) > 0 {
		return cs.cats[r.IntN(len(cs.cats))]
	}
	switch cs.typ.Kind {
	case qm.Int:
		if cs.min != nil && cs.max != nil {
			step := max(cs.step, 1)
			return engine.Int(cs.min.I + step*r.Int64N((cs.max.I-cs.min.I)/step+1))
		}
		if len(cs.lits) > 0 && r.IntN(3) == 0 {
			return cs.lits[r.IntN(len(cs.lits))]
		}
		return engine.Int(r.Int64N(100))
	case qm.Float:
		if len(cs.lits) > 0 && r.IntN(3) == 0 {
			return cs.lits[r.IntN(len(cs.lits))]
		}
		return engine.Float(float64(r.IntN(1000)) / 10)
	}
	if len(cs.lits) > 0 && r.IntN(10) < 7 {
		return cs.lits[r.IntN(len(cs.lits))]
	}
	return cs.randomString(r)
}
