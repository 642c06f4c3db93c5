package schema

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestEhrQLVersionForImage(t *testing.T) {
	tests := []struct {
		name, tag string
		want      string
		ok        bool
	}{
		{"ehrql", "v1", EhrQLV1, true},
		{"ehrql", "latest", EhrQLV1, true},
		{"ehrql", "v0", EhrQLV0, true},
		{"databuilder", "v0", EhrQLV0, true},
		{"databuilder", "latest", EhrQLV0, true},
		{"python", "v2", "", false},
		{"cohortextractor", "latest", "", false},
	}
	for _, tt := range tests {
		got, ok := EhrQLVersionForImage(tt.name, tt.tag)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EhrQLVersionForImage(%q, %q) = %q, %v; want %q, %v", tt.name, tt.tag, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLookupEhrQLModule(t *testing.T) {
	tests := []struct {
		version, path string
		ok            bool
	}{
		{EhrQLV1, "ehrql", true},
		{EhrQLV1, "ehrql.tables", true},
		{EhrQLV1, "ehrql.tables.core", true},
		{EhrQLV1, "ehrql.tables.tpp", true},
		{EhrQLV1, "ehrql.tables.emis", true},
		{EhrQLV1, "ehrql.tables.raw", true},
		{EhrQLV1, "ehrql.tables.raw.core", true},
		{EhrQLV1, "ehrql.tables.raw.tpp", true},
		{EhrQLV1, "ehrql.tables.raw.emis", true},
		{EhrQLV1, "ehrql.codes", true},
		{EhrQLV1, "ehrql.measures", true},
		{EhrQLV1, "ehrql.query_language", true},
		{EhrQLV1, "ehrql.tables.beta.tpp", false},
		{EhrQLV1, "ehrql.tables.beta.raw.tpp", false},
		{EhrQLV1, "databuilder.tables.beta.tpp", false},
		{EhrQLV1, "databuilder.ehrql", false},
		{EhrQLV1, "ehrql.tables.nonsense", false},
		{EhrQLV0, "ehrql", true},
		{EhrQLV0, "ehrql.codes", true},
		{EhrQLV0, "ehrql.measures", true},
		{EhrQLV0, "ehrql.query_language", true},
		{EhrQLV0, "ehrql.tables", true},
		{EhrQLV0, "ehrql.tables.beta", true},
		{EhrQLV0, "ehrql.tables.beta.tpp", true},
		{EhrQLV0, "ehrql.tables.beta.core", true},
		{EhrQLV0, "ehrql.tables.beta.emis", true},
		{EhrQLV0, "ehrql.tables.beta.raw.tpp", true},
		{EhrQLV0, "ehrql.tables.beta.raw.core", true},
		{EhrQLV0, "databuilder.ehrql", true},
		{EhrQLV0, "databuilder.codes", true},
		{EhrQLV0, "databuilder.tables.beta.tpp", true},
		{EhrQLV0, "ehrql.tables.tpp", false},
		{EhrQLV0, "ehrql.tables.core", false},
		{EhrQLV0, "ehrql.tables.raw.tpp", false},
		{"v9", "ehrql", false},
	}
	for _, tt := range tests {
		m, ok := LookupEhrQLModule(tt.version, tt.path)
		if ok != tt.ok {
			t.Errorf("LookupEhrQLModule(%s, %s) ok = %v, want %v", tt.version, tt.path, ok, tt.ok)
			continue
		}
		if ok && m.Path != tt.path {
			t.Errorf("LookupEhrQLModule(%s, %s).Path = %s", tt.version, tt.path, m.Path)
		}
	}
}

func TestEhrQLModuleNames(t *testing.T) {
	tests := []struct {
		version, module, name string
		ok                    bool
	}{
		{EhrQLV1, "ehrql.tables", "tpp", true},
		{EhrQLV1, "ehrql.tables", "table_from_file", true},
		{EhrQLV0, "ehrql.tables.beta", "tpp", true},
		{EhrQLV1, "ehrql.tables.tpp", "case", true}, // re-exported, internal
		{EhrQLV1, "ehrql.tables.tpp", "when", true},
		{EhrQLV1, "ehrql.tables.tpp", "patients", true},
		{EhrQLV1, "ehrql.tables.core", "addresses", false},
		{EhrQLV1, "ehrql", "show", true},
		{EhrQLV0, "ehrql", "show", false},
		{EhrQLV1, "ehrql.codes", "codelist_from_csv", true},
		{EhrQLV1, "ehrql.query_language", "PatientFrame", true},
		{EhrQLV0, "ehrql.query_language", "Series", true},
		{EhrQLV1, "ehrql", "create_codelist_from_csv", false},
	}
	for _, tt := range tests {
		m, ok := LookupEhrQLModule(tt.version, tt.module)
		if !ok {
			t.Fatalf("no module %s in %s", tt.module, tt.version)
		}
		if got := m.Has(tt.name); got != tt.ok {
			t.Errorf("%s %s.Has(%s) = %v, want %v", tt.version, tt.module, tt.name, got, tt.ok)
		}
	}
	m, _ := LookupEhrQLModule(EhrQLV1, "ehrql.tables.tpp")
	if slices.Contains(m.Exports, "case") || !slices.Contains(m.Internal, "case") {
		t.Errorf("ehrql.tables.tpp: case should be internal, not exported")
	}
}

func TestLookupEhrQLTable(t *testing.T) {
	tests := []struct {
		version, module, name string
		dim, storage, perm    string
		columns               int
	}{
		{EhrQLV1, "ehrql.tables.core", "patients", EhrQLPatient, "patients", "", 3},
		{EhrQLV1, "ehrql.tables.tpp", "patients", EhrQLPatient, "patients", "", 3},
		{EhrQLV1, "ehrql.tables.emis", "patients", EhrQLPatient, "patients", "", 8},
		{EhrQLV1, "ehrql.tables.core", "clinical_events", EhrQLEvent, "clinical_events", "", 3},
		{EhrQLV1, "ehrql.tables.tpp", "clinical_events", EhrQLEvent, "clinical_events", "", 5},
		{EhrQLV1, "ehrql.tables.tpp", "ons_deaths", EhrQLPatient, "ons_deaths", "", 18},
		{EhrQLV1, "ehrql.tables.raw.core", "ons_deaths", EhrQLEvent, "ons_deaths_raw", "", 17},
		{EhrQLV1, "ehrql.tables.raw.tpp", "medications", EhrQLEvent, "medications_raw", "", 6},
		{EhrQLV1, "ehrql.tables.raw.tpp", "isaric", EhrQLEvent, "isaric_raw", "isaric", 49},
		{EhrQLV1, "ehrql.tables.tpp", "appointments", EhrQLEvent, "appointments", "appointments", 4},
		{EhrQLV1, "ehrql.tables.tpp", "wl_clockstops", EhrQLEvent, "wl_clockstops", "waiting_list", 11},
		{EhrQLV1, "ehrql.tables.tpp", "emergency_care_attendances", EhrQLEvent, "emergency_care_attendances", "", 27},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", EhrQLEvent, "apcs", "", 13},
		{EhrQLV1, "ehrql.tables.tpp", "ethnicity_from_sus", EhrQLPatient, "ethnicity_from_sus", "", 1},
		{EhrQLV0, "ehrql.tables.beta.tpp", "apcs", EhrQLEvent, "apcs", "", 4},
		{EhrQLV0, "ehrql.tables.beta.tpp", "hospital_admissions", EhrQLEvent, "hospital_admissions", "", 9},
		{EhrQLV0, "databuilder.tables.beta.tpp", "clinical_events", EhrQLEvent, "clinical_events", "", 4},
		{EhrQLV0, "ehrql.tables.beta.raw.tpp", "isaric", EhrQLEvent, "isaric_raw", "", 49},
	}
	for _, tt := range tests {
		tab, ok := LookupEhrQLTable(tt.version, tt.module, tt.name)
		if !ok {
			t.Errorf("%s %s.%s not found", tt.version, tt.module, tt.name)
			continue
		}
		if tab.Dimension != tt.dim || tab.StorageName != tt.storage || tab.Permission != tt.perm || len(tab.Columns) != tt.columns {
			t.Errorf("%s %s.%s = dim %s storage %s perm %q %d columns; want %s %s %q %d",
				tt.version, tt.module, tt.name, tab.Dimension, tab.StorageName, tab.Permission, len(tab.Columns), tt.dim, tt.storage, tt.perm, tt.columns)
		}
		if tab.Doc == "" {
			t.Errorf("%s %s.%s has no doc", tt.version, tt.module, tt.name)
		}
	}
	if _, ok := LookupEhrQLTable(EhrQLV1, "ehrql.tables.tpp", "hospital_admissions"); ok {
		t.Error("hospital_admissions should not exist in v1")
	}
}

func TestEhrQLColumns(t *testing.T) {
	tests := []struct {
		version, module, table, column string
		typ                            string
		check                          func(EhrQLColumn) bool
	}{
		{EhrQLV1, "ehrql.tables.core", "patients", "date_of_birth", "date", func(c EhrQLColumn) bool {
			return c.Constraints.FirstOfMonth && !c.Nullable()
		}},
		{EhrQLV1, "ehrql.tables.core", "patients", "sex", "str", func(c EhrQLColumn) bool {
			return slices.Equal(c.Categories(), []string{"female", "male", "intersex", "unknown"}) && !c.Nullable()
		}},
		{EhrQLV1, "ehrql.tables.emis", "patients", "sex", "str", func(c EhrQLColumn) bool {
			return slices.Equal(c.Categories(), []string{"female", "male", "unknown"})
		}},
		{EhrQLV1, "ehrql.tables.emis", "patients", "practice_pseudo_id", "str", nil},
		{EhrQLV1, "ehrql.tables.core", "patients", "date_of_death", "date", func(c EhrQLColumn) bool { return c.Nullable() }},
		{EhrQLV1, "ehrql.tables.tpp", "clinical_events", "snomedct_code", "SNOMEDCTCode", func(c EhrQLColumn) bool { return c.Type.System == "SNOMEDCT" }},
		{EhrQLV1, "ehrql.tables.tpp", "clinical_events", "ctv3_code", "CTV3Code", nil},
		{EhrQLV1, "ehrql.tables.tpp", "clinical_events", "numeric_value", "float", nil},
		{EhrQLV1, "ehrql.tables.tpp", "medications", "dmd_code", "DMDCode", nil},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", "primary_diagnosis", "ICD10Code", nil},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", "all_diagnoses", "ICD10MultiCodeString", func(c EhrQLColumn) bool {
			return c.Type.Kind == "multicode" && c.Type.System == "ICD10"
		}},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", "all_procedures", "OPCS4MultiCodeString", nil},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", "admission_date", "date", func(c EhrQLColumn) bool {
			return c.Dummy.Min == "2016-04-01" && c.Constraints.IsZero()
		}},
		{EhrQLV1, "ehrql.tables.tpp", "apcs", "apcs_ident", "int", func(c EhrQLColumn) bool { return !c.Nullable() }},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "imd_rounded", "int", func(c EhrQLColumn) bool {
			r := c.Constraints.Range()
			return r != nil && r.Min == "0" && r.Max == "32800" && r.Step == 100
		}},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "address_type", "int", func(c EhrQLColumn) bool {
			return slices.Equal(c.Categories(), []string{"0", "1", "3"})
		}},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "msoa_code", "str", func(c EhrQLColumn) bool { return c.Constraints.Regex == "E020[0-9]{5}" }},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "has_postcode", "bool", nil},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "end_date", "date", func(c EhrQLColumn) bool {
			return c.Dummy.NullCategory && len(c.Dummy.Categories) == 0 && c.Nullable()
		}},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "practice_pseudo_id", "int", func(c EhrQLColumn) bool {
			return !c.Nullable() && c.Dummy.Min == "0" && c.Dummy.Max == "999"
		}},
		{EhrQLV1, "ehrql.tables.tpp", "appointments", "seen_date", "date", func(c EhrQLColumn) bool {
			return slices.Equal(c.Dummy.DateAfter, []string{"booked_date", "start_date"})
		}},
		{EhrQLV1, "ehrql.tables.tpp", "decision_support_values", "calculation_date", "date", func(c EhrQLColumn) bool {
			return slices.Equal(c.Dummy.Categories, []string{"2020-12-08"}) && c.Dummy.NotNull
		}},
		{EhrQLV1, "ehrql.tables.tpp", "ethnicity_from_sus", "code", "str", func(c EhrQLColumn) bool { return len(c.Categories()) == 16 }},
		{EhrQLV1, "ehrql.tables.tpp", "ons_deaths", "cause_of_death_15", "ICD10Code", func(c EhrQLColumn) bool { return strings.Contains(c.Doc, "15") }},
		{EhrQLV1, "ehrql.tables.tpp", "ons_deaths", "date", "date", func(c EhrQLColumn) bool { return c.Dummy.Min == "2019-02-01" }},
		{EhrQLV1, "ehrql.tables.tpp", "sgss_covid_all_tests", "is_positive", "bool", func(c EhrQLColumn) bool { return !c.Nullable() }},
		{EhrQLV1, "ehrql.tables.tpp", "opa_proc", "primary_procedure_code", "OPCS4Code", nil},
		{EhrQLV1, "ehrql.tables.raw.tpp", "wl_clockstops", "week_ending_date", "str", nil},
		{EhrQLV1, "ehrql.tables.tpp", "wl_clockstops", "week_ending_date", "date", nil},
		{EhrQLV0, "ehrql.tables.beta.tpp", "hospital_admissions", "all_diagnoses", "str", nil},
		{EhrQLV0, "ehrql.tables.beta.tpp", "practice_registrations", "practice_stp", "str", nil},
	}
	for _, tt := range tests {
		tab, ok := LookupEhrQLTable(tt.version, tt.module, tt.table)
		if !ok {
			t.Errorf("%s %s.%s not found", tt.version, tt.module, tt.table)
			continue
		}
		c, ok := tab.Column(tt.column)
		if !ok {
			t.Errorf("%s %s.%s.%s not found", tt.version, tt.module, tt.table, tt.column)
			continue
		}
		if c.Type.String() != tt.typ {
			t.Errorf("%s.%s type = %s, want %s", tt.table, tt.column, c.Type, tt.typ)
		}
		if tt.check != nil && !tt.check(c) {
			t.Errorf("%s %s.%s.%s: check failed: %+v", tt.version, tt.module, tt.table, tt.column, c)
		}
	}
	// v0 has no multi-code columns.
	if tab, _ := LookupEhrQLTable(EhrQLV0, "ehrql.tables.beta.tpp", "apcs"); slices.Contains(tab.ColumnNames(), "all_diagnoses") {
		t.Error("v0 apcs should not have all_diagnoses")
	}
}

// TestEhrQLCatalogueComplete checks invariants over every table of every
// version: docs, valid regexes and ranges, DateAfter naming real columns.
func TestEhrQLCatalogueComplete(t *testing.T) {
	for _, v := range EhrQLVersions() {
		mods := EhrQLModules(v)
		if len(mods) < 10 {
			t.Fatalf("%s: only %d modules", v, len(mods))
		}
		for _, m := range mods {
			for _, tab := range m.Tables {
				if tab.Doc == "" {
					t.Errorf("%s %s.%s: no doc", v, m.Path, tab.Name)
				}
				for _, c := range tab.Columns {
					if c.Doc == "" {
						t.Errorf("%s %s.%s.%s: no doc", v, m.Path, tab.Name, c.Name)
					}
					for _, cons := range []EhrQLConstraints{c.Constraints, c.Dummy} {
						if cons.Regex != "" {
							if _, err := regexp.Compile(cons.Regex); err != nil {
								t.Errorf("%s.%s: bad regex: %v", tab.Name, c.Name, err)
							}
						}
						for _, other := range cons.DateAfter {
							if _, ok := tab.Column(other); !ok {
								t.Errorf("%s.%s: DateAfter names unknown column %s", tab.Name, c.Name, other)
							}
						}
					}
				}
				for _, h := range tab.Helpers {
					if h.Doc == "" || h.Result == "" {
						t.Errorf("%s.%s: helper %s undocumented", tab.Name, h.Name, h.Name)
					}
				}
			}
		}
	}
}

func TestEhrQLHelpers(t *testing.T) {
	tests := []struct {
		version, module, table, helper string
		kind, result                   string
		params                         []string
	}{
		{EhrQLV1, "ehrql.tables.core", "patients", "age_on", "method", "int", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "patients", "is_alive_on", "method", "bool", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "patients", "is_dead_on", "method", "bool", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "for_patient_on", "method", "patient-frame", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "spanning", "method", "frame", []string{"start_date", "end_date"}},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "spanning_with_systmone", "method", "frame", []string{"start_date", "end_date"}},
		{EhrQLV1, "ehrql.tables.tpp", "practice_registrations", "exists_for_patient_on", "method", "bool", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "for_patient_on", "method", "patient-frame", []string{"date"}},
		{EhrQLV1, "ehrql.tables.tpp", "addresses", "imd_quintile", "property", "str", nil},
		{EhrQLV1, "ehrql.tables.tpp", "ons_deaths", "cause_of_death_is_in", "method", "bool", []string{"codelist"}},
		{EhrQLV1, "ehrql.tables.tpp", "decision_support_values", "electronic_frailty_index", "method", "frame", nil},
		{EhrQLV1, "ehrql.tables.emis", "patients", "has_practice_registration_spanning", "method", "bool", []string{"start_date", "end_date"}},
		{EhrQLV0, "ehrql.tables.beta.tpp", "patients", "age_on", "method", "int", []string{"date"}},
		{EhrQLV0, "ehrql.tables.beta.tpp", "practice_registrations", "spanning", "method", "frame", []string{"start_date", "end_date"}},
	}
	for _, tt := range tests {
		tab, ok := LookupEhrQLTable(tt.version, tt.module, tt.table)
		if !ok {
			t.Fatalf("%s.%s not found", tt.module, tt.table)
		}
		h, ok := tab.Helper(tt.helper)
		if !ok {
			t.Errorf("%s %s.%s.%s not found", tt.version, tt.module, tt.table, tt.helper)
			continue
		}
		var params []string
		for _, p := range h.Params {
			params = append(params, p.Name)
		}
		if h.Kind != tt.kind || h.Result != tt.result || !slices.Equal(params, tt.params) {
			t.Errorf("%s.%s = %s %s %v, want %s %s %v", tt.table, tt.helper, h.Kind, h.Result, params, tt.kind, tt.result, tt.params)
		}
	}
	// v0 lacked several helpers.
	tab, _ := LookupEhrQLTable(EhrQLV0, "ehrql.tables.beta.tpp", "patients")
	if _, ok := tab.Helper("is_alive_on"); ok {
		t.Error("v0 patients should not have is_alive_on")
	}
}

func TestLookupEhrQLMethod(t *testing.T) {
	tests := []struct {
		version, class, name string
		ok                   bool
		definedOn            string
	}{
		{EhrQLV1, "DateEventSeries", "is_in", true, "BaseSeries"},
		{EhrQLV1, "DateEventSeries", "__lt__", true, "ComparableFunctions"},
		{EhrQLV1, "DateEventSeries", "is_on_or_between", true, "DateFunctions"},
		{EhrQLV1, "DateEventSeries", "count_episodes_for_patient", true, "DateAggregations"},
		{EhrQLV1, "DateEventSeries", "maximum_for_patient", true, "ComparableAggregations"},
		{EhrQLV1, "DateEventSeries", "count_distinct_for_patient", true, "EventSeries"},
		{EhrQLV1, "DatePatientSeries", "maximum_for_patient", false, ""},
		{EhrQLV1, "DatePatientSeries", "count_episodes_for_patient", false, ""},
		{EhrQLV1, "DatePatientSeries", "year", true, "DateFunctions"},
		{EhrQLV1, "CodeEventSeries", "to_category", true, "CodeFunctions"},
		{EhrQLV1, "CodeEventSeries", "maximum_for_patient", false, ""},
		{EhrQLV1, "CodeEventSeries", "__lt__", false, ""},
		{EhrQLV1, "CodeEventSeries", "is_in", true, "BaseSeries"},
		{EhrQLV1, "StrPatientSeries", "contains", true, "StrFunctions"},
		{EhrQLV1, "IntEventSeries", "sum_for_patient", true, "NumericAggregations"},
		{EhrQLV1, "FloatEventSeries", "mean_for_patient", true, "NumericAggregations"},
		{EhrQLV1, "IntPatientSeries", "sum_for_patient", false, ""},
		{EhrQLV1, "FloatPatientSeries", "absolute", true, "NumericFunctions"},
		{EhrQLV0, "FloatPatientSeries", "absolute", false, ""},
		{EhrQLV1, "BoolPatientSeries", "as_int", true, "BoolFunctions"},
		{EhrQLV0, "BoolPatientSeries", "as_int", false, ""},
		{EhrQLV1, "BoolEventSeries", "__invert__", true, "BoolFunctions"},
		{EhrQLV1, "MultiCodeStringEventSeries", "contains", true, "MultiCodeStringFunctions"},
		{EhrQLV1, "MultiCodeStringEventSeries", "contains_any_of", true, "MultiCodeStringFunctions"},
		{EhrQLV1, "MultiCodeStringEventSeries", "is_in", true, "MultiCodeStringFunctions"}, // exists, but raises
		{EhrQLV0, "MultiCodeStringEventSeries", "contains", false, ""},
		{EhrQLV1, "StrEventSeries", "when_null_then", true, "BaseSeries"},
		{EhrQLV0, "StrEventSeries", "when_null_then", true, "BaseSeries"},
		{EhrQLV0, "StrEventSeries", "if_null_then", true, "BaseSeries"},
		{EhrQLV1, "StrEventSeries", "if_null_then", false, ""},
		{EhrQLV1, "EventFrame", "where", true, "EventFrame"},
		{EhrQLV1, "EventFrame", "exists_for_patient", true, "BaseFrame"},
		{EhrQLV1, "EventFrame", "first_for_patient", false, ""},
		{EhrQLV1, "SortedEventFrame", "first_for_patient", true, "SortedEventFrame"},
		{EhrQLV1, "SortedEventFrame", "where", true, "EventFrame"},
		{EhrQLV1, "PatientFrame", "count_for_patient", true, "BaseFrame"},
		{EhrQLV1, "PatientFrame", "where", false, ""},
		{EhrQLV1, "Dataset", "configure_dummy_data", true, "Dataset"},
		{EhrQLV0, "Dataset", "configure_dummy_data", true, "Dataset"},
		{EhrQLV0, "Dataset", "configure_dummy_dataset", true, "Dataset"},
		{EhrQLV1, "Dataset", "configure_dummy_dataset", false, ""},
		{EhrQLV1, "Dataset", "add_event_table", true, "Dataset"},
		{EhrQLV0, "Dataset", "add_event_table", false, ""},
		{EhrQLV1, "Measures", "define_measure", true, "Measures"},
		{EhrQLV1, "months", "starting_on", true, "Duration"},
		{EhrQLV1, "DateDifference", "years", true, "DateDifference"},
		{EhrQLV1, "when", "then", true, "when"},
		{EhrQLV1, "WhenThen", "otherwise", true, "WhenThen"},
		{EhrQLV1, "INTERVAL", "start_date", true, "INTERVAL"},
		{EhrQLV1, "ICD10Code", "_to_primitive_type", true, "BaseCode"},
		{EhrQLV1, "NoSuchClass", "where", false, ""},
	}
	for _, tt := range tests {
		m, ok := LookupEhrQLMethod(tt.version, tt.class, tt.name)
		if ok != tt.ok || (ok && m.Class != tt.definedOn) {
			t.Errorf("LookupEhrQLMethod(%s, %s, %s) = %s, %v; want %s, %v", tt.version, tt.class, tt.name, m.Class, ok, tt.definedOn, tt.ok)
		}
	}

	m, _ := LookupEhrQLMethod(EhrQLV1, "MultiCodeStringPatientSeries", "__eq__")
	if m.Error == "" {
		t.Error("== on a multi-code string should carry an error")
	}
	m, _ = LookupEhrQLMethod(EhrQLV1, "Dataset", "configure_dummy_data")
	if len(m.Params) != 4 || !m.Params[0].KeywordOnly {
		t.Errorf("v1 configure_dummy_data params = %+v", m.Params)
	}
	if got, want := m.Signature(), "configure_dummy_data(*, population_size=10, legacy=False, timeout=60, additional_population_constraint=None)"; got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	m, _ = LookupEhrQLMethod(EhrQLV1, "Dataset", "add_event_table")
	if !m.Hidden {
		t.Error("add_event_table should be hidden")
	}
	m, _ = LookupEhrQLMethod(EhrQLV0, "IntEventSeries", "if_null_then")
	if m.AliasOf != "when_null_then" {
		t.Errorf("if_null_then AliasOf = %q", m.AliasOf)
	}
}

func TestEhrQLMethodsList(t *testing.T) {
	names := func(ms []EhrQLMethod) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	got := names(EhrQLMethods(EhrQLV1, "SortedEventFrame"))
	want := []string{"first_for_patient", "last_for_patient", "where", "except_where", "sort_by", "exists_for_patient", "count_for_patient"}
	if !slices.Equal(got, want) {
		t.Errorf("SortedEventFrame methods = %v, want %v", got, want)
	}
	// Overrides hide inherited names: a multi-code string has one is_in, its own.
	ms := EhrQLMethods(EhrQLV1, "MultiCodeStringEventSeries")
	n := 0
	for _, m := range ms {
		if m.Name == "is_in" {
			n++
			if m.Class != "MultiCodeStringFunctions" {
				t.Errorf("is_in from %s", m.Class)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d is_in methods", n)
	}
	for _, v := range EhrQLVersions() {
		for _, c := range EhrQLClasses(v) {
			for _, m := range EhrQLMethods(v, c) {
				if m.Doc == "" || m.Kind == "" {
					t.Errorf("%s %s.%s lacks doc or kind", v, c, m.Name)
				}
				if m.Kind == "operator" && m.Operator == "" {
					t.Errorf("%s.%s: operator without symbol", c, m.Name)
				}
			}
		}
	}
	if EhrQLClassAncestors(EhrQLV0, "MultiCodeStringEventSeries") != nil {
		t.Error("v0 has no multi-code series")
	}
}

func TestEhrQLTypes(t *testing.T) {
	for _, s := range []string{"bool", "int", "float", "str", "date", "SNOMEDCTCode", "CTV3Code", "ICD10Code", "OPCS4Code", "DMDCode", "BNFCode", "ICD10MultiCodeString", "OPCS4MultiCodeString"} {
		typ, ok := ParseEhrQLType(s)
		if !ok || typ.String() != s {
			t.Errorf("ParseEhrQLType(%q) = %v, %v", s, typ, ok)
		}
	}
	if typ, ok := ParseEhrQLType("datetime.date"); !ok || typ.Kind != "date" {
		t.Errorf("datetime.date = %v", typ)
	}
	for _, s := range []string{"", "Date", "list", "XYZCode", "SNOMEDCTMultiCodeString"} {
		if _, ok := ParseEhrQLType(s); ok {
			t.Errorf("ParseEhrQLType(%q) should fail", s)
		}
	}
	tests := []struct {
		typ        EhrQLType
		dim, class string
	}{
		{EhrQLType{Kind: "date"}, EhrQLEvent, "DateEventSeries"},
		{EhrQLType{Kind: "bool"}, EhrQLPatient, "BoolPatientSeries"},
		{EhrQLType{Kind: "code", System: "SNOMEDCT"}, EhrQLEvent, "CodeEventSeries"},
		{EhrQLType{Kind: "multicode", System: "ICD10"}, EhrQLPatient, "MultiCodeStringPatientSeries"},
	}
	for _, tt := range tests {
		if got := EhrQLSeriesClass(tt.typ, tt.dim); got != tt.class {
			t.Errorf("EhrQLSeriesClass(%v, %s) = %s, want %s", tt.typ, tt.dim, got, tt.class)
		}
		typ, dim, ok := ParseEhrQLSeriesClass(tt.class)
		if !ok || typ.Kind != tt.typ.Kind || dim != tt.dim {
			t.Errorf("ParseEhrQLSeriesClass(%s) = %v %s %v", tt.class, typ, dim, ok)
		}
		if EhrQLClassAncestors(EhrQLV1, tt.class) == nil {
			t.Errorf("no class %s", tt.class)
		}
	}
	if (EhrQLType{Kind: "bool"}).Sortable() || !(EhrQLType{Kind: "code"}).Sortable() || (EhrQLType{Kind: "code"}).Comparable() {
		t.Error("Sortable/Comparable wrong")
	}
}

func TestLookupEhrQLFunction(t *testing.T) {
	tests := []struct {
		version, module, name string
		ok, hidden            bool
	}{
		{EhrQLV1, "ehrql", "create_dataset", true, false},
		{EhrQLV1, "ehrql", "codelist_from_csv", true, false},
		{EhrQLV1, "ehrql", "case", true, false},
		{EhrQLV1, "ehrql", "INTERVAL", true, false},
		{EhrQLV1, "ehrql", "show", true, false},
		{EhrQLV1, "ehrql", "claim_permissions", true, false},
		{EhrQLV1, "ehrql", "get_parameter", true, false},
		{EhrQLV1, "ehrql", "table_from_file", true, false},
		{EhrQLV0, "ehrql", "show", false, false},
		{EhrQLV0, "ehrql", "get_parameter", false, false},
		{EhrQLV0, "ehrql", "table_from_file", false, false},
		{EhrQLV0, "databuilder.ehrql", "create_dataset", true, false},
		{EhrQLV0, "databuilder.codes", "codelist_from_csv", true, false},
		{EhrQLV1, "ehrql.query_language", "table_from_file", true, true},
		{EhrQLV1, "ehrql.query_language", "PatientFrame", true, true},
		{EhrQLV1, "ehrql.query_language", "Series", true, true},
		{EhrQLV0, "ehrql.query_language", "table_from_file", true, true},
		{EhrQLV1, "ehrql.tables.tpp", "case", true, true},
		{EhrQLV1, "ehrql.codes", "ICD10Code", true, false},
		{EhrQLV1, "ehrql.codes", "ICD10MultiCodeString", true, false},
		{EhrQLV0, "ehrql.codes", "ICD10MultiCodeString", false, false},
		{EhrQLV1, "ehrql.codes", "codelist_from_csv_lines", true, true},
		{EhrQLV1, "ehrql.measures", "create_measures", true, false},
		{EhrQLV1, "ehrql", "fill_null", false, false},
	}
	for _, tt := range tests {
		f, ok := LookupEhrQLFunction(tt.version, tt.module, tt.name)
		if ok != tt.ok || f.Hidden != tt.hidden {
			t.Errorf("LookupEhrQLFunction(%s, %s, %s) = hidden %v, %v; want %v, %v", tt.version, tt.module, tt.name, f.Hidden, ok, tt.hidden, tt.ok)
		}
	}
	f, _ := LookupEhrQLFunction(EhrQLV1, "ehrql", "codelist_from_csv")
	if got, want := f.Signature(), "codelist_from_csv(filename, *, column, category_column=None)"; got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	f, _ = LookupEhrQLFunction(EhrQLV1, "ehrql", "case")
	if got, want := f.Signature(), "case(*when_thens, otherwise=None)"; got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	f, _ = LookupEhrQLFunction(EhrQLV0, "ehrql", "case")
	if len(f.Params) != 3 {
		t.Errorf("v0 case takes default= too: %+v", f.Params)
	}
	// Every public export of ehrql and ehrql.codes has a record.
	for _, v := range EhrQLVersions() {
		for _, mod := range []string{"ehrql", "ehrql.codes", "ehrql.measures", "ehrql.tables"} {
			m, _ := LookupEhrQLModule(v, mod)
			for _, n := range m.Exports {
				if _, ok := LookupEhrQLFunction(v, mod, n); !ok {
					t.Errorf("%s %s.%s has no function record", v, mod, n)
				}
			}
		}
	}
}

func TestValidCode(t *testing.T) {
	tests := []struct {
		system, code string
		want         bool
	}{
		{"SNOMEDCT", "22298006", true},
		{"SNOMEDCT", "123456", true},
		{"SNOMEDCT", "12345", false},
		{"SNOMEDCT", "0123456", false},
		{"SNOMEDCT", "1234567890123456789", false},
		{"SNOMEDCT", "XaIIW", false},
		{"snomedct", "22298006", true},
		{"SNOMEDCTCode", "22298006", true},
		{"CTV3", "XaIIW", true},
		{"CTV3", "G30..", true},
		{"CTV3", "G3...", true},
		{"CTV3", "Y1234", true},
		{"CTV3", "G....", false},
		{"CTV3", "22298006", false},
		{"CTV3", "G30", false},
		{"ICD10", "I21", true},
		{"ICD10", "I219", true},
		{"ICD10", "I2190", true},
		{"ICD10", "A01X", true},
		{"ICD10", "A01X2", true},
		{"ICD10", "I21.9", false},
		{"ICD10", "i21", false},
		{"ICD10", "I2", false},
		{"ICD10", "I21999", false},
		{"OPCS4", "K40", true},
		{"OPCS4", "K401", true},
		{"OPCS4", "I401", false},
		{"OPCS4", "K4", false},
		{"OPCS4", "K40.1", false},
		{"DMD", "39113611000001102", true},
		{"DMD", "0391", false},
		{"BNF", "0212000B0AAABAB", true},
		{"BNF", "21000000000", true},
		{"BNF", "0212000B0", false},
		{"BNF", "24000000000", false},
		{"nonsense", "22298006", false},
	}
	for _, tt := range tests {
		if got := ValidCode(tt.system, tt.code); got != tt.want {
			t.Errorf("ValidCode(%q, %q) = %v, want %v", tt.system, tt.code, got, tt.want)
		}
	}
	prefixes := []struct {
		system, s string
		want      bool
	}{
		{"ICD10", "N", true},
		{"ICD10", "N17", true},
		{"ICD10", "N170", true},
		{"ICD10", "N1", true},
		{"ICD10", "A01X", true},
		{"ICD10", "n17", false},
		{"ICD10", "N17.0", false},
		{"OPCS4", "K", true},
		{"OPCS4", "K40", true},
		{"OPCS4", "I40", false},
		{"SNOMEDCT", "123", false},
	}
	for _, tt := range prefixes {
		if got := ValidCodePrefix(tt.system, tt.s); got != tt.want {
			t.Errorf("ValidCodePrefix(%q, %q) = %v, want %v", tt.system, tt.s, got, tt.want)
		}
	}
	if got := CodeSystemsMatching("XaIIW"); !slices.Equal(got, []string{"CTV3"}) {
		t.Errorf("CodeSystemsMatching(XaIIW) = %v", got)
	}
	if got := CodeSystemsMatching("22298006"); !slices.Equal(got, []string{"SNOMEDCT", "DMD"}) {
		t.Errorf("CodeSystemsMatching(22298006) = %v", got)
	}
}

// Real-study usage, from the "Tables", "Most-used columns" and "Methods
// called" sections of the corpus statistics (corpus/real/STATS.md). Each
// table lists the module and version where studies find it.
var (
	eqStudyTables = map[string][2]string{
		"patients": {EhrQLV1, "ehrql.tables.tpp"}, "practice_registrations": {EhrQLV1, "ehrql.tables.tpp"},
		"clinical_events": {EhrQLV1, "ehrql.tables.tpp"}, "addresses": {EhrQLV1, "ehrql.tables.tpp"},
		"medications": {EhrQLV1, "ehrql.tables.tpp"}, "ons_deaths": {EhrQLV1, "ehrql.tables.tpp"},
		"apcs": {EhrQLV1, "ehrql.tables.tpp"}, "vaccinations": {EhrQLV1, "ehrql.tables.tpp"},
		"sgss_covid_all_tests": {EhrQLV1, "ehrql.tables.tpp"}, "ethnicity_from_sus": {EhrQLV1, "ehrql.tables.tpp"},
		"appointments": {EhrQLV1, "ehrql.tables.tpp"}, "emergency_care_attendances": {EhrQLV1, "ehrql.tables.tpp"},
		"hospital_admissions":                {EhrQLV0, "ehrql.tables.beta.tpp"},
		"occupation_on_covid_vaccine_record": {EhrQLV1, "ehrql.tables.tpp"},
		"opa":                                {EhrQLV1, "ehrql.tables.tpp"}, "clinical_events_ranges": {EhrQLV1, "ehrql.tables.tpp"},
		"opa_cost": {EhrQLV1, "ehrql.tables.tpp"}, "opa_diag": {EhrQLV1, "ehrql.tables.tpp"},
		"wl_clockstops": {EhrQLV1, "ehrql.tables.tpp"}, "open_prompt": {EhrQLV1, "ehrql.tables.tpp"},
		"opa_proc": {EhrQLV1, "ehrql.tables.tpp"}, "household_memberships_2020": {EhrQLV1, "ehrql.tables.tpp"},
		"covid_therapeutics": {EhrQLV1, "ehrql.tables.tpp"}, "parents": {EhrQLV1, "ehrql.tables.tpp"},
		"ec_cost":              {EhrQLV1, "ehrql.tables.tpp"},
		"apcs_cost_historical": {EhrQLV0, "ehrql.tables.beta.raw.tpp"},
		"repeat_medications":   {EhrQLV1, "ehrql.tables.raw.tpp"},
		"ec":                   {EhrQLV1, "ehrql.tables.tpp"}, "wl_openpathways": {EhrQLV1, "ehrql.tables.tpp"},
		"isaric":                  {EhrQLV0, "ehrql.tables.beta.raw.tpp"},
		"decision_support_values": {EhrQLV1, "ehrql.tables.tpp"},
	}
	eqStudyColumns = []string{
		"clinical_events.date", "clinical_events.snomedct_code", "medications.date", "vaccinations.date",
		"apcs.admission_date", "patients.sex", "patients.age_on", "ons_deaths.date", "ethnicity_from_sus.code",
		"practice_registrations.end_date", "patients.date_of_death", "addresses.for_patient_on", "medications.dmd_code",
		"patients.date_of_birth", "practice_registrations.for_patient_on", "clinical_events.ctv3_code",
		"apcs.primary_diagnosis", "apcs.all_diagnoses", "practice_registrations.spanning", "clinical_events.numeric_value",
	}
	eqStudyMethods = []string{
		"where", "then", "is_in", "exists_for_patient", "sort_by", "is_on_or_between", "first_for_patient", "is_null",
		"is_not_null", "is_on_or_before", "last_for_patient", "is_on_or_after", "count_for_patient", "for_patient_on",
		"add_column", "define_measure", "age_on", "minimum_for_patient", "is_after", "is_before", "define_population",
		"configure_dummy_data", "to_category", "except_where", "starting_on", "count_distinct_for_patient", "contains",
		"when_null_then", "contains_any_of", "spanning", "is_during", "define_defaults", "configure_disclosure_control",
		"is_alive_on", "maximum_for_patient", "cause_of_death_is_in", "sum_for_patient", "otherwise",
		"count_episodes_for_patient", "ending_on", "is_between_but_not_on", "add_event_table", "absolute", "map_values",
		"exists_for_patient_on", "is_not_in", "to_first_of_month", "spanning_with_systmone", "as_int",
		"electronic_frailty_index",
		// v0 aliases and hidden API also seen.
		"if_null_then", "configure_dummy_dataset", "_to_primitive_type",
	}
	eqStudyMistakes = []string{"latest_for_patient", "is_in_range", "contains_any", "fill_null"}
)

// eqAttributeExists reports whether name is a method, property or operator
// of any class, or a helper or column of any table, in any version.
func eqAttributeExists(name string) bool {
	for _, v := range EhrQLVersions() {
		if slices.Contains(EhrQLMethodNames(v), name) {
			return true
		}
		for _, m := range EhrQLModules(v) {
			for _, tab := range m.Tables {
				if _, ok := tab.Helper(name); ok {
					return true
				}
				if _, ok := tab.Column(name); ok {
					return true
				}
			}
		}
	}
	return false
}

func TestEhrQLStudyUsageResolves(t *testing.T) {
	for name, where := range eqStudyTables {
		if _, ok := LookupEhrQLTable(where[0], where[1], name); !ok {
			t.Errorf("table %s not in %s %s", name, where[0], where[1])
		}
	}
	for _, tc := range eqStudyColumns {
		table, col, _ := strings.Cut(tc, ".")
		tab, ok := LookupEhrQLTable(EhrQLV1, "ehrql.tables.tpp", table)
		if !ok {
			t.Errorf("table %s missing", table)
			continue
		}
		_, isCol := tab.Column(col)
		_, isHelper := tab.Helper(col)
		if !isCol && !isHelper {
			t.Errorf("%s does not resolve", tc)
		}
	}
	for _, m := range eqStudyMethods {
		if !eqAttributeExists(m) {
			t.Errorf("method %s does not resolve", m)
		}
	}
	for _, m := range eqStudyMistakes {
		if eqAttributeExists(m) {
			t.Errorf("mistake %s should not resolve", m)
		}
	}
	// Imported modules and names.
	imports := map[string][]string{
		"ehrql": {"case", "when", "create_dataset", "days", "years", "codelist_from_csv", "minimum_of", "months", "INTERVAL",
			"create_measures", "maximum_of", "Dataset", "claim_permissions", "show", "Measures", "weeks", "get_parameter"},
		"ehrql.query_language": {"table_from_file", "PatientFrame", "Series"},
		"ehrql.codes":          {"ICD10Code", "CTV3Code", "SNOMEDCTCode", "codelist_from_csv"},
		"ehrql.tables.tpp":     {"case", "when"},
		"ehrql.tables.core":    {"patients"},
		"ehrql.tables.raw.tpp": {"repeat_medications"},
		"ehrql.measures":       {"INTERVAL"},
		"ehrql.tables":         {"tpp", "core"},
	}
	for mod, names := range imports {
		m, ok := LookupEhrQLModule(EhrQLV1, mod)
		if !ok {
			t.Errorf("v1 module %s missing", mod)
			continue
		}
		for _, n := range names {
			if !m.Has(n) {
				t.Errorf("from %s import %s fails", mod, n)
			}
		}
	}
	for _, mod := range []string{"databuilder.ehrql", "databuilder.codes", "databuilder.tables.beta.tpp", "ehrql.tables.beta.tpp",
		"ehrql.tables.beta.core", "ehrql.tables.beta.raw.tpp"} {
		if _, ok := LookupEhrQLModule(EhrQLV0, mod); !ok {
			t.Errorf("v0 module %s missing", mod)
		}
	}
}

// TestEhrQLStudyUsageFromStats re-reads the statistics file, when the
// shared corpus is present, so that the lists above stay in step with it.
func TestEhrQLStudyUsageFromStats(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(corpusDir, "STATS.md"))
	if err != nil {
		t.Skipf("no corpus statistics: %v", err)
	}
	text := string(src)
	section := func(start string) string {
		i := strings.Index(text, start)
		if i < 0 {
			t.Fatalf("STATS.md has no %q", start)
		}
		rest := text[i+len(start):]
		if j := strings.Index(rest, "\n\n"); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	items := func(s string) []string {
		var out []string
		for _, it := range strings.Split(s, "·") {
			f := strings.Fields(strings.ReplaceAll(it, "*", ""))
			if len(f) > 0 {
				out = append(out, f[0])
			}
		}
		return out
	}
	tables := items(section("### Tables (files importing / repos)\n"))
	cols := items(section("Most-used columns (occurrences/repos):"))
	methods := items(section("### Methods called (occurrences / repos; ehrQL names only)\n"))
	if len(tables) < 30 || len(cols) < 20 || len(methods) < 50 {
		t.Fatalf("parsed only %d tables, %d columns, %d methods from STATS.md", len(tables), len(cols), len(methods))
	}
	for _, name := range tables {
		if _, ok := eqStudyTables[name]; !ok {
			t.Errorf("STATS table %s is not in eqStudyTables", name)
		}
	}
	for _, tc := range cols {
		if !slices.Contains(eqStudyColumns, tc) {
			t.Errorf("STATS column %s is not in eqStudyColumns", tc)
		}
	}
	for _, m := range methods {
		if !slices.Contains(eqStudyMethods, m) {
			t.Errorf("STATS method %s is not in eqStudyMethods", m)
		}
	}
}

func TestEhrQLReservedNames(t *testing.T) {
	re := regexp.MustCompile(EhrQLVariableNamePattern)
	for name, want := range map[string]bool{"age": true, "Age_2": true, "_x": false, "2x": false, "a-b": false} {
		if re.MatchString(name) != want {
			t.Errorf("variable name %q: match = %v, want %v", name, !want, want)
		}
	}
	if !slices.Contains(EhrQLReservedVariableNames(EhrQLV0), "variables") || slices.Contains(EhrQLReservedVariableNames(EhrQLV1), "variables") {
		t.Error("v0 reserves variables, v1 does not")
	}
	if !slices.Contains(EhrQLReservedGroupByNames(), "ratio") {
		t.Error("ratio is a reserved group_by name")
	}
}
