// The ehrQL catalogue.
//
// This part of package schema describes the ehrQL API that a dataset
// definition can use, per API generation, so that the static analyser, the
// editor features (completion, hover, signature help) and the dummy-data
// generator all read one model:
//
//   - Versions. [EhrQLV1] is the current API (image ehrql:v1). [EhrQLV0] is
//     the API of the frozen ehrql:v0 / databuilder:v0 images: table modules
//     under ehrql.tables.beta (and the databuilder.* shims), the aliases
//     if_null_then and configure_dummy_dataset, and no multi-code strings,
//     get_parameter, show or claim_permissions. [EhrQLVersionForImage] picks
//     the version from an action's image.
//   - Modules and tables ([EhrQLModule], [EhrQLTable], [EhrQLColumn]). The
//     table facts (names, column types, constraints, categories, required
//     permissions, table helper methods) were extracted mechanically from
//     ehrQL itself and are embedded as ehrqldata/tables.json; the one-line
//     docs are ours (ehrql_docs.go). [LookupEhrQLModule] resolves every
//     importable module path of a version, aliases included.
//   - Types ([EhrQLType]) and series classes: an element type (bool, int,
//     float, str, date, a code system, or a multi-code string) together with
//     a dimension (patient- or event-level) names an ehrQL series class such
//     as DateEventSeries ([EhrQLSeriesClass]).
//   - Methods ([EhrQLMethod], ehrql_methods.go): every method, property and
//     operator of the series, frame, dataset, measures, duration and case
//     classes, with parameter kinds, a result rule and a dimension rule.
//     [LookupEhrQLMethod] walks the class's ancestors as Python would, so a
//     DateEventSeries finds is_in (all series), < (comparable series) and
//     count_episodes_for_patient (date aggregations).
//   - Functions ([EhrQLFunction], ehrql_functions.go): module-level
//     functions, classes and values (case, when, days, codelist_from_csv,
//     create_dataset, INTERVAL, the code classes, ...), including the
//     internal API real studies use (table_from_file, Series, PatientFrame,
//     claim_permissions, show, add_event_table, _to_primitive_type), which
//     is marked Hidden so it resolves but is not offered in completion.
//   - Code systems ([ValidCode], [ValidCodePrefix], ehrql_codes.go): the
//     patterns ehrQL uses to validate code literals, so that a CTV3 code
//     tested against a SNOMED CT column can be reported before run time.
//
// Rule vocabularies (parameter kinds, result rules, dimension rules) are
// documented on [EhrQLParam] and [EhrQLMethod].

package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// EhrQL API generations.
const (
	// EhrQLV0 is the API of the ehrql:v0 and databuilder:v0 images (ehrQL
	// v0.139.1, the last v0 release, December 2023).
	EhrQLV0 = "v0"
	// EhrQLV1 is the current API (image ehrql:v1).
	EhrQLV1 = "v1"
)

// EhrQLVersions lists the API generations, oldest first.
func EhrQLVersions() []string { return []string{EhrQLV0, EhrQLV1} }

// EhrQLVersionForImage returns the ehrQL API generation that an action
// running image name:tag uses. ok is false when the image does not run
// ehrQL. databuilder images and ehrql:v0 give [EhrQLV0]; any other ehrql
// tag gives [EhrQLV1].
func EhrQLVersionForImage(name, tag string) (version string, ok bool) {
	switch name {
	case "databuilder":
		return EhrQLV0, true
	case "ehrql":
		if tag == "v0" {
			return EhrQLV0, true
		}
		return EhrQLV1, true
	}
	return "", false
}

// inEhrQLVersion reports whether something available from since to until
// (both inclusive; "" means unbounded) exists in version.
func inEhrQLVersion(version, since, until string) bool {
	if since != "" && version < since {
		return false
	}
	if until != "" && version > until {
		return false
	}
	return true
}

// Dimensions of ehrQL series and frames.
const (
	// EhrQLPatient is the dimension of things with at most one value (row)
	// per patient.
	EhrQLPatient = "patient"
	// EhrQLEvent is the dimension of things with any number of values (rows)
	// per patient.
	EhrQLEvent = "event"
)

// EhrQLType is the element type of an ehrQL series or column.
type EhrQLType struct {
	// Kind is one of "bool", "int", "float", "str", "date", "code" and
	// "multicode" (a string of many concatenated codes, such as
	// apcs.all_diagnoses).
	Kind string
	// System is the coding system of a code or multicode type: "SNOMEDCT",
	// "CTV3", "ICD10", "OPCS4", "DMD" or "BNF". Empty for other kinds.
	System string
}

// String returns the Python name of the type: "bool", "int", "float",
// "str", "date", a code class such as "SNOMEDCTCode", or a multi-code class
// such as "ICD10MultiCodeString".
func (t EhrQLType) String() string {
	switch t.Kind {
	case "code":
		if cs, ok := LookupCodeSystem(t.System); ok {
			return cs.Class
		}
		return t.System + "Code"
	case "multicode":
		return t.System + "MultiCodeString"
	}
	return t.Kind
}

// Comparable reports whether values of the type can be ordered with < and
// have minimum_for_patient / maximum_for_patient (int, float, str, date).
func (t EhrQLType) Comparable() bool {
	switch t.Kind {
	case "int", "float", "str", "date":
		return true
	}
	return false
}

// Numeric reports whether the type is int or float.
func (t EhrQLType) Numeric() bool { return t.Kind == "int" || t.Kind == "float" }

// Sortable reports whether a series of the type may be a sort_by key:
// comparable types and codes, but not bool or multi-code strings.
func (t EhrQLType) Sortable() bool { return t.Comparable() || t.Kind == "code" }

// ParseEhrQLType parses a type as written in Python or in our catalogue:
// "bool", "int", "float", "str", "date", "datetime.date", a code class
// ("SNOMEDCTCode", "codes.CTV3Code", ...) or a multi-code class
// ("ICD10MultiCodeString").
func ParseEhrQLType(s string) (EhrQLType, bool) {
	s = strings.TrimPrefix(s, "codes.")
	s = strings.TrimPrefix(s, "ehrql.codes.")
	switch s {
	case "bool", "int", "float", "str", "date":
		return EhrQLType{Kind: s}, true
	case "datetime.date":
		return EhrQLType{Kind: "date"}, true
	}
	if sys, ok := strings.CutSuffix(s, "MultiCodeString"); ok && (sys == "ICD10" || sys == "OPCS4") {
		return EhrQLType{Kind: "multicode", System: sys}, true
	}
	if cs, ok := LookupCodeSystem(s); ok && cs.Class == s {
		return EhrQLType{Kind: "code", System: cs.Name}, true
	}
	return EhrQLType{}, false
}

var eqKindPrefix = map[string]string{
	"bool": "Bool", "int": "Int", "float": "Float", "str": "Str", "date": "Date",
	"code": "Code", "multicode": "MultiCodeString",
}

// EhrQLSeriesClass returns the ehrQL class of a series with element type t
// and dimension dim ([EhrQLPatient] or [EhrQLEvent]), e.g.
// "DatePatientSeries" or "CodeEventSeries". It returns "" for an unknown
// kind or dimension.
func EhrQLSeriesClass(t EhrQLType, dim string) string {
	p, ok := eqKindPrefix[t.Kind]
	if !ok {
		return ""
	}
	switch dim {
	case EhrQLPatient:
		return p + "PatientSeries"
	case EhrQLEvent:
		return p + "EventSeries"
	}
	return ""
}

// ParseEhrQLSeriesClass splits a concrete series class name such as
// "IntEventSeries" into its element kind ("int") and dimension ("event").
// The System of a code type is not part of the class name and is left empty.
func ParseEhrQLSeriesClass(class string) (EhrQLType, string, bool) {
	for kind, p := range eqKindPrefix {
		rest, ok := strings.CutPrefix(class, p)
		if !ok {
			continue
		}
		switch rest {
		case "PatientSeries":
			return EhrQLType{Kind: kind}, EhrQLPatient, true
		case "EventSeries":
			return EhrQLType{Kind: kind}, EhrQLEvent, true
		}
	}
	return EhrQLType{}, "", false
}

// EhrQLRange bounds the values of a column. Bounds are text: decimal
// integers for int columns, YYYY-MM-DD for date columns; "" is unbounded.
type EhrQLRange struct {
	Min, Max     string
	Step         int  // for int ranges: only Min, Min+Step, ... are allowed (0 or 1 = every value)
	MinExclusive bool // Min itself is not allowed
	MaxExclusive bool // Max itself is not allowed
}

// EhrQLConstraints are the constraints on a column's values.
type EhrQLConstraints struct {
	NotNull      bool     `json:"not_null,omitempty"`
	Unique       bool     `json:"unique,omitempty"`
	FirstOfMonth bool     `json:"first_of_month,omitempty"` // dates always fall on the 1st of a month
	Categories   []string `json:"categories,omitempty"`     // allowed non-NULL values as text (ints in decimal, dates YYYY-MM-DD)
	NullCategory bool     `json:"null_category,omitempty"`  // NULL is one of the categories (with no others: always NULL)
	Regex        string   `json:"regex,omitempty"`          // values must fully match this pattern (RE2-compatible)
	Min          string   `json:"min,omitempty"`
	Max          string   `json:"max,omitempty"`
	Step         int      `json:"step,omitempty"`
	MinExclusive bool     `json:"min_exclusive,omitempty"`
	MaxExclusive bool     `json:"max_exclusive,omitempty"`
	DateAfter    []string `json:"date_after,omitempty"` // this date is on or after the dates in these columns of the same row
}

// Range returns the range constraint, or nil when there is none.
func (c EhrQLConstraints) Range() *EhrQLRange {
	if c.Min == "" && c.Max == "" {
		return nil
	}
	return &EhrQLRange{Min: c.Min, Max: c.Max, Step: c.Step, MinExclusive: c.MinExclusive, MaxExclusive: c.MaxExclusive}
}

// IsZero reports whether there are no constraints.
func (c EhrQLConstraints) IsZero() bool {
	return !c.NotNull && !c.Unique && !c.FirstOfMonth && c.Categories == nil && !c.NullCategory &&
		c.Regex == "" && c.Min == "" && c.Max == "" && c.DateAfter == nil
}

// EhrQLColumn is a column of an ehrQL table.
type EhrQLColumn struct {
	Name string
	Type EhrQLType
	Doc  string // one line, markdown
	// Constraints hold for real data and are checked when ehrQL reads dummy
	// tables (a value outside Categories is an error).
	Constraints EhrQLConstraints
	// Dummy are constraints the dummy-data generator respects but that are
	// not checked on dummy tables (e.g. dates after 2016-04-01, or an end
	// date after the start date).
	Dummy EhrQLConstraints
}

// Nullable reports whether the column can be NULL.
func (c EhrQLColumn) Nullable() bool { return !c.Constraints.NotNull }

// Categories returns the column's allowed values (nil when unconstrained).
func (c EhrQLColumn) Categories() []string { return c.Constraints.Categories }

// EhrQLTable is a table importable from an ehrQL table module.
type EhrQLTable struct {
	Name string // the Python name, e.g. "clinical_events"
	// StorageName is the name ehrQL uses for the table's data: the dummy
	// table file name and the query-model name. Usually Name; raw tables
	// differ ("ons_deaths_raw", "medications_raw", "isaric_raw", ...).
	StorageName string
	Module      string // the module it was looked up in, e.g. "ehrql.tables.tpp"
	ClassModule string // the module that defines its class (tpp re-exports core's patients)
	Dimension   string // EhrQLPatient (a PatientFrame) or EhrQLEvent (an EventFrame)
	Doc         string
	Permission  string // permission needed to use it (claim_permissions in dummy runs), e.g. "appointments"; "" if none
	Columns     []EhrQLColumn
	// Helpers are table-specific methods and properties, such as
	// patients.age_on or practice_registrations.spanning. Methods are
	// available on the table and on frames derived with where,
	// except_where and sort_by; properties also survive first_for_patient
	// and last_for_patient.
	Helpers []EhrQLMethod
}

// FrameClass returns "PatientFrame" or "EventFrame".
func (t EhrQLTable) FrameClass() string {
	if t.Dimension == EhrQLPatient {
		return "PatientFrame"
	}
	return "EventFrame"
}

// Column finds a column by name.
func (t EhrQLTable) Column(name string) (EhrQLColumn, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return EhrQLColumn{}, false
}

// Helper finds a table-specific method or property by name.
func (t EhrQLTable) Helper(name string) (EhrQLMethod, bool) {
	for _, h := range t.Helpers {
		if h.Name == name {
			return h, true
		}
	}
	return EhrQLMethod{}, false
}

// ColumnNames returns the names of the columns in definition order.
func (t EhrQLTable) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// EhrQLModule is an importable ehrQL module.
type EhrQLModule struct {
	Path    string // e.g. "ehrql.tables.tpp"
	Doc     string
	Tables  []EhrQLTable
	Exports []string // other public names (functions, classes, values), in the module's own order
	// Internal names are importable but not part of the documented API
	// (e.g. PatientFrame from ehrql.query_language, or case re-exported by
	// ehrql.tables.tpp). They resolve, but completion should not offer them.
	Internal   []string
	Submodules []string // child modules reachable as attributes, e.g. "tpp" under "ehrql.tables"
}

// Table finds a table of the module by its Python name.
func (m EhrQLModule) Table(name string) (EhrQLTable, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return EhrQLTable{}, false
}

// Has reports whether `from <module> import name` succeeds: name is a
// table, an export, an internal name or a submodule.
func (m EhrQLModule) Has(name string) bool {
	if _, ok := m.Table(name); ok {
		return true
	}
	return slices.Contains(m.Exports, name) || slices.Contains(m.Internal, name) || slices.Contains(m.Submodules, name)
}

// EhrQLModules returns every importable module of the version, in a stable
// order (nil for an unknown version). The modules share the catalogue's
// storage: treat them as read-only.
func EhrQLModules(version string) []EhrQLModule {
	cat := loadEhrQLCatalogue()
	return cat.modules[version]
}

// LookupEhrQLModule finds a module by its dotted import path in the given
// version. Every path a study can import is present, including packages
// (ehrql.tables, ehrql.tables.beta) and the v0 aliases
// (databuilder.tables.beta.tpp, databuilder.ehrql, ...).
func LookupEhrQLModule(version, path string) (EhrQLModule, bool) {
	for _, m := range EhrQLModules(version) {
		if m.Path == path {
			return m, true
		}
	}
	return EhrQLModule{}, false
}

// LookupEhrQLTable finds a table by module path and Python name.
func LookupEhrQLTable(version, module, name string) (EhrQLTable, bool) {
	m, ok := LookupEhrQLModule(version, module)
	if !ok {
		return EhrQLTable{}, false
	}
	return m.Table(name)
}

// IsEhrQLModulePath reports whether path is ehrQL's (starts with ehrql or
// databuilder), whether or not the module exists in any version; the
// analyser uses it to tell "unknown ehrQL module" from "local module".
func IsEhrQLModulePath(path string) bool {
	root, _, _ := strings.Cut(path, ".")
	return root == "ehrql" || root == "databuilder"
}

//go:embed ehrqldata/tables.json
var eqTablesJSON []byte

type eqJSONColumn struct {
	Name string           `json:"name"`
	Type string           `json:"type"`
	C    EhrQLConstraints `json:"c"`
	D    EhrQLConstraints `json:"d"`
}

type eqJSONHelper struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`
	Params []string `json:"params"`
}

type eqJSONTable struct {
	Name        string         `json:"name"`
	Dim         string         `json:"dim"`
	ClassModule string         `json:"class_module"`
	Storage     string         `json:"storage"`
	Permission  string         `json:"permission"`
	Columns     []eqJSONColumn `json:"columns"`
	Helpers     []eqJSONHelper `json:"helpers"`
}

type eqJSONModule struct {
	Path       string        `json:"path"`
	Tables     []eqJSONTable `json:"tables"`
	Exports    []string      `json:"exports"`
	Internal   []string      `json:"internal"`
	Submodules []string      `json:"submodules"`
}

type eqJSONCatalogue struct {
	Versions map[string]struct {
		Modules []eqJSONModule `json:"modules"`
	} `json:"versions"`
}

type eqCatalogue struct {
	modules map[string][]EhrQLModule
}

var loadEhrQLCatalogue = sync.OnceValue(func() *eqCatalogue {
	cat, err := buildEhrQLCatalogue(eqTablesJSON)
	if err != nil {
		// The data is embedded and covered by tests; a failure here is a
		// build defect, not a user error.
		panic(err)
	}
	return cat
})

func buildEhrQLCatalogue(data []byte) (*eqCatalogue, error) {
	var raw eqJSONCatalogue
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decoding ehrQL tables: %w", err)
	}
	cat := &eqCatalogue{modules: map[string][]EhrQLModule{}}
	for version, v := range raw.Versions {
		for _, jm := range v.Modules {
			m := EhrQLModule{
				Path:       jm.Path,
				Doc:        eqModuleDocs[eqCanonicalModule(jm.Path)],
				Exports:    jm.Exports,
				Internal:   jm.Internal,
				Submodules: jm.Submodules,
			}
			for _, jt := range jm.Tables {
				t, err := buildEhrQLTable(version, jm.Path, jt)
				if err != nil {
					return nil, err
				}
				m.Tables = append(m.Tables, t)
			}
			cat.modules[version] = append(cat.modules[version], m)
		}
	}
	return cat, nil
}

func buildEhrQLTable(version, module string, jt eqJSONTable) (EhrQLTable, error) {
	t := EhrQLTable{
		Name:        jt.Name,
		StorageName: jt.Name,
		Module:      module,
		ClassModule: jt.ClassModule,
		Dimension:   jt.Dim,
		Permission:  jt.Permission,
		Doc:         eqTableDoc(jt.Name, module),
	}
	if jt.Storage != "" {
		t.StorageName = jt.Storage
	}
	for _, jc := range jt.Columns {
		typ, ok := ParseEhrQLType(jc.Type)
		if !ok {
			return EhrQLTable{}, fmt.Errorf("ehrQL table %s.%s: column %s has unknown type %q", module, jt.Name, jc.Name, jc.Type)
		}
		t.Columns = append(t.Columns, EhrQLColumn{
			Name:        jc.Name,
			Type:        typ,
			Doc:         eqColumnDoc(jt.Name, jc.Name, typ),
			Constraints: jc.C,
			Dummy:       jc.D,
		})
	}
	for _, jh := range jt.Helpers {
		h, err := eqHelper(version, t, jh)
		if err != nil {
			return EhrQLTable{}, err
		}
		t.Helpers = append(t.Helpers, h)
	}
	return t, nil
}

// eqCanonicalModule maps v0 and databuilder paths to the v1 path with the
// same role, for looking up docs.
func eqCanonicalModule(path string) string {
	if rest, ok := strings.CutPrefix(path, "databuilder"); ok {
		switch rest {
		case ".ehrql":
			return "ehrql"
		case "":
			return "databuilder"
		}
		path = "ehrql" + rest
	}
	return strings.Replace(path, "ehrql.tables.beta", "ehrql.tables", 1)
}

// EhrQLVariableNamePattern is the pattern every dataset variable, event
// table, event table column and measures group_by name must match.
const EhrQLVariableNamePattern = `^[A-Za-z]+[A-Za-z0-9_]*$`

// EhrQLReservedVariableNames returns the names a dataset variable may not
// have in version ("population" must be set with define_population).
func EhrQLReservedVariableNames(version string) []string {
	if version == EhrQLV0 {
		return []string{"population", "patient_id", "variables", "dummy_data_config"}
	}
	return []string{"population", "patient_id", "dummy_data_config"}
}

// EhrQLReservedGroupByNames are the names a measures group_by key may not
// have, because the measures output uses them as columns.
func EhrQLReservedGroupByNames() []string {
	return []string{"measure", "numerator", "denominator", "ratio", "interval_start", "interval_end"}
}
