package schema

import "slices"

// EhrQLParam is a parameter of an ehrQL method or function.
//
// Accepts lists the kinds of argument the parameter takes. The vocabulary:
//
//	"same"          a series or literal of the receiver's element type (cast by the receiver's rule:
//	                "YYYY-MM-DD" strings for dates, code strings for codes, int literals for floats)
//	"bool" "int" "float" "str" "date"
//	                a series or literal of that element type ("date" accepts "YYYY-MM-DD" strings and datetime.date)
//	"code"          a code literal (string or code object) of the receiver's coding system
//	"code-prefix"   a code or a valid code prefix of the receiver's multi-code system
//	"series"        any ehrQL series; "patient-series": patient-level only
//	"bool-series"   a boolean series; "patient-bool-series": patient-level only
//	"python-bool"   a Python True/False; "python-int", "python-str", "python-date": literals only
//	"container"     a list, tuple, set, frozenset or dict (its keys) of literals of the receiver's type
//	"event-series"  an event-level series of the receiver's type (its values per patient)
//	"codelist"      a codelist: what codelist_from_csv returns (list, or dict of code to category)
//	"mapping"       a dict from values of the receiver's type to values of one output type
//	"sort-key"      a series of a sortable type (int, float, str, date, code) at event level
//	"duration"      days(n)/weeks(n)/months(n)/years(n); "days-or-weeks": only those two, with an int
//	"interval"      a (start, end) pair of dates, such as INTERVAL
//	"intervals"     a list of (start, end) date pairs, e.g. months(12).starting_on("2020-01-01")
//	"group-by"      a dict from column name to patient-level series
//	"numerator"     a patient-level bool or int series
//	"when-then"     when(condition).then(value)
//	"columns"       a dict from column name to Python type (int, str, datetime.date, a code class, ...)
//	"type"          a Python type (int, float, str, bool, datetime.date, a code class)
//	"any"           anything
type EhrQLParam struct {
	Name        string
	Accepts     []string
	Default     string // the default as Python source ("None", "10"); "" when there is none
	Required    bool   // must be supplied
	KeywordOnly bool   // may only be passed as name=value
	Variadic    bool   // *args: any number of positional arguments
	Keywords    bool   // **kwargs: any number of keyword arguments
	Doc         string
}

// EhrQLMethod is a method, property or operator of an ehrQL class, or a
// table-specific helper.
//
// Result is the rule for the type of the result:
//
//	"same"          the receiver's type (same element type and dimension rule below)
//	"bool" "int" "float" "str" "date"
//	                a series of that element type
//	"mapping"       a series of the element type of the mapping's values (str for categorised codelists)
//	"frame"         a frame of the receiver's class (same table, same helpers)
//	"sorted-frame"  the receiver's frame, sorted (gains first_for_patient/last_for_patient)
//	"patient-frame" a PatientFrame with the receiver's columns (and helper properties)
//	"DateDifference", "Duration", "Dataset", "Measures", "EventTable", "when", "WhenThen"
//	                an object of that class ("Duration": same unit as the receiver)
//	"date-or-difference" a DateDifference when the other operand is a date, a date series when it is a Duration
//	"date-or-duration"   a date (series) when the other operand is a date, a Duration when it is a Duration
//	"then-value"    the common type of the case values (WhenThen.otherwise)
//	"intervals"     a list of (start, end) date pairs
//	"python-bool" "python-str"  a plain Python value
//	"none"          nothing (a statement, e.g. define_population)
//
// Dim is the rule for the result's dimension:
//
//	"receiver"  the receiver's dimension
//	"max"       event if the receiver or any series argument is event-level, else patient
//	"patient"   always patient-level (aggregations)
//	""          not a series
type EhrQLMethod struct {
	Name      string // Python name; operators use the dunder name, e.g. "__add__"
	Class     string // the ehrQL class (or table) that defines it, e.g. "DateFunctions", "EventFrame", "patients"
	Kind      string // "method", "property" or "operator"
	Operator  string // for operators: the Python operator, e.g. "+", "==", "~", "abs"
	Reflected bool   // the operator is the reflected form (x + series calls series.__radd__)
	Params    []EhrQLParam
	Result    string
	Dim       string
	Doc       string // one or two lines, markdown
	Since     string // first version that has it ("" = all)
	Until     string // last version that has it ("" = still present)
	Hidden    bool   // internal or undocumented: resolves, but not offered in completion
	AliasOf   string // an older name for another method
	// Error, when set, is what ehrQL raises whenever the method is used:
	// the name exists only to give a better message (abs() on a series, ==
	// on a multi-code string).
	Error string
}

// In reports whether the method exists in version.
func (m EhrQLMethod) In(version string) bool { return inEhrQLVersion(version, m.Since, m.Until) }

// Signature renders the method for signature help, e.g.
// "is_on_or_between(start, end)".
func (m EhrQLMethod) Signature() string { return eqSignature(m.Name, m.Params) }

func eqSignature(name string, params []EhrQLParam) string {
	s := name + "("
	star := false
	for i, p := range params {
		if i > 0 {
			s += ", "
		}
		switch {
		case p.Variadic:
			s += "*"
			star = true
		case p.Keywords:
			s += "**"
		case p.KeywordOnly && !star:
			s += "*, "
			star = true
		}
		s += p.Name
		if p.Default != "" {
			s += "=" + p.Default
		}
	}
	return s + ")"
}

// eqClassBases gives, for each class, its ancestors in Python's method
// resolution order (the class itself first). Abstract classes (the *Functions
// and *Aggregations mixins, BaseSeries, BaseFrame) are ehrQL's own names.
var eqClassBases = map[string][]string{
	"BaseSeries":    {"BaseSeries"},
	"PatientSeries": {"PatientSeries", "BaseSeries"},
	"EventSeries":   {"EventSeries", "BaseSeries"},

	"BoolPatientSeries": {"BoolPatientSeries", "BoolFunctions", "PatientSeries", "BaseSeries"},
	"BoolEventSeries":   {"BoolEventSeries", "BoolFunctions", "EventSeries", "BaseSeries"},

	"StrPatientSeries": {"StrPatientSeries", "StrFunctions", "ComparableFunctions", "PatientSeries", "BaseSeries"},
	"StrEventSeries":   {"StrEventSeries", "StrFunctions", "ComparableFunctions", "StrAggregations", "ComparableAggregations", "EventSeries", "BaseSeries"},

	"IntPatientSeries":   {"IntPatientSeries", "IntFunctions", "NumericFunctions", "ComparableFunctions", "PatientSeries", "BaseSeries"},
	"IntEventSeries":     {"IntEventSeries", "IntFunctions", "NumericFunctions", "ComparableFunctions", "NumericAggregations", "ComparableAggregations", "EventSeries", "BaseSeries"},
	"FloatPatientSeries": {"FloatPatientSeries", "FloatFunctions", "NumericFunctions", "ComparableFunctions", "PatientSeries", "BaseSeries"},
	"FloatEventSeries":   {"FloatEventSeries", "FloatFunctions", "NumericFunctions", "ComparableFunctions", "NumericAggregations", "ComparableAggregations", "EventSeries", "BaseSeries"},

	"DatePatientSeries": {"DatePatientSeries", "DateFunctions", "ComparableFunctions", "PatientSeries", "BaseSeries"},
	"DateEventSeries":   {"DateEventSeries", "DateFunctions", "ComparableFunctions", "DateAggregations", "ComparableAggregations", "EventSeries", "BaseSeries"},

	"CodePatientSeries": {"CodePatientSeries", "CodeFunctions", "PatientSeries", "BaseSeries"},
	"CodeEventSeries":   {"CodeEventSeries", "CodeFunctions", "EventSeries", "BaseSeries"},

	"MultiCodeStringPatientSeries": {"MultiCodeStringPatientSeries", "MultiCodeStringFunctions", "PatientSeries", "BaseSeries"},
	"MultiCodeStringEventSeries":   {"MultiCodeStringEventSeries", "MultiCodeStringFunctions", "EventSeries", "BaseSeries"},

	"BoolFunctions":            {"BoolFunctions"},
	"ComparableFunctions":      {"ComparableFunctions"},
	"ComparableAggregations":   {"ComparableAggregations"},
	"StrFunctions":             {"StrFunctions", "ComparableFunctions"},
	"StrAggregations":          {"StrAggregations", "ComparableAggregations"},
	"NumericFunctions":         {"NumericFunctions", "ComparableFunctions"},
	"NumericAggregations":      {"NumericAggregations", "ComparableAggregations"},
	"IntFunctions":             {"IntFunctions", "NumericFunctions", "ComparableFunctions"},
	"FloatFunctions":           {"FloatFunctions", "NumericFunctions", "ComparableFunctions"},
	"DateFunctions":            {"DateFunctions", "ComparableFunctions"},
	"DateAggregations":         {"DateAggregations", "ComparableAggregations"},
	"CodeFunctions":            {"CodeFunctions"},
	"MultiCodeStringFunctions": {"MultiCodeStringFunctions"},

	"BaseFrame":        {"BaseFrame"},
	"PatientFrame":     {"PatientFrame", "BaseFrame"},
	"EventFrame":       {"EventFrame", "BaseFrame"},
	"SortedEventFrame": {"SortedEventFrame", "EventFrame", "BaseFrame"},

	"Dataset":        {"Dataset"},
	"EventTable":     {"EventTable"},
	"Measures":       {"Measures"},
	"DateDifference": {"DateDifference"},
	"Duration":       {"Duration"},
	"days":           {"days", "Duration"},
	"weeks":          {"weeks", "Duration"},
	"months":         {"months", "Duration"},
	"years":          {"years", "Duration"},
	"when":           {"when"},
	"WhenThen":       {"WhenThen"},
	"INTERVAL":       {"INTERVAL"},
	"BaseCode":       {"BaseCode"},
}

// eqClassSince records classes that do not exist in every version.
var eqClassSince = map[string]string{
	"MultiCodeStringPatientSeries": EhrQLV1,
	"MultiCodeStringEventSeries":   EhrQLV1,
	"MultiCodeStringFunctions":     EhrQLV1,
	"IntFunctions":                 EhrQLV1,
	"EventTable":                   EhrQLV1,
}

func init() {
	for _, c := range []string{"SNOMEDCTCode", "CTV3Code", "ICD10Code", "OPCS4Code", "DMDCode", "BNFCode"} {
		eqClassBases[c] = []string{c, "BaseCode"}
	}
}

// EhrQLClassAncestors returns class followed by its ancestors in method
// resolution order, or nil when version has no such class. Besides ehrQL's
// own class names it knows "SortedEventFrame" (a sorted event frame) and the
// code classes ("SNOMEDCTCode", ...).
func EhrQLClassAncestors(version, class string) []string {
	bases, ok := eqClassBases[class]
	if !ok || !inEhrQLVersion(version, eqClassSince[class], "") {
		return nil
	}
	var out []string
	for _, b := range bases {
		if inEhrQLVersion(version, eqClassSince[b], "") {
			out = append(out, b)
		}
	}
	return out
}

// EhrQLClasses returns the names of all classes known to version, sorted.
func EhrQLClasses(version string) []string {
	var out []string
	for c := range eqClassBases {
		if inEhrQLVersion(version, eqClassSince[c], "") {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// EhrQLMethods returns the methods, properties and operators available on
// class in version, inherited ones included, nearest class first. A name
// defined on a class hides the same name on its ancestors.
func EhrQLMethods(version, class string) []EhrQLMethod {
	var out []EhrQLMethod
	seen := map[string]bool{}
	for _, c := range EhrQLClassAncestors(version, class) {
		for _, m := range eqMethods {
			if m.Class != c || seen[m.Name] || !m.In(version) {
				continue
			}
			seen[m.Name] = true
			out = append(out, m)
		}
	}
	return out
}

// LookupEhrQLMethod finds name on class in version, searching ancestors as
// Python does: a DateEventSeries has all series methods, the comparison
// operators, the date functions and the date aggregations.
func LookupEhrQLMethod(version, class, name string) (EhrQLMethod, bool) {
	for _, c := range EhrQLClassAncestors(version, class) {
		for _, m := range eqMethods {
			if m.Class == c && m.Name == name && m.In(version) {
				return m, true
			}
		}
	}
	return EhrQLMethod{}, false
}

// EhrQLMethodNames returns every method, property and operator name
// defined on any class in version (tables' helpers not included), sorted.
func EhrQLMethodNames(version string) []string {
	var out []string
	for _, m := range eqMethods {
		if m.In(version) && !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Parameter shorthands for the catalogue below.
func eqArg(name string, accepts ...string) EhrQLParam {
	return EhrQLParam{Name: name, Accepts: accepts, Required: true}
}

func eqOpt(name, def string, accepts ...string) EhrQLParam {
	return EhrQLParam{Name: name, Accepts: accepts, Default: def}
}

func eqKw(name, def string, accepts ...string) EhrQLParam {
	return EhrQLParam{Name: name, Accepts: accepts, Default: def, KeywordOnly: true}
}

func eqOp(class, name, op string, reflected bool, result, doc string, accepts ...string) EhrQLMethod {
	m := EhrQLMethod{Name: name, Class: class, Kind: "operator", Operator: op, Reflected: reflected, Result: result, Dim: "max", Doc: doc}
	if len(accepts) > 0 {
		m.Params = []EhrQLParam{eqArg("other", accepts...)}
	} else {
		m.Dim = "receiver"
	}
	return m
}

const (
	eqDocConfigureDummy = "Configures dummy data generation: `population_size` patients (default 10), `timeout` seconds (default 60), " +
		"`legacy=True` for the old generator, and an `additional_population_constraint` (a patient-level bool series) to shape the patients generated."
	eqDocIsIn      = "True where the value is one of the given values (a list, set, tuple, dict or codelist, or the patient's values of an event series). An empty container gives False."
	eqDocWhenNull  = "Replaces NULL with the given value of the same type."
	eqDocMultiCode = "Multi-code strings cannot be compared with `==`, `!=` or `is_in`; use `contains` or `contains_any_of`."
)

// eqMethods is the catalogue of class members. Table helpers are in
// ehrql_helpers.go.
var eqMethods = []EhrQLMethod{
	// All series.
	eqOp("BaseSeries", "__eq__", "==", false, "bool", "True where the values are equal; NULL if either is NULL.", "same"),
	eqOp("BaseSeries", "__ne__", "!=", false, "bool", "True where the values differ; NULL if either is NULL.", "same"),
	{Name: "is_null", Class: "BaseSeries", Kind: "method", Result: "bool", Dim: "receiver", Doc: "True where the value is NULL (never NULL itself)."},
	{Name: "is_not_null", Class: "BaseSeries", Kind: "method", Result: "bool", Dim: "receiver", Doc: "True where the value is not NULL (never NULL itself)."},
	{Name: "when_null_then", Class: "BaseSeries", Kind: "method", Params: []EhrQLParam{eqArg("other", "same")}, Result: "same", Dim: "max", Doc: eqDocWhenNull},
	{Name: "if_null_then", Class: "BaseSeries", Kind: "method", Params: []EhrQLParam{eqArg("other", "same")}, Result: "same", Dim: "max", Doc: eqDocWhenNull + " Old name of `when_null_then`, removed in ehrQL v1.", Until: EhrQLV0, AliasOf: "when_null_then"},
	{Name: "is_in", Class: "BaseSeries", Kind: "method", Params: []EhrQLParam{eqArg("other", "container", "codelist", "event-series")}, Result: "bool", Dim: "receiver", Doc: eqDocIsIn},
	{Name: "is_not_in", Class: "BaseSeries", Kind: "method", Params: []EhrQLParam{eqArg("other", "container", "codelist", "event-series")}, Result: "bool", Dim: "receiver", Doc: "The negation of `is_in`: True where the value is none of the given values (an empty container gives True)."},
	{Name: "map_values", Class: "BaseSeries", Kind: "method", Params: []EhrQLParam{eqArg("mapping", "mapping"), eqOpt("default", "None", "any")}, Result: "mapping", Dim: "receiver", Doc: "Maps each value through a dict; values not in the dict give `default` (NULL unless given)."},

	// Event-level series.
	{Name: "count_distinct_for_patient", Class: "EventSeries", Kind: "method", Result: "int", Dim: "patient", Doc: "Number of distinct non-NULL values per patient (0 when there are none)."},

	// Bool series.
	eqOp("BoolFunctions", "__and__", "&", false, "bool", "Logical AND (three-valued: False & NULL is False).", "bool"),
	withSince(eqOp("BoolFunctions", "__rand__", "&", true, "bool", "Logical AND with a Python bool on the left.", "bool"), EhrQLV1),
	eqOp("BoolFunctions", "__or__", "|", false, "bool", "Logical OR (three-valued: True | NULL is True).", "bool"),
	withSince(eqOp("BoolFunctions", "__ror__", "|", true, "bool", "Logical OR with a Python bool on the left.", "bool"), EhrQLV1),
	eqOp("BoolFunctions", "__invert__", "~", false, "bool", "Logical NOT; NULL stays NULL."),
	{Name: "as_int", Class: "BoolFunctions", Kind: "method", Result: "int", Dim: "receiver", Doc: "1 for True, 0 for False, NULL for NULL.", Since: EhrQLV1},

	// Comparable series (int, float, str, date).
	eqOp("ComparableFunctions", "__lt__", "<", false, "bool", "True where the value is less than the other; NULL if either is NULL.", "same"),
	eqOp("ComparableFunctions", "__le__", "<=", false, "bool", "True where the value is less than or equal to the other.", "same"),
	eqOp("ComparableFunctions", "__gt__", ">", false, "bool", "True where the value is greater than the other.", "same"),
	eqOp("ComparableFunctions", "__ge__", ">=", false, "bool", "True where the value is greater than or equal to the other.", "same"),
	{Name: "minimum_for_patient", Class: "ComparableAggregations", Kind: "method", Result: "same", Dim: "patient", Doc: "Smallest non-NULL value per patient (NULL when there is none)."},
	{Name: "maximum_for_patient", Class: "ComparableAggregations", Kind: "method", Result: "same", Dim: "patient", Doc: "Largest non-NULL value per patient (NULL when there is none)."},

	// Str series.
	{Name: "contains", Class: "StrFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "str")}, Result: "bool", Dim: "max", Doc: "True where the string contains the other string."},

	// Numeric series.
	eqOp("NumericFunctions", "__add__", "+", false, "same", "Addition; both sides must be int or both float (an int literal is fine with a float series).", "same"),
	eqOp("NumericFunctions", "__radd__", "+", true, "same", "Addition with a number on the left.", "same"),
	eqOp("NumericFunctions", "__sub__", "-", false, "same", "Subtraction.", "same"),
	eqOp("NumericFunctions", "__rsub__", "-", true, "same", "Subtraction from a number on the left.", "same"),
	eqOp("NumericFunctions", "__mul__", "*", false, "same", "Multiplication.", "same"),
	eqOp("NumericFunctions", "__rmul__", "*", true, "same", "Multiplication with a number on the left.", "same"),
	eqOp("NumericFunctions", "__truediv__", "/", false, "float", "Division, always float; dividing by zero gives NULL.", "int", "float"),
	eqOp("NumericFunctions", "__rtruediv__", "/", true, "float", "Division of a number by the series, always float.", "int", "float"),
	eqOp("NumericFunctions", "__floordiv__", "//", false, "int", "Floor division (rounds towards minus infinity), always int; by zero gives NULL.", "int", "float"),
	eqOp("NumericFunctions", "__rfloordiv__", "//", true, "int", "Floor division of a number by the series.", "int", "float"),
	withSince(eqOp("NumericFunctions", "__pow__", "**", false, "float", "Raises to a power; float result.", "int", "float"), EhrQLV1),
	withSince(eqOp("NumericFunctions", "__rpow__", "**", true, "float", "Raises a number to the power of the series.", "int", "float"), EhrQLV1),
	eqOp("NumericFunctions", "__neg__", "-", false, "same", "Negation."),
	{Name: "absolute", Class: "NumericFunctions", Kind: "method", Result: "same", Dim: "receiver", Doc: "Absolute value.", Since: EhrQLV1},
	{Name: "__abs__", Class: "NumericFunctions", Kind: "operator", Operator: "abs", Result: "same", Dim: "receiver", Doc: "Python's abs() is not supported on series.", Since: EhrQLV1, Error: "Instead of `abs(x)` use `x.absolute()`"},
	{Name: "as_int", Class: "NumericFunctions", Kind: "method", Result: "int", Dim: "receiver", Doc: "Converts to int, truncating towards zero."},
	{Name: "as_float", Class: "NumericFunctions", Kind: "method", Result: "float", Dim: "receiver", Doc: "Converts to float."},
	{Name: "sum_for_patient", Class: "NumericAggregations", Kind: "method", Result: "same", Dim: "patient", Doc: "Sum of the non-NULL values per patient (NULL, not 0, when there are none)."},
	{Name: "mean_for_patient", Class: "NumericAggregations", Kind: "method", Result: "float", Dim: "patient", Doc: "Mean of the non-NULL values per patient (NULL when there are none)."},

	// Date series.
	{Name: "year", Class: "DateFunctions", Kind: "property", Result: "int", Dim: "receiver", Doc: "The year of the date."},
	{Name: "month", Class: "DateFunctions", Kind: "property", Result: "int", Dim: "receiver", Doc: "The month of the date (1–12)."},
	{Name: "day", Class: "DateFunctions", Kind: "property", Result: "int", Dim: "receiver", Doc: "The day of the month (1–31)."},
	{Name: "to_first_of_year", Class: "DateFunctions", Kind: "method", Result: "same", Dim: "receiver", Doc: "The 1st of January of the date's year."},
	{Name: "to_first_of_month", Class: "DateFunctions", Kind: "method", Result: "same", Dim: "receiver", Doc: "The 1st of the date's month."},
	{Name: "is_before", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "date")}, Result: "bool", Dim: "max", Doc: "True where the date is strictly before the other (same as `<`)."},
	{Name: "is_on_or_before", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "date")}, Result: "bool", Dim: "max", Doc: "True where the date is on or before the other (same as `<=`)."},
	{Name: "is_after", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "date")}, Result: "bool", Dim: "max", Doc: "True where the date is strictly after the other (same as `>`)."},
	{Name: "is_on_or_after", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "date")}, Result: "bool", Dim: "max", Doc: "True where the date is on or after the other (same as `>=`)."},
	{Name: "is_between_but_not_on", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("start", "date"), eqArg("end", "date")}, Result: "bool", Dim: "max", Doc: "True where start < date < end (both ends excluded)."},
	{Name: "is_on_or_between", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("start", "date"), eqArg("end", "date")}, Result: "bool", Dim: "max", Doc: "True where start <= date <= end (both ends included)."},
	{Name: "is_during", Class: "DateFunctions", Kind: "method", Params: []EhrQLParam{eqArg("interval", "interval")}, Result: "bool", Dim: "max", Doc: "True where the date lies in a (start, end) pair, ends included; typically `INTERVAL` in measures."},
	eqOp("DateFunctions", "__sub__", "-", false, "date-or-difference", "Date minus a date gives a DateDifference (use `.days`, `.months`, `.years`); date minus a duration gives a date.", "date", "duration"),
	eqOp("DateFunctions", "__rsub__", "-", true, "date-or-difference", "A date literal minus the date series gives a DateDifference.", "date"),
	{Name: "count_episodes_for_patient", Class: "DateAggregations", Kind: "method", Params: []EhrQLParam{eqArg("maximum_gap", "days-or-weeks")}, Result: "int", Dim: "patient", Doc: "Number of episodes per patient, where dates more than `maximum_gap` apart start a new episode."},

	// Code series.
	{Name: "to_category", Class: "CodeFunctions", Kind: "method", Params: []EhrQLParam{eqArg("categorisation", "codelist", "mapping"), eqOpt("default", "None", "any")}, Result: "mapping", Dim: "receiver", Doc: "Maps each code to its category using a categorised codelist (a dict); other codes give `default`."},

	// Multi-code strings.
	{Name: "__eq__", Class: "MultiCodeStringFunctions", Kind: "operator", Operator: "==", Params: []EhrQLParam{eqArg("other", "any")}, Result: "bool", Dim: "max", Doc: eqDocMultiCode, Error: "use `contains` or `contains_any_of` instead of `==` on a multi-code string"},
	{Name: "__ne__", Class: "MultiCodeStringFunctions", Kind: "operator", Operator: "!=", Params: []EhrQLParam{eqArg("other", "any")}, Result: "bool", Dim: "max", Doc: eqDocMultiCode, Error: "use `contains` or `contains_any_of` instead of `!=` on a multi-code string"},
	{Name: "is_in", Class: "MultiCodeStringFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "any")}, Result: "bool", Dim: "receiver", Doc: eqDocMultiCode, Error: "use `contains_any_of` instead of `is_in` on a multi-code string"},
	{Name: "is_not_in", Class: "MultiCodeStringFunctions", Kind: "method", Params: []EhrQLParam{eqArg("other", "any")}, Result: "bool", Dim: "receiver", Doc: eqDocMultiCode, Error: "use `~x.contains_any_of(...)` instead of `is_not_in` on a multi-code string"},
	{Name: "contains", Class: "MultiCodeStringFunctions", Kind: "method", Params: []EhrQLParam{eqArg("code", "code-prefix")}, Result: "bool", Dim: "max", Doc: "True where any of the codes starts with the given code or code prefix (e.g. `\"N17\"`)."},
	{Name: "contains_any_of", Class: "MultiCodeStringFunctions", Kind: "method", Params: []EhrQLParam{eqArg("codelist", "codelist", "container")}, Result: "bool", Dim: "receiver", Doc: "True where `contains` holds for any code or prefix in the codelist."},

	// Frames.
	{Name: "exists_for_patient", Class: "BaseFrame", Kind: "method", Result: "bool", Dim: "patient", Doc: "True if the patient has at least one row (never NULL)."},
	{Name: "count_for_patient", Class: "BaseFrame", Kind: "method", Result: "int", Dim: "patient", Doc: "Number of rows per patient (0 when none)."},
	{Name: "where", Class: "EventFrame", Kind: "method", Params: []EhrQLParam{eqArg("condition", "bool-series", "python-bool")}, Result: "frame", Dim: "receiver", Doc: "Keeps the rows where the condition is True (rows where it is NULL are dropped)."},
	{Name: "except_where", Class: "EventFrame", Kind: "method", Params: []EhrQLParam{eqArg("condition", "bool-series", "python-bool")}, Result: "frame", Dim: "receiver", Doc: "Drops the rows where the condition is True (rows where it is NULL are kept)."},
	{Name: "sort_by", Class: "EventFrame", Kind: "method", Params: []EhrQLParam{{Name: "sort_values", Accepts: []string{"sort-key"}, Required: true, Variadic: true}}, Result: "sorted-frame", Dim: "receiver", Doc: "Sorts each patient's rows by one or more columns, first key first; NULLs sort first. Needed before `first_for_patient`/`last_for_patient`."},
	{Name: "first_for_patient", Class: "SortedEventFrame", Kind: "method", Result: "patient-frame", Dim: "patient", Doc: "The first row per patient in sort order, as a patient-level frame."},
	{Name: "last_for_patient", Class: "SortedEventFrame", Kind: "method", Result: "patient-frame", Dim: "patient", Doc: "The last row per patient in sort order, as a patient-level frame."},

	// Dataset.
	{Name: "define_population", Class: "Dataset", Kind: "method", Params: []EhrQLParam{eqArg("population_condition", "patient-bool-series")}, Result: "none", Doc: "Sets the patients to include: those for whom the condition is True. Call exactly once."},
	{Name: "add_column", Class: "Dataset", Kind: "method", Params: []EhrQLParam{eqArg("column_name", "python-str"), eqArg("ehrql_query", "patient-series")}, Result: "none", Doc: "Adds a column; the same as `dataset.<column_name> = ehrql_query`, for names computed at run time."},
	{Name: "configure_dummy_data", Class: "Dataset", Kind: "method", Params: []EhrQLParam{eqKw("population_size", "10", "python-int"), eqKw("legacy", "False", "python-bool"), eqKw("timeout", "60", "python-int"), eqKw("additional_population_constraint", "None", "patient-bool-series")}, Result: "none", Doc: eqDocConfigureDummy, Since: EhrQLV1},
	{Name: "configure_dummy_data", Class: "Dataset", Kind: "method", Params: []EhrQLParam{{Name: "population_size", Accepts: []string{"python-int"}, Required: true, KeywordOnly: true}}, Result: "none", Doc: "Sets how many patients of dummy data to generate (the default is 500).", Until: EhrQLV0},
	{Name: "configure_dummy_dataset", Class: "Dataset", Kind: "method", Params: []EhrQLParam{{Name: "kwargs", Accepts: []string{"any"}, Keywords: true}}, Result: "none", Doc: "Old name of `configure_dummy_data`, removed in ehrQL v1.", Until: EhrQLV0, AliasOf: "configure_dummy_data"},
	{Name: "add_event_table", Class: "Dataset", Kind: "method", Params: []EhrQLParam{eqArg("name", "python-str"), {Name: "event_series", Accepts: []string{"series"}, Keywords: true}}, Result: "EventTable", Doc: "Adds an extra event-level output table whose columns are event series from one frame (internal; needs the `event_level_data` permission and a `dir/:ext` output).", Since: EhrQLV1, Hidden: true},
	{Name: "add_column", Class: "EventTable", Kind: "method", Params: []EhrQLParam{eqArg("name", "python-str"), eqArg("value", "series")}, Result: "none", Doc: "Adds a column to an event table.", Since: EhrQLV1, Hidden: true},

	// Measures.
	{Name: "define_measure", Class: "Measures", Kind: "method", Params: []EhrQLParam{eqArg("name", "python-str"), eqOpt("numerator", "None", "numerator"), eqOpt("denominator", "None", "numerator"), eqOpt("group_by", "None", "group-by"), eqOpt("intervals", "None", "intervals")}, Result: "none", Doc: "Adds a measure: the ratio of numerator to denominator per interval and group. Arguments left out come from `define_defaults`."},
	{Name: "define_defaults", Class: "Measures", Kind: "method", Params: []EhrQLParam{eqOpt("numerator", "None", "numerator"), eqOpt("denominator", "None", "numerator"), eqOpt("group_by", "None", "group-by"), eqOpt("intervals", "None", "intervals")}, Result: "none", Doc: "Sets default arguments for later `define_measure` calls (call at most once)."},
	{Name: "configure_dummy_data", Class: "Measures", Kind: "method", Params: []EhrQLParam{eqKw("population_size", "10", "python-int"), eqKw("legacy", "False", "python-bool"), eqKw("timeout", "60", "python-int"), eqKw("additional_population_constraint", "None", "patient-bool-series")}, Result: "none", Doc: eqDocConfigureDummy, Since: EhrQLV1},
	{Name: "configure_dummy_data", Class: "Measures", Kind: "method", Params: []EhrQLParam{{Name: "population_size", Accepts: []string{"python-int"}, Required: true, KeywordOnly: true}}, Result: "none", Doc: "Sets how many patients of dummy data to generate.", Until: EhrQLV0},
	{Name: "configure_disclosure_control", Class: "Measures", Kind: "method", Params: []EhrQLParam{eqKw("enabled", "True", "python-bool")}, Result: "none", Doc: "Turns small-number suppression and rounding of measure results on (default) or off."},

	// Date differences and durations.
	{Name: "days", Class: "DateDifference", Kind: "property", Result: "int", Dim: "receiver", Doc: "The difference in whole days."},
	{Name: "weeks", Class: "DateDifference", Kind: "property", Result: "int", Dim: "receiver", Doc: "The difference in whole weeks (days floor-divided by 7)."},
	{Name: "months", Class: "DateDifference", Kind: "property", Result: "int", Dim: "receiver", Doc: "The difference in whole calendar months."},
	{Name: "years", Class: "DateDifference", Kind: "property", Result: "int", Dim: "receiver", Doc: "The difference in whole years (e.g. an age)."},
	eqOp("Duration", "__add__", "+", false, "date-or-duration", "Adds to a date (giving a date) or to a duration of the same unit.", "date", "duration"),
	eqOp("Duration", "__radd__", "+", true, "date-or-duration", "A date plus a duration gives a date.", "date", "duration"),
	eqOp("Duration", "__sub__", "-", false, "Duration", "Subtracts a duration of the same unit.", "duration"),
	eqOp("Duration", "__rsub__", "-", true, "date-or-duration", "A date minus a duration gives a date.", "date", "duration"),
	eqOp("Duration", "__neg__", "-", false, "Duration", "The same duration, negated."),
	{Name: "__eq__", Class: "Duration", Kind: "operator", Operator: "==", Params: []EhrQLParam{eqArg("other", "duration")}, Result: "python-bool", Doc: "Durations are equal only with the same unit and value (`weeks(1) != days(7)`)."},
	{Name: "__ne__", Class: "Duration", Kind: "operator", Operator: "!=", Params: []EhrQLParam{eqArg("other", "duration")}, Result: "python-bool", Doc: "The negation of `==`."},
	{Name: "starting_on", Class: "Duration", Kind: "method", Params: []EhrQLParam{eqArg("date", "python-date")}, Result: "intervals", Doc: "`value` consecutive one-unit intervals starting on the date, e.g. `months(12).starting_on(\"2020-01-01\")`."},
	{Name: "ending_on", Class: "Duration", Kind: "method", Params: []EhrQLParam{eqArg("date", "python-date")}, Result: "intervals", Doc: "`value` consecutive one-unit intervals, the last ending on the date."},

	// case/when.
	{Name: "then", Class: "when", Kind: "method", Params: []EhrQLParam{eqArg("value", "any")}, Result: "WhenThen", Doc: "The value to use when the condition is True."},
	{Name: "otherwise", Class: "WhenThen", Kind: "method", Params: []EhrQLParam{eqArg("value", "any")}, Result: "then-value", Dim: "max", Doc: "Completes a one-branch `when(c).then(v).otherwise(w)` expression (`otherwise(None)` allowed)."},

	// INTERVAL.
	{Name: "start_date", Class: "INTERVAL", Kind: "property", Result: "date", Dim: "patient", Doc: "The first day of the measures interval being calculated."},
	{Name: "end_date", Class: "INTERVAL", Kind: "property", Result: "date", Dim: "patient", Doc: "The last day of the measures interval being calculated."},

	// Code objects.
	{Name: "value", Class: "BaseCode", Kind: "property", Result: "python-str", Doc: "The code as a string."},
	{Name: "_to_primitive_type", Class: "BaseCode", Kind: "method", Result: "python-str", Doc: "The code as a plain string (internal).", Hidden: true},
}

func withSince(m EhrQLMethod, since string) EhrQLMethod {
	m.Since = since
	return m
}
