package schema

import "slices"

// EhrQLFunction is a module-level name of ehrQL other than a table: a
// function, a class, a value or an exception.
//
// Result follows the vocabulary of [EhrQLMethod], plus:
//
//	"codelist"      a list of codes, or a dict of code to category when category_column is given
//	"case-value"    the common type of the then-values and otherwise (None allowed)
//	"common"        the common element type of the arguments (maximum_of, minimum_of)
//	"parameter"     a Python value of the `type` argument (str by default), or a list of them
//	"table-from-file" a PatientFrame with the given columns (a decorator when columns is left out)
//	"decorator"     a class decorator that turns a PatientFrame/EventFrame subclass into a table
//	"code"          a code object of the class's system; "multicode" likewise
//	"Duration", "Dataset", "Measures", "INTERVAL", "when", "class", "exception", "none"
type EhrQLFunction struct {
	Name   string
	Module string // the module that defines it, e.g. "ehrql", "ehrql.codes", "ehrql.query_language"
	Kind   string // "function", "class", "value" or "exception"
	Params []EhrQLParam
	Result string
	Dim    string // as for EhrQLMethod: "max" for case, maximum_of, ...; "" otherwise
	Doc    string
	Since  string
	Until  string
	Hidden bool // internal API: resolves, but completion should not offer it
}

// In reports whether the function exists in version.
func (f EhrQLFunction) In(version string) bool { return inEhrQLVersion(version, f.Since, f.Until) }

// Signature renders the function for signature help, e.g.
// "codelist_from_csv(filename, *, column, category_column=None)".
func (f EhrQLFunction) Signature() string {
	if f.Kind == "value" || f.Kind == "exception" {
		return f.Name
	}
	return eqSignature(f.Name, f.Params)
}

// EhrQLFunctions returns the functions, classes and values importable from
// module in version, in the module's order: its exports, then its internal
// names (marked Hidden). Names the catalogue has no record for (private
// helpers of ehrql.query_language, say) are left out; use
// [EhrQLModule.Has] to test importability.
func EhrQLFunctions(version, module string) []EhrQLFunction {
	m, ok := LookupEhrQLModule(version, module)
	if !ok {
		return nil
	}
	var out []EhrQLFunction
	for _, names := range [][]string{m.Exports, m.Internal} {
		for _, n := range names {
			f, ok := eqFunctionRecord(version, n)
			if !ok {
				continue
			}
			if slices.Contains(m.Internal, n) {
				f.Hidden = true
			}
			out = append(out, f)
		}
	}
	return out
}

// LookupEhrQLFunction finds name as imported from module in version.
func LookupEhrQLFunction(version, module, name string) (EhrQLFunction, bool) {
	m, ok := LookupEhrQLModule(version, module)
	if !ok || !(slices.Contains(m.Exports, name) || slices.Contains(m.Internal, name)) {
		return EhrQLFunction{}, false
	}
	f, ok := eqFunctionRecord(version, name)
	if ok && slices.Contains(m.Internal, name) {
		f.Hidden = true
	}
	return f, ok
}

func eqFunctionRecord(version, name string) (EhrQLFunction, bool) {
	for _, f := range eqFunctions {
		if f.Name == name && f.In(version) {
			return f, true
		}
	}
	return EhrQLFunction{}, false
}

func eqDuration(name, unit string) EhrQLFunction {
	return EhrQLFunction{Name: name, Module: "ehrql", Kind: "class", Params: []EhrQLParam{eqArg("value", "int")}, Result: "Duration",
		Doc: "A duration of `value` " + unit + " (an int or int series): add it to or subtract it from dates, or make measures intervals with `.starting_on()`/`.ending_on()`."}
}

func eqCodeClass(class, what string, since string) EhrQLFunction {
	return EhrQLFunction{Name: class, Module: "ehrql.codes", Kind: "class", Params: []EhrQLParam{eqArg("value", "python-str")}, Result: "code",
		Doc: "A " + what + " code; the string must be a valid code of the system.", Since: since}
}

var eqFunctions = []EhrQLFunction{
	{Name: "create_dataset", Module: "ehrql", Kind: "function", Result: "Dataset", Doc: "Creates the dataset; a dataset definition must assign it to a variable called `dataset`."},
	{Name: "Dataset", Module: "ehrql", Kind: "class", Result: "Dataset", Doc: "The dataset class; `Dataset()` is the same as `create_dataset()`."},
	{Name: "codelist_from_csv", Module: "ehrql.codes", Kind: "function",
		Params: []EhrQLParam{eqArg("filename", "python-str"), {Name: "column", Accepts: []string{"python-str"}, Required: true, KeywordOnly: true}, eqKw("category_column", "None", "python-str")},
		Result: "codelist", Doc: "Reads the codes in `column` of a CSV file (path relative to the repository root); with `category_column`, a dict from code to category."},
	{Name: "case", Module: "ehrql", Kind: "function", Params: []EhrQLParam{{Name: "when_thens", Accepts: []string{"when-then"}, Required: true, Variadic: true}, eqKw("otherwise", "None", "any")},
		Result: "case-value", Dim: "max", Doc: "The value of the first `when(...).then(...)` whose condition is True, else `otherwise` (NULL by default).", Since: EhrQLV1},
	{Name: "case", Module: "ehrql", Kind: "function", Params: []EhrQLParam{{Name: "when_thens", Accepts: []string{"when-then"}, Required: true, Variadic: true}, eqKw("otherwise", "None", "any"), eqKw("default", "None", "any")},
		Result: "case-value", Dim: "max", Doc: "The value of the first `when(...).then(...)` whose condition is True, else `otherwise` (`default` is an older name for it).", Until: EhrQLV0},
	{Name: "when", Module: "ehrql", Kind: "class", Params: []EhrQLParam{eqArg("condition", "bool-series")}, Result: "when", Doc: "Starts a case branch: `when(condition).then(value)`."},
	{Name: "maximum_of", Module: "ehrql", Kind: "function", Params: []EhrQLParam{eqArg("value", "series", "any"), eqArg("other_value", "series", "any"), {Name: "other_values", Accepts: []string{"series", "any"}, Variadic: true}},
		Result: "common", Dim: "max", Doc: "The largest of two or more values of one type, ignoring NULLs."},
	{Name: "minimum_of", Module: "ehrql", Kind: "function", Params: []EhrQLParam{eqArg("value", "series", "any"), eqArg("other_value", "series", "any"), {Name: "other_values", Accepts: []string{"series", "any"}, Variadic: true}},
		Result: "common", Dim: "max", Doc: "The smallest of two or more values of one type, ignoring NULLs."},
	eqDuration("days", "days"),
	eqDuration("weeks", "weeks"),
	eqDuration("months", "calendar months"),
	eqDuration("years", "calendar years"),
	{Name: "create_measures", Module: "ehrql.measures", Kind: "function", Result: "Measures", Doc: "Creates the measures collection; a measures definition must assign it to a variable called `measures`."},
	{Name: "Measures", Module: "ehrql.measures", Kind: "class", Result: "Measures", Doc: "The measures class; `Measures()` is the same as `create_measures()`."},
	{Name: "INTERVAL", Module: "ehrql.measures", Kind: "value", Result: "INTERVAL", Doc: "Placeholder for the interval a measure is being calculated for: `INTERVAL.start_date`, `INTERVAL.end_date`, or `is_during(INTERVAL)`."},
	{Name: "get_parameter", Module: "ehrql", Kind: "function", Params: []EhrQLParam{eqArg("name", "python-str"), eqOpt("type", "str", "type"), eqOpt("default", "None", "any")},
		Result: "parameter", Doc: "Reads the value of `--name value` given after `--` on the command line, converted with `type`; an error if missing and there is no default.", Since: EhrQLV1},
	{Name: "claim_permissions", Module: "ehrql", Kind: "function", Params: []EhrQLParam{{Name: "permissions", Accepts: []string{"python-str"}, Variadic: true}},
		Result: "none", Doc: "Claims permissions (e.g. `\"appointments\"`) so that restricted tables can be used with dummy data.", Since: EhrQLV1},
	{Name: "show", Module: "ehrql", Kind: "function", Params: []EhrQLParam{eqArg("element", "any"), {Name: "other_elements", Accepts: []string{"any"}, Variadic: true}, eqKw("label", "None", "python-str"), eqKw("head", "None", "python-int"), eqKw("tail", "None", "python-int")},
		Result: "none", Doc: "Prints the values of series, frames or datasets when run with `ehrql debug`; ignored otherwise.", Since: EhrQLV1},
	{Name: "table_from_file", Module: "ehrql", Kind: "function", Params: []EhrQLParam{eqArg("path", "python-str"), eqKw("columns", "None", "columns")},
		Result: "table-from-file", Doc: "A patient-level table read from a `.csv`, `.csv.gz` or `.arrow` file with a `patient_id` column (such as an earlier action's output); without `columns` it is the old decorator form.", Since: EhrQLV1},
	{Name: "table_from_file", Module: "ehrql.query_language", Kind: "function", Params: []EhrQLParam{eqArg("path", "python-str")},
		Result: "decorator", Doc: "Decorator that reads a PatientFrame subclass's columns from a file (internal).", Until: EhrQLV0, Hidden: true},
	{Name: "table_from_rows", Module: "ehrql.query_language", Kind: "function", Params: []EhrQLParam{eqArg("rows", "any")},
		Result: "decorator", Doc: "Decorator that makes a patient table from literal rows (internal).", Hidden: true},
	{Name: "table", Module: "ehrql.query_language", Kind: "function", Params: []EhrQLParam{eqArg("cls", "any")},
		Result: "decorator", Doc: "Class decorator that defines a table from a PatientFrame or EventFrame subclass with Series attributes (internal).", Hidden: true},
	{Name: "PatientFrame", Module: "ehrql.query_language", Kind: "class", Result: "class", Doc: "Base class of patient-level tables (one row per patient).", Hidden: true},
	{Name: "EventFrame", Module: "ehrql.query_language", Kind: "class", Result: "class", Doc: "Base class of event-level tables (many rows per patient).", Hidden: true},
	{Name: "Series", Module: "ehrql.query_language", Kind: "class",
		Params: []EhrQLParam{eqArg("type_", "type"), eqKw("description", `""`, "python-str"), eqKw("constraints", "()", "any"), eqKw("dummy_data_constraints", "()", "any"), eqKw("required", "True", "python-bool")},
		Result: "class", Doc: "Declares a column of a user-defined table class: `Series(int)`, `Series(datetime.date)`, ... (internal).", Since: EhrQLV1, Hidden: true},
	{Name: "Series", Module: "ehrql.query_language", Kind: "class",
		Params: []EhrQLParam{eqArg("type_", "type"), eqOpt("description", `""`, "python-str"), eqOpt("constraints", "()", "any"), eqOpt("required", "True", "python-bool")},
		Result: "class", Doc: "Declares a column of a user-defined table class (internal).", Until: EhrQLV0, Hidden: true},
	{Name: "Constraint", Module: "ehrql.tables", Kind: "class", Result: "class", Doc: "Namespace of column constraints for user-defined tables (internal).", Hidden: true},
	{Name: "Error", Module: "ehrql", Kind: "exception", Result: "exception", Doc: "The exception ehrQL raises for mistakes in a definition.", Since: EhrQLV1},
	{Name: "CodelistError", Module: "ehrql.codes", Kind: "exception", Result: "exception", Doc: "Raised when a codelist CSV is missing or lacks the named column."},
	{Name: "codelist_from_csv_lines", Module: "ehrql.codes", Kind: "function",
		Params: []EhrQLParam{eqArg("lines", "any"), {Name: "column", Accepts: []string{"python-str"}, Required: true, KeywordOnly: true}, eqKw("category_column", "None", "python-str")},
		Result: "codelist", Doc: "Reads a codelist from CSV lines already in memory (internal).", Hidden: true},
	{Name: "BaseCode", Module: "ehrql.codes", Kind: "class", Result: "class", Doc: "Base class of the code classes (internal).", Hidden: true},
	eqCodeClass("SNOMEDCTCode", "SNOMED CT", ""),
	eqCodeClass("CTV3Code", "CTV3 (Read v3)", ""),
	eqCodeClass("ICD10Code", "ICD-10", ""),
	eqCodeClass("OPCS4Code", "OPCS-4", ""),
	eqCodeClass("DMDCode", "dm+d", ""),
	eqCodeClass("BNFCode", "BNF", ""),
	{Name: "ICD10MultiCodeString", Module: "ehrql.codes", Kind: "class", Params: []EhrQLParam{eqArg("value", "python-str")}, Result: "multicode",
		Doc: "Type of columns holding many ICD-10 codes in one string (e.g. `apcs.all_diagnoses`).", Since: EhrQLV1},
	{Name: "OPCS4MultiCodeString", Module: "ehrql.codes", Kind: "class", Params: []EhrQLParam{eqArg("value", "python-str")}, Result: "multicode",
		Doc: "Type of columns holding many OPCS-4 codes in one string (e.g. `apcs.all_procedures`).", Since: EhrQLV1},
}
