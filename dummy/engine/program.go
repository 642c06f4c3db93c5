package engine

import (
	"fmt"
	"sort"

	"github.com/opensafely-core/osls/analysis/qm"
)

// TableSchema is a source table as the engine stores it: one row per event (or per patient)
// with a value per column, in Columns order; patient_id is kept apart.
type TableSchema struct {
	Key        string // storage name, or "file:<path>" for table_from_file
	Name       string // storage name: the dummy-table file name
	Module     string
	Patient    bool
	Columns    []qm.Column
	Inline     *qm.InlineTable // set for table_from_file tables
	Permission string
	Used       map[string]bool // columns the definition refers to
	NoPatient  bool            // rows without patient_id (a measures file); IDs are 0
}

// ColumnIndex returns the position of a column, or -1.
func (t *TableSchema) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Row is one row of a source table.
type Row []Val

// PatientRows holds one patient's rows of every table of a Program (indexed like
// Program.Tables).
type PatientRows struct {
	ID     int64
	Tables [][]Row
}

// OutColumn is a column of the output.
type OutColumn struct {
	Name   string
	Type   qm.Type
	Series qm.Series // the column's definition, helpers expanded
	node   int
}

type nodeKind uint8

const (
	nTable nodeKind = iota
	nFilter
	nSort
	nPick
	nValue
	nSet
	nParam
	nColumn
	nCase
	nAgg
	nFn
)

type node struct {
	kind     nodeKind
	event    bool // event-level frame or series
	table    int  // base table of frames and event-level series
	src      int  // Filter/Sort/Pick source, Column frame, aggregation rows frame
	arg      int  // Filter condition, Sort key, aggregated series
	args     []int
	col      int // column index (-1 = patient_id)
	last     bool
	val      Val
	set      *valSet
	op       qm.FnOp
	agg      qm.AggOp
	gap      int64
	typ      qm.Type
	branches [][2]int
	def      int
	keys     []int // Pick: sort keys, highest priority first
	param    string
	dep      bool // depends on a Param (measures intervals)
}

// Program is a compiled dataset (or measures) definition.
type Program struct {
	Tables     []*TableSchema
	tableIdx   map[string]int
	nodes      []*node
	byKey      map[string]int
	Population int // node of the population condition
	Columns    []OutColumn
	// EventTables are the add_event_table outputs, in definition order.
	EventTables []EventTableOut
	// Notes lists what the engine had to approximate (reported once per run).
	Notes []string

	pickCols map[string]map[string]qm.Series
	measures []compiledMeasure
	params   []string
}

// Compile prepares a dataset for evaluation.
func Compile(ds *qm.Dataset) (*Program, error) {
	if ds == nil {
		return nil, fmt.Errorf("no dataset")
	}
	if ds.Population == nil {
		return nil, fmt.Errorf("A population has not been defined; define one with define_population()")
	}
	rw := newRewriter()
	pop := rw.ser(ds.Population)
	if ds.Dummy.Constraint != nil {
		_ = rw.ser(ds.Dummy.Constraint)
	}
	vars := make([]qm.Series, len(ds.Variables))
	for i, v := range ds.Variables {
		vars[i] = rw.ser(v.Series)
	}
	evs := make([][]qm.Series, len(ds.EventTables))
	for i, et := range ds.EventTables {
		for _, c := range et.Columns {
			evs[i] = append(evs[i], rw.ser(c.Series))
		}
	}
	p := newProgram()
	roots := append([]qm.Series{pop}, vars...)
	for _, ss := range evs {
		roots = append(roots, ss...)
	}
	p.collectPickColumns(roots)
	p.Population = p.series(pop)
	for i, v := range ds.Variables {
		p.Columns = append(p.Columns, OutColumn{Name: v.Name, Type: vars[i].Type(), Series: vars[i], node: p.series(vars[i])})
	}
	for i, et := range ds.EventTables {
		p.EventTables = append(p.EventTables, p.eventTable(et, evs[i]))
	}
	p.finish(rw)
	return p, nil
}

// EventTableOut is a compiled add_event_table output: one row per row of its columns'
// domain frame, in table row order, for each patient in the population.
type EventTableOut struct {
	Name    string
	Columns []OutColumn
	frame   int // node of the domain frame; -1 when every column is patient-level
}

// eventTable compiles an event table whose column series have been rewritten.
func (p *Program) eventTable(et qm.EventTable, ss []qm.Series) EventTableOut {
	out := EventTableOut{Name: et.Name, frame: -1}
	for i, c := range et.Columns {
		id := p.series(ss[i])
		out.Columns = append(out.Columns, OutColumn{Name: c.Name, Type: ss[i].Type(), Series: ss[i], node: id})
		n := p.nodes[id]
		if !n.event || out.frame >= 0 {
			continue
		}
		if d := ss[i].Domain(); d != nil {
			if fid, ok := p.byKey["F"+d.Key]; ok {
				out.frame = fid
			}
		}
		if out.frame < 0 {
			out.frame = p.tableFrame(n.table)
		}
	}
	return out
}

func newProgram() *Program {
	return &Program{tableIdx: map[string]int{}, byKey: map[string]int{}, pickCols: map[string]map[string]qm.Series{}}
}

func (p *Program) finish(rw *rewriter) {
	for n := range rw.notes {
		p.Notes = append(p.Notes, n)
	}
	sort.Strings(p.Notes)
}

// CompileSeries adds an extra patient-level series (e.g. the generator's additional
// population constraint) to the program and returns its handle for EvalSeries.
func (p *Program) CompileSeries(s qm.Series) int {
	rw := newRewriter()
	return p.series(rw.ser(s))
}

// walk visits every series and frame reachable from the roots once.
func walk(roots []qm.Series, fs func(qm.Series), ff func(qm.Frame)) {
	seen := map[string]bool{}
	var ser func(qm.Series)
	var frm func(qm.Frame)
	frm = func(f qm.Frame) {
		if f == nil || seen["F"+f.Key()] {
			return
		}
		seen["F"+f.Key()] = true
		if ff != nil {
			ff(f)
		}
		switch x := f.(type) {
		case *qm.Filter:
			frm(x.Source)
			ser(x.Cond)
		case *qm.Sort:
			frm(x.Source)
			ser(x.SortKey)
		case *qm.Pick:
			frm(x.Source)
		}
	}
	ser = func(s qm.Series) {
		if s == nil || seen["S"+s.Key()] {
			return
		}
		seen["S"+s.Key()] = true
		if fs != nil {
			fs(s)
		}
		switch x := s.(type) {
		case *qm.SelectColumn:
			frm(x.Source)
		case *qm.Case:
			for _, b := range x.Branches {
				ser(b.Cond)
				ser(b.Value)
			}
			ser(x.Default)
		case *qm.Aggregate:
			frm(x.Frame)
			ser(x.Arg)
		case *qm.Function:
			for _, a := range x.Args {
				ser(a)
			}
		}
	}
	for _, r := range roots {
		ser(r)
	}
}

// collectPickColumns records, for each first/last_for_patient frame, every column selected
// from it anywhere in the definition: ehrQL's extra tie-break sort keys.
func (p *Program) collectPickColumns(roots []qm.Series) {
	walk(roots, func(s qm.Series) {
		c, ok := s.(*qm.SelectColumn)
		if !ok || c.Name == "patient_id" {
			return
		}
		if pk, ok := c.Source.(*qm.Pick); ok {
			m := p.pickCols[pk.Key()]
			if m == nil {
				m = map[string]qm.Series{}
				p.pickCols[pk.Key()] = m
			}
			m[c.Name] = c
		}
	}, nil)
}

func tableKey(f qm.Frame) (string, *qm.Table, *qm.InlineTable) {
	switch x := f.(type) {
	case *qm.SelectTable:
		return x.T.Name, x.T, nil
	case *qm.InlineTable:
		return "file:" + x.Path, x.T, x
	}
	return "", nil, nil
}

func (p *Program) table(f qm.Frame) int {
	key, t, inline := tableKey(f)
	if i, ok := p.tableIdx[key]; ok {
		ts := p.Tables[i]
		for _, c := range t.Columns {
			if ts.ColumnIndex(c.Name) < 0 {
				ts.Columns = append(ts.Columns, c)
			}
		}
		return i
	}
	ts := &TableSchema{Key: key, Name: t.Name, Module: t.Module, Patient: t.Patient, Columns: append([]qm.Column(nil), t.Columns...), Inline: inline, Permission: t.Permission, Used: map[string]bool{}}
	p.Tables = append(p.Tables, ts)
	p.tableIdx[key] = len(p.Tables) - 1
	return len(p.Tables) - 1
}

func (p *Program) add(key string, n *node) int {
	p.nodes = append(p.nodes, n)
	id := len(p.nodes) - 1
	p.byKey[key] = id
	return id
}

func (p *Program) frame(f qm.Frame) int {
	key := "F" + f.Key()
	if id, ok := p.byKey[key]; ok {
		return id
	}
	if o, ok := f.(*qm.OpaqueFrame); ok {
		// A frame the analyser could only follow to its table (values from branches it could
		// not decide): evaluate it as the whole table.
		id := p.frame(qm.NewSelectTable(o.T))
		p.byKey[key] = id
		return id
	}
	n := &node{event: f.Dim() == qm.Event}
	switch x := f.(type) {
	case *qm.SelectTable, *qm.InlineTable:
		n.kind = nTable
		n.table = p.table(f)
		n.event = !p.Tables[n.table].Patient
	case *qm.Filter:
		n.kind = nFilter
		n.src = p.frame(x.Source)
		n.table = p.nodes[n.src].table
		n.event = p.nodes[n.src].event
		n.arg = p.series(x.Cond)
		n.dep = p.nodes[n.src].dep || p.nodes[n.arg].dep
	case *qm.Sort:
		n.kind = nSort
		n.src = p.frame(x.Source)
		n.table = p.nodes[n.src].table
		n.event = p.nodes[n.src].event
		n.arg = p.series(x.SortKey)
		n.dep = p.nodes[n.src].dep || p.nodes[n.arg].dep
	case *qm.Pick:
		n.kind = nPick
		n.src = p.frame(x.Source)
		n.table = p.nodes[n.src].table
		n.event = false
		n.last = x.Last
		n.dep = p.nodes[n.src].dep
		direct := map[string]bool{}
		for g := x.Source; ; {
			if s, ok := g.(*qm.Sort); ok {
				k := p.series(s.SortKey)
				if p.nodes[k].event {
					n.keys = append(n.keys, k)
				}
				if c, ok := s.SortKey.(*qm.SelectColumn); ok {
					direct[c.Name] = true
				}
				n.dep = n.dep || p.nodes[k].dep
				g = s.Source
				continue
			}
			if fl, ok := g.(*qm.Filter); ok {
				g = fl.Source
				continue
			}
			break
		}
		var extra []string
		for name := range p.pickCols[x.Key()] {
			if !direct[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			c := p.pickCols[x.Key()][name].(*qm.SelectColumn)
			n.keys = append(n.keys, p.series(qm.NewColumn(x.Source, name, c.T)))
		}
	default:
		panic(fmt.Sprintf("engine: unknown frame %T", f))
	}
	return p.add(key, n)
}

func (p *Program) series(s qm.Series) int {
	key := "S" + s.Key()
	if id, ok := p.byKey[key]; ok {
		return id
	}
	n := &node{typ: s.Type(), event: s.Dim() == qm.Event, table: -1}
	switch x := s.(type) {
	case *qm.Value:
		if items, ok := x.V.([]any); ok {
			n.kind = nSet
			n.set = newLiteralSet(items, x.T)
		} else if str, ok := x.V.(string); ok && str == "?" && (x.T.Kind == qm.Unknown || x.T.Kind == qm.Str) {
			// A value the analyser could not know: NULL.
			n.kind = nValue
		} else {
			n.kind = nValue
			n.val = FromLiteral(x.V, x.T)
		}
	case *qm.Opaque:
		// A series the analyser could not know: NULL.
		n.kind = nValue
	case *qm.Param:
		n.kind = nParam
		n.param = x.Name
		n.dep = true
		p.addParam(x.Name)
	case *qm.SelectColumn:
		n.kind = nColumn
		n.src = p.frame(x.Source)
		fn := p.nodes[n.src]
		n.table = fn.table
		n.event = fn.event
		n.dep = fn.dep && !fn.event
		ts := p.Tables[n.table]
		if x.Name == "patient_id" {
			n.col = -1
		} else {
			n.col = ts.ColumnIndex(x.Name)
			if n.col < 0 {
				ts.Columns = append(ts.Columns, qm.Column{Name: x.Name, Type: x.T})
				n.col = len(ts.Columns) - 1
			}
			ts.Used[x.Name] = true
		}
		if n.event {
			// Every event-level selection of a column reads the same base rows.
			ck := fmt.Sprintf("C%d.%d", n.table, n.col)
			if id, ok := p.byKey[ck]; ok {
				p.byKey[key] = id
				return id
			}
			id := p.add(ck, n)
			p.byKey[key] = id
			return id
		}
	case *qm.Case:
		n.kind = nCase
		for _, b := range x.Branches {
			c := p.series(b.Cond)
			v := -1
			if b.Value != nil {
				v = p.series(b.Value)
			}
			n.branches = append(n.branches, [2]int{c, v})
		}
		n.def = -1
		if x.Default != nil {
			n.def = p.series(x.Default)
		}
		p.setEventTable(n, append(flatten(n.branches), n.def)...)
	case *qm.Aggregate:
		n.kind = nAgg
		n.agg = x.Op
		n.gap = int64(x.GapDays)
		n.event = false
		if x.Frame != nil {
			n.src = p.frame(x.Frame)
			n.dep = p.nodes[n.src].dep
		} else {
			n.arg = p.series(x.Arg)
			a := p.nodes[n.arg]
			n.dep = a.dep
			n.src = -1
			if a.event {
				if d := x.Arg.Domain(); d != nil {
					if id, ok := p.byKey["F"+d.Key]; ok {
						n.src = id
					}
				}
				if n.src < 0 {
					n.src = p.tableFrame(a.table)
				}
				n.dep = n.dep || p.nodes[n.src].dep
			}
		}
	case *qm.Function:
		n.kind = nFn
		n.op = x.Op
		for _, a := range x.Args {
			n.args = append(n.args, p.series(a))
		}
		p.setEventTable(n, n.args...)
	default:
		panic(fmt.Sprintf("engine: unknown series %T", s))
	}
	return p.add(key, n)
}

func flatten(bs [][2]int) []int {
	var out []int
	for _, b := range bs {
		out = append(out, b[0], b[1])
	}
	return out
}

// setEventTable makes n event-level over the base table of its first event-level input.
func (p *Program) setEventTable(n *node, ids ...int) {
	n.event = false
	for _, id := range ids {
		if id < 0 {
			continue
		}
		c := p.nodes[id]
		n.dep = n.dep || c.dep
		if c.event && !n.event {
			n.event = true
			n.table = c.table
		}
	}
}

// tableFrame returns the node of a whole base table.
func (p *Program) tableFrame(t int) int {
	key := fmt.Sprintf("TF%d", t)
	if id, ok := p.byKey[key]; ok {
		return id
	}
	return p.add(key, &node{kind: nTable, table: t, event: !p.Tables[t].Patient})
}

func (p *Program) addParam(name string) {
	for _, q := range p.params {
		if q == name {
			return
		}
	}
	p.params = append(p.params, name)
}

// UsedTables lists the tables the definition refers to (the patient universe).
func (p *Program) UsedTables() []*TableSchema { return p.Tables }

// Rewrite expands table helpers in a series into primitives, as Compile does.
func Rewrite(s qm.Series) qm.Series { return newRewriter().ser(s) }

// TableOf returns the program's index of the table a frame's rows come from, or -1.
func (p *Program) TableOf(f qm.Frame) int {
	for {
		switch x := f.(type) {
		case *qm.Filter:
			f = x.Source
			continue
		case *qm.Sort:
			f = x.Source
			continue
		case *qm.Pick:
			f = x.Source
			continue
		}
		break
	}
	key, _, _ := tableKey(f)
	if i, ok := p.tableIdx[key]; ok {
		return i
	}
	return -1
}
