package schema

import "fmt"

// eqHelperSpec is what the catalogue knows about a table helper beyond its
// name and parameter names (which come from ehrqldata/tables.json).
type eqHelperSpec struct {
	result, dim, doc string
}

// eqHelperSpecs describes every table helper by name. The same name means
// the same thing on every table that has it, with the table's own frame as
// the "frame" and "patient-frame" results.
var eqHelperSpecs = map[string]eqHelperSpec{
	"age_on":                             {"int", "max", "Age in whole years on the given date (`(date - date_of_birth).years`)."},
	"is_alive_on":                        {"bool", "max", "True if the patient has no date of death, or died after the given date."},
	"is_dead_on":                         {"bool", "max", "True if the patient has a date of death before the given date."},
	"has_practice_registration_spanning": {"bool", "max", "True if the patient's registration covers the whole of start_date to end_date."},
	"for_patient_on":                     {"patient-frame", "patient", "The one row per patient that is current on the given date (the latest-starting one if several are)."},
	"exists_for_patient_on":              {"bool", "patient", "True if the patient has a row current on the given date."},
	"spanning":                           {"frame", "receiver", "Rows that start on or before start_date and end on or after end_date (or have no end)."},
	"spanning_with_systmone":             {"frame", "receiver", "Like `spanning`, and the practice had switched to SystmOne by start_date."},
	"cause_of_death_is_in":               {"bool", "receiver", "True if the underlying cause or any of the 15 listed causes of death is in the codelist."},
	"electronic_frailty_index":           {"frame", "receiver", "Rows holding the electronic frailty index (eFI) version 1.0 scores."},
	"imd_quintile":                       {"str", "receiver", "IMD quintile of the address: \"1 (most deprived)\" … \"5 (least deprived)\", or \"unknown\"."},
	"imd_decile":                         {"str", "receiver", "IMD decile of the address: \"1 (most deprived)\" … \"10 (least deprived)\", or \"unknown\"."},
}

// eqHelperParamKinds gives the argument kinds of helper parameters by name.
var eqHelperParamKinds = map[string][]string{
	"date":       {"date"},
	"start_date": {"date"},
	"end_date":   {"date"},
	"codelist":   {"codelist", "container"},
}

func eqHelper(version string, t EhrQLTable, jh eqJSONHelper) (EhrQLMethod, error) {
	spec, ok := eqHelperSpecs[jh.Name]
	if !ok {
		return EhrQLMethod{}, fmt.Errorf("ehrQL table %s.%s (%s): helper %s is not described", t.Module, t.Name, version, jh.Name)
	}
	m := EhrQLMethod{Name: jh.Name, Class: t.Name, Kind: jh.Kind, Result: spec.result, Dim: spec.dim, Doc: spec.doc}
	for _, p := range jh.Params {
		kinds, ok := eqHelperParamKinds[p]
		if !ok {
			return EhrQLMethod{}, fmt.Errorf("ehrQL table %s.%s: helper %s has undescribed parameter %s", t.Module, t.Name, jh.Name, p)
		}
		m.Params = append(m.Params, eqArg(p, kinds...))
	}
	return m, nil
}
