// Package qm is osls's ehrQL query model: the typed, immutable graph a dataset definition
// means, independent of the Python it was written in. The static analyser builds it (and
// checks types, dimensions and domains while doing so); the dummy-data engine evaluates it.
// It mirrors the structure of ehrQL's own query model: frames (tables, filters, sorts,
// one-row-per-patient picks), series (values, columns, cases, aggregations, functions) and a
// Dataset or Measures at the root.
//
// Nodes are built only through the constructors in this package, which compute a structural
// key for each node: two nodes with the same key mean the same thing (ehrQL compares its
// nodes structurally too, which matters for sort tie-breaks and domains).
package qm

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync/atomic"
)

// Kind is the element type of a series.
type Kind uint8

// Element kinds. Unknown stands for a value the analyser could not determine; it is
// compatible with everything so it never causes a diagnostic.
const (
	Unknown Kind = iota
	Bool
	Int
	Float
	Str
	DateKind
	Code
	MultiCode
)

var kindNames = [...]string{"unknown", "bool", "int", "float", "str", "date", "code", "multicode"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Type is an element type; code and multi-code types name their coding system
// (SNOMEDCT, CTV3, ICD10, OPCS4, DMD, BNF).
type Type struct {
	Kind   Kind
	System string
}

// Common types.
var (
	TUnknown = Type{Kind: Unknown}
	TBool    = Type{Kind: Bool}
	TInt     = Type{Kind: Int}
	TFloat   = Type{Kind: Float}
	TStr     = Type{Kind: Str}
	TDate    = Type{Kind: DateKind}
)

// String names the type the way ehrQL's messages do ("int", "date", "SNOMEDCTCode").
func (t Type) String() string {
	switch t.Kind {
	case Code:
		return t.System + "Code"
	case MultiCode:
		return t.System + "MultiCodeString"
	case DateKind:
		return "datetime.date"
	}
	return t.Kind.String()
}

// SeriesName is ehrQL's class name for a series of this type and dimension, e.g.
// "DatePatientSeries".
func SeriesName(t Type, d Dim) string {
	names := map[Kind]string{Bool: "Bool", Int: "Int", Float: "Float", Str: "Str", DateKind: "Date", Code: "Code", MultiCode: "MultiCodeString", Unknown: ""}
	level := "Patient"
	if d == Event {
		level = "Event"
	}
	return names[t.Kind] + level + "Series"
}

// Compatible reports whether values of the two types can meet (compare, combine); Unknown
// matches anything.
func Compatible(a, b Type) bool {
	if a.Kind == Unknown || b.Kind == Unknown {
		return true
	}
	if a.Kind != b.Kind {
		return false
	}
	return a.System == "" || b.System == "" || a.System == b.System
}

// Dim is a dimension: patient-level (at most one value per patient) or event-level.
type Dim uint8

// Dimensions.
const (
	Patient Dim = iota + 1
	Event
)

// Domain identifies the rows an event-level series is drawn from: a table, narrowed by each
// filter. Two event-level series combine only when their domains are equal.
type Domain struct {
	Parent *Domain
	Key    string // structural key of the frame that made this domain
}

// IsAncestorOrEqual reports whether d is e or one of e's ancestors.
func (d *Domain) IsAncestorOrEqual(e *Domain) bool {
	for x := e; x != nil; x = x.Parent {
		if x.Key == d.Key {
			return true
		}
	}
	return false
}

// Column describes one column of a table.
type Column struct {
	Name         string
	Type         Type
	NotNull      bool
	Categories   []string
	FirstOfMonth bool
	Unique       bool
	Min, Max     *float64
	Doc          string
}

// Table is a table of the ehrQL schema as the model refers to it.
type Table struct {
	Module     string
	Name       string
	Patient    bool // a patient-level table (at most one row per patient)
	Columns    []Column
	Permission string // permission needed to use it ("" when none)
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Node is anything in the model.
type Node interface {
	// Key is the node's structural identity.
	Key() string
}

// Frame is a set of rows per patient.
type Frame interface {
	Node
	Dim() Dim
	Domain() *Domain // nil for patient-level frames
	Table() *Table   // the table the rows come from (columns are looked up here)
	Sorted() bool    // has sort keys (first/last_for_patient allowed)
}

// Series is a column of values, one per row of its domain (or one per patient).
type Series interface {
	Node
	Type() Type
	Dim() Dim
	Domain() *Domain // nil for patient-level series
}

type base struct{ key string }

// hashKey condenses a node's structure (its kind and its children's keys) to a fixed-size
// key, so keys stay small however deeply expressions are nested or shared.
func hashKey(parts ...string) string {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (b base) Key() string { return b.key }

// SelectTable is a whole table.
type SelectTable struct {
	base
	T      *Table
	domain *Domain
}

// NewSelectTable returns the frame of all rows of t.
func NewSelectTable(t *Table) *SelectTable {
	k := hashKey("T", t.Module, t.Name)
	s := &SelectTable{base: base{k}, T: t}
	if !t.Patient {
		s.domain = &Domain{Key: k}
	}
	return s
}

func (s *SelectTable) Dim() Dim {
	if s.T.Patient {
		return Patient
	}
	return Event
}
func (s *SelectTable) Domain() *Domain { return s.domain }
func (s *SelectTable) Table() *Table   { return s.T }
func (s *SelectTable) Sorted() bool    { return false }

// InlineTable is a patient-level table read from a file (table_from_file).
type InlineTable struct {
	base
	Path string
	T    *Table
}

// NewInlineTable returns the frame of a file-backed patient table.
func NewInlineTable(path string, t *Table) *InlineTable {
	return &InlineTable{base: base{hashKey("File", path)}, Path: path, T: t}
}

func (s *InlineTable) Dim() Dim        { return Patient }
func (s *InlineTable) Domain() *Domain { return nil }
func (s *InlineTable) Table() *Table   { return s.T }
func (s *InlineTable) Sorted() bool    { return false }

// Filter keeps the rows of Source where Cond is true.
type Filter struct {
	base
	Source Frame
	Cond   Series
	domain *Domain
}

// NewFilter narrows a frame; the result has a child domain.
func NewFilter(src Frame, cond Series) *Filter {
	k := hashKey("Filter", src.Key(), cond.Key())
	f := &Filter{base: base{k}, Source: src, Cond: cond}
	if src.Domain() != nil {
		f.domain = &Domain{Parent: src.Domain(), Key: k}
	}
	return f
}

func (f *Filter) Dim() Dim        { return f.Source.Dim() }
func (f *Filter) Domain() *Domain { return f.domain }
func (f *Filter) Table() *Table   { return f.Source.Table() }
func (f *Filter) Sorted() bool    { return f.Source.Sorted() }

// Sort orders the rows of Source by Key (applied after, so with higher priority than, any
// earlier sort). Sorting does not change the domain.
type Sort struct {
	base
	Source  Frame
	SortKey Series
}

// NewSort sorts a frame by one key.
func NewSort(src Frame, key Series) *Sort {
	return &Sort{base: base{hashKey("Sort", src.Key(), key.Key())}, Source: src, SortKey: key}
}

func (s *Sort) Dim() Dim        { return s.Source.Dim() }
func (s *Sort) Domain() *Domain { return s.Source.Domain() }
func (s *Sort) Table() *Table   { return s.Source.Table() }
func (s *Sort) Sorted() bool    { return true }

// Pick keeps one row per patient: the first or last after sorting.
type Pick struct {
	base
	Source Frame
	Last   bool
}

// NewPick picks the first (or last) row per patient of a sorted frame.
func NewPick(src Frame, last bool) *Pick {
	k := "First"
	if last {
		k = "Last"
	}
	return &Pick{base: base{hashKey(k, src.Key())}, Source: src, Last: last}
}

func (p *Pick) Dim() Dim        { return Patient }
func (p *Pick) Domain() *Domain { return nil }
func (p *Pick) Table() *Table   { return p.Source.Table() }
func (p *Pick) Sorted() bool    { return false }

// Value is a constant (patient-level). V holds nil, bool, int64, float64, string, Date, or
// []any for the sets used by is_in.
type Value struct {
	base
	V any
	T Type
}

// NewValue wraps a constant of type t.
func NewValue(v any, t Type) *Value {
	return &Value{base: base{hashKey("V", t.String(), fmt.Sprint(v))}, V: v, T: t}
}

func (v *Value) Type() Type      { return v.T }
func (v *Value) Dim() Dim        { return Patient }
func (v *Value) Domain() *Domain { return nil }

// Param is a placeholder filled in per measure interval (INTERVAL.start_date/end_date).
type Param struct {
	base
	Name string
	T    Type
}

// NewParam returns a named placeholder.
func NewParam(name string, t Type) *Param {
	return &Param{base: base{hashKey("P", name)}, Name: name, T: t}
}

func (p *Param) Type() Type      { return p.T }
func (p *Param) Dim() Dim        { return Patient }
func (p *Param) Domain() *Domain { return nil }

// SelectColumn is one column of a frame.
type SelectColumn struct {
	base
	Source Frame
	Name   string
	T      Type
}

// NewColumn selects a column of a frame.
func NewColumn(src Frame, name string, t Type) *SelectColumn {
	return &SelectColumn{base: base{hashKey("Col", src.Key(), name)}, Source: src, Name: name, T: t}
}

func (c *SelectColumn) Type() Type      { return c.T }
func (c *SelectColumn) Dim() Dim        { return c.Source.Dim() }
func (c *SelectColumn) Domain() *Domain { return c.Source.Domain() }

// Branch is one `when(cond).then(value)` of a Case; Value is nil for None.
type Branch struct {
	Cond  Series
	Value Series
}

// Case picks the value of the first branch whose condition is true, else Default (nil means
// NULL).
type Case struct {
	base
	Branches []Branch
	Default  Series
	T        Type
	dim      Dim
	domain   *Domain
}

// NewCase builds a case expression; its dimension and domain are the highest of its inputs'.
func NewCase(branches []Branch, def Series, t Type) *Case {
	var sb strings.Builder
	sb.WriteString("Case(")
	var all []Series
	for _, b := range branches {
		sb.WriteString(b.Cond.Key())
		sb.WriteString("->")
		all = append(all, b.Cond)
		if b.Value != nil {
			sb.WriteString(b.Value.Key())
			all = append(all, b.Value)
		} else {
			sb.WriteString("None")
		}
		sb.WriteString(";")
	}
	if def != nil {
		sb.WriteString("else " + def.Key())
		all = append(all, def)
	}
	sb.WriteString(")")
	d, dom := Combined(all...)
	return &Case{base: base{hashKey(sb.String())}, Branches: branches, Default: def, T: t, dim: d, domain: dom}
}

func (c *Case) Type() Type      { return c.T }
func (c *Case) Dim() Dim        { return c.dim }
func (c *Case) Domain() *Domain { return c.domain }

// Combined returns the dimension and domain of an expression over the given series: event
// level (with the first event domain) if any input is, else patient level. Callers check
// that event domains agree with SameDomain before combining.
func Combined(ss ...Series) (Dim, *Domain) {
	for _, s := range ss {
		if s != nil && s.Dim() == Event {
			return Event, s.Domain()
		}
	}
	return Patient, nil
}

// SameDomain reports whether all event-level series among ss share one domain.
func SameDomain(ss ...Series) bool {
	var d *Domain
	for _, s := range ss {
		if s == nil || s.Dim() != Event || s.Domain() == nil {
			continue
		}
		if d == nil {
			d = s.Domain()
		} else if d.Key != s.Domain().Key {
			return false
		}
	}
	return true
}

// AggOp names an aggregation.
type AggOp string

// Aggregations (all produce patient-level series).
const (
	AggExists        AggOp = "Exists"
	AggCount         AggOp = "Count"
	AggCountDistinct AggOp = "CountDistinct"
	AggCountEpisodes AggOp = "CountEpisodes"
	AggMin           AggOp = "Min"
	AggMax           AggOp = "Max"
	AggSum           AggOp = "Sum"
	AggMean          AggOp = "Mean"
	AggCombineAsSet  AggOp = "CombineAsSet"
)

// Aggregate reduces a frame (Exists, Count) or an event-level series (the others) to one
// value per patient.
type Aggregate struct {
	base
	Op      AggOp
	Frame   Frame  // for Exists and Count
	Arg     Series // for the others
	GapDays int    // for CountEpisodes
	T       Type
}

// NewFrameAggregate counts or tests rows of a frame.
func NewFrameAggregate(op AggOp, f Frame) *Aggregate {
	t := TInt
	if op == AggExists {
		t = TBool
	}
	return &Aggregate{base: base{hashKey(string(op), f.Key())}, Op: op, Frame: f, T: t}
}

// NewSeriesAggregate aggregates an event-level series.
func NewSeriesAggregate(op AggOp, s Series, t Type, gapDays int) *Aggregate {
	return &Aggregate{base: base{hashKey(string(op), s.Key(), strconv.Itoa(gapDays))}, Op: op, Arg: s, T: t, GapDays: gapDays}
}

func (a *Aggregate) Type() Type { return a.T }

// Dim is patient-level, except CombineAsSet which keeps the event series' rows for is_in.
func (a *Aggregate) Dim() Dim        { return Patient }
func (a *Aggregate) Domain() *Domain { return nil }

// FnOp names a row-wise function.
type FnOp string

// Functions of ehrQL's query model.
const (
	FnEQ, FnNE, FnLT, FnLE, FnGT, FnGE                      FnOp = "EQ", "NE", "LT", "LE", "GT", "GE"
	FnAnd, FnOr, FnNot, FnIsNull                            FnOp = "And", "Or", "Not", "IsNull"
	FnNegate, FnAbsolute                                    FnOp = "Negate", "Absolute"
	FnAdd, FnSubtract, FnMultiply                           FnOp = "Add", "Subtract", "Multiply"
	FnTrueDivide, FnFloorDivide, FnPower                    FnOp = "TrueDivide", "FloorDivide", "Power"
	FnCastToInt, FnCastToFloat                              FnOp = "CastToInt", "CastToFloat"
	FnDateAddDays, FnDateAddMonths, FnDateAddYears          FnOp = "DateAddDays", "DateAddMonths", "DateAddYears"
	FnDateDiffDays, FnDateDiffMonths, FnDateDiffYears       FnOp = "DateDifferenceInDays", "DateDifferenceInMonths", "DateDifferenceInYears"
	FnYear, FnMonth, FnDay, FnToFirstOfYear, FnToFirstOfMon FnOp = "YearFromDate", "MonthFromDate", "DayFromDate", "ToFirstOfYear", "ToFirstOfMonth"
	FnStringContains, FnIn, FnMinimumOf, FnMaximumOf        FnOp = "StringContains", "In", "MinimumOf", "MaximumOf"
)

// Function applies Op row-wise to Args.
type Function struct {
	base
	Op     FnOp
	Args   []Series
	T      Type
	dim    Dim
	domain *Domain
}

// NewFunction builds a function node; its dimension and domain are the highest of its
// arguments'.
func NewFunction(op FnOp, t Type, args ...Series) *Function {
	var sb strings.Builder
	sb.WriteString(string(op))
	sb.WriteString("(")
	for i, a := range args {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(a.Key())
	}
	sb.WriteString(")")
	d, dom := Combined(args...)
	return &Function{base: base{hashKey(sb.String())}, Op: op, Args: args, T: t, dim: d, domain: dom}
}

func (f *Function) Type() Type      { return f.T }
func (f *Function) Dim() Dim        { return f.dim }
func (f *Function) Domain() *Domain { return f.domain }

// Opaque is a series the analyser knows only by type and dimension (for example a
// variable assigned differently in two branches it could not decide). It has no domain,
// so it never causes a domain error; an engine cannot evaluate it.
type Opaque struct {
	base
	T Type
	D Dim
}

var opaqueCount int64

// NewOpaque returns a fresh opaque series.
func NewOpaque(t Type, d Dim) *Opaque {
	n := atomic.AddInt64(&opaqueCount, 1)
	return &Opaque{base: base{hashKey("Opaque", strconv.FormatInt(n, 10))}, T: t, D: d}
}

func (o *Opaque) Type() Type      { return o.T }
func (o *Opaque) Dim() Dim        { return o.D }
func (o *Opaque) Domain() *Domain { return nil }

// OpaqueFrame is a frame the analyser knows only by table and dimension.
type OpaqueFrame struct {
	base
	T      *Table
	D      Dim
	sorted bool
}

// NewOpaqueFrame returns a fresh opaque frame over table t.
func NewOpaqueFrame(t *Table, d Dim, sorted bool) *OpaqueFrame {
	n := atomic.AddInt64(&opaqueCount, 1)
	return &OpaqueFrame{base: base{hashKey("OpaqueFrame", strconv.FormatInt(n, 10))}, T: t, D: d, sorted: sorted}
}

func (o *OpaqueFrame) Dim() Dim        { return o.D }
func (o *OpaqueFrame) Domain() *Domain { return nil }
func (o *OpaqueFrame) Table() *Table   { return o.T }
func (o *OpaqueFrame) Sorted() bool    { return o.sorted }

// Variable is a named output column.
type Variable struct {
	Name   string
	Series Series
}

// DummyConfig is configure_dummy_data's settings.
type DummyConfig struct {
	PopulationSize int // 0 when not set
	Timeout        int
	Legacy         bool
	Constraint     Series // additional_population_constraint, or nil
}

// EventTable is an extra event-level output table (add_event_table).
type EventTable struct {
	Name    string
	Columns []Variable
}

// Dataset is the result of a dataset definition.
type Dataset struct {
	Population  Series // nil when not defined
	Variables   []Variable
	EventTables []EventTable
	Dummy       DummyConfig
	Permissions []string // claimed with claim_permissions
}

// Measure is one define_measure call.
type Measure struct {
	Name        string
	Numerator   Series
	Denominator Series
	GroupBy     []Variable
	Intervals   [][2]Date
}

// Measures is the result of a measures definition.
type Measures struct {
	Measures          []Measure
	DisclosureControl bool
	Dummy             DummyConfig
	Permissions       []string
}
