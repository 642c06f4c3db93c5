package analysis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/analysis/qm"
	"github.com/opensafely-core/osls/schema"
)

// The abstract interpreter for dataset definitions works on these values. Python values
// that can be known statically (literals, lists, dicts, dates, strings built with f-strings)
// are tracked exactly; ehrQL objects carry the query model node they stand for; anything the
// interpreter cannot know is `unknown`, which absorbs every operation silently.

type val interface{}

type unknownV struct{}

var unknown val = unknownV{}

type noneV struct{}

var none val = noneV{}

type pyBool bool
type pyInt int64
type pyFloat float64
type pyStr string
type pyDate qm.Date

// listV is a Python list or tuple (mutable through the pointer).
type listV struct {
	items []val
	tuple bool
}

// setV is a Python set.
type setV struct{ items []val }

// dictV is a Python dict with keys in insertion order.
type dictV struct {
	keys []val
	vals []val
}

func (d *dictV) get(k val) (val, bool) {
	ks, ok := hashKey(k)
	if !ok {
		return nil, false
	}
	for i, x := range d.keys {
		if xs, ok := hashKey(x); ok && xs == ks {
			return d.vals[i], true
		}
	}
	return nil, false
}

func (d *dictV) set(k, v val) {
	ks, ok := hashKey(k)
	if ok {
		for i, x := range d.keys {
			if xs, ok := hashKey(x); ok && xs == ks {
				d.vals[i] = v
				return
			}
		}
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// hashKey gives a comparable identity for the hashable Python values we track.
func hashKey(v val) (string, bool) {
	switch x := v.(type) {
	case pyStr:
		return "s:" + string(x), true
	case pyInt:
		return "i:" + strconv.FormatInt(int64(x), 10), true
	case pyBool:
		if x {
			return "i:1", true
		}
		return "i:0", true
	case pyFloat:
		if float64(x) == float64(int64(x)) {
			return "i:" + strconv.FormatInt(int64(x), 10), true
		}
		return "f:" + strconv.FormatFloat(float64(x), 'g', -1, 64), true
	case pyDate:
		return "d:" + qm.Date(x).String(), true
	case noneV:
		return "n:", true
	case codeV:
		return "c:" + x.system + ":" + x.code, true
	case *listV:
		if x.tuple {
			var parts []string
			for _, it := range x.items {
				h, ok := hashKey(it)
				if !ok {
					return "", false
				}
				parts = append(parts, h)
			}
			return "t:(" + strings.Join(parts, ",") + ")", true
		}
	}
	return "", false
}

// moduleV is an imported module: an ehrQL module (by catalogue path), a local helper
// module, a handful of standard modules we model, or an opaque one (everything unknown).
type moduleV struct {
	name    string
	ehrql   string // catalogue path for ehrQL modules
	local   *modState
	attrs   map[string]val
	opaque  bool
	pending string // a dotted package prefix (`import ehrql.tables` then `.tpp`)
}

// funcV is a user function or lambda.
type funcV struct {
	name    string
	def     *python.FunctionDef
	lambda  *python.Lambda
	mod     *modState
	closure *scope
	self    val // bound first argument (methods of user classes are not modelled)
}

// builtinV is a function implemented by the interpreter.
type builtinV struct {
	name string
	doc  string
	fn   func(in *interp, c *callCtx) val
}

// boundV is a method looked up on an object but not called yet.
type boundV struct {
	recv val
	name string
	rng  python.Range
}

// frameV is an ehrQL frame (a table or derived from one).
type frameV struct {
	f      qm.Frame
	table  *schema.EhrQLTable
	class  string         // PatientFrame, EventFrame
	picked bool           // result of first/last_for_patient: helper methods are gone
	extra  map[string]val // attributes a study set on the frame object itself
}

// seriesV is an ehrQL series.
type seriesV struct {
	s qm.Series
}

// codelistV is what codelist_from_csv returns: a list of codes, or a dict of code to
// category when a category column was given. Codes are unknown when the CSV is unreadable.
type codelistV struct {
	path     string
	column   string
	codes    []string
	cats     map[string]string
	category bool
	known    bool
	rng      python.Range
	file     string
}

// codeV is an ehrql.codes object such as SNOMEDCTCode("123").
type codeV struct {
	system string
	code   string
}

// durationV is days(n), weeks(n), months(n) or years(n).
type durationV struct {
	unit string // days, weeks, months, years
	n    val    // pyInt, seriesV or unknown
}

// dateDiffV is the difference of two dates, before .days/.months/.years is taken.
type dateDiffV struct {
	end, start qm.Series
}

// whenV is when(cond) before .then(); whenThenV after it.
type whenV struct {
	cond qm.Series
	rng  python.Range
}

type whenThenV struct {
	branches []qm.Branch
	rng      python.Range
}

// typeV is a Python type used as a value (int, str, datetime.date, a code class), e.g. in
// table_from_file columns or get_parameter(type=...).
type typeV struct {
	name string
	t    qm.Type
}

// classRefV is an ehrQL class used as a value, e.g. query_language.BoolPatientSeries in
// isinstance(x, BoolPatientSeries).
type classRefV struct{ name string }

// eventTableV is an extra event-level output table made by dataset.add_event_table.
type eventTableV struct {
	cols map[string]val
}

// intervalV is INTERVAL (measures).
type intervalV struct{}

// datasetV is a Dataset under construction.
type datasetV struct {
	st *datasetState
}

type datasetState struct {
	ds         *qm.Dataset
	columns    map[string]python.Range // definite assignments
	maybe      map[string]bool         // assigned in a branch we could not decide
	popRange   python.Range
	popDefined bool
	popMaybe   bool
	created    python.Range
	file       string
	// unknownNames is set once a column with a name known only at run time was added.
	unknownNames bool
	// values holds every column's value, including those we could not type.
	values map[string]val
}

// measuresV is a Measures object under construction.
type measuresV struct {
	st *measuresState
}

type measuresState struct {
	m        *qm.Measures
	names    map[string]bool
	defaults map[string]val
}

// userClassV is a user class (other than a table definition); instances are unknown.
type userClassV struct{ name string }

// typeName names a value's type the way Python's messages do.
func typeName(v val) string {
	switch x := v.(type) {
	case noneV:
		return "NoneType"
	case pyBool:
		return "bool"
	case pyInt:
		return "int"
	case pyFloat:
		return "float"
	case pyStr:
		return "str"
	case pyDate:
		return "datetime.date"
	case *listV:
		if x.tuple {
			return "tuple"
		}
		return "list"
	case *setV:
		return "set"
	case *dictV:
		return "dict"
	case *moduleV:
		return "module"
	case *funcV, *builtinV:
		return "function"
	case *boundV:
		return "method"
	case *frameV:
		if x.table != nil {
			return x.table.Name
		}
		return x.class
	case *seriesV:
		return qm.SeriesName(x.s.Type(), x.s.Dim())
	case *codelistV:
		if x.category {
			return "dict"
		}
		return "list"
	case codeV:
		return x.system + "Code"
	case *durationV:
		return x.unit
	case *dateDiffV:
		return "DateDifference"
	case *whenV:
		return "when"
	case *whenThenV:
		return "WhenThen"
	case *datasetV:
		return "Dataset"
	case *measuresV:
		return "Measures"
	case typeV:
		return "type"
	case intervalV:
		return "INTERVAL"
	}
	return fmt.Sprintf("%T", v)
}

// isUnknown reports whether v carries no information.
func isUnknown(v val) bool {
	_, ok := v.(unknownV)
	return ok
}

// truth returns Python truthiness when it can be known.
func truth(v val) (bool, bool) {
	switch x := v.(type) {
	case noneV:
		return false, true
	case pyBool:
		return bool(x), true
	case pyInt:
		return x != 0, true
	case pyFloat:
		return x != 0, true
	case pyStr:
		return x != "", true
	case *listV:
		return len(x.items) > 0, true
	case *dictV:
		return len(x.keys) > 0, true
	case *setV:
		return len(x.items) > 0, true
	case pyDate, *moduleV, *funcV, *builtinV, typeV:
		return true, true
	}
	return false, false
}

// litType returns the ehrQL type of a Python literal value, if it is one.
func litType(v val) (qm.Type, bool) {
	switch x := v.(type) {
	case pyBool:
		return qm.TBool, true
	case pyInt:
		return qm.TInt, true
	case pyFloat:
		return qm.TFloat, true
	case pyStr:
		return qm.TStr, true
	case pyDate:
		return qm.TDate, true
	case codeV:
		return qm.Type{Kind: qm.Code, System: x.system}, true
	}
	return qm.TUnknown, false
}

// pyRepr renders a known Python value as str() would, for f-strings and messages.
func pyStrOf(v val) (string, bool) {
	switch x := v.(type) {
	case pyStr:
		return string(x), true
	case pyInt:
		return strconv.FormatInt(int64(x), 10), true
	case pyFloat:
		f := float64(x)
		if f == float64(int64(f)) && f < 1e16 && f > -1e16 {
			return strconv.FormatFloat(f, 'f', 1, 64), true
		}
		return strconv.FormatFloat(f, 'g', -1, 64), true
	case pyBool:
		if x {
			return "True", true
		}
		return "False", true
	case noneV:
		return "None", true
	case pyDate:
		return qm.Date(x).String(), true
	case codeV:
		return x.code, true
	}
	return "", false
}
