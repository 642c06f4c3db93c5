package analysis

import (
	"fmt"
	"testing"
)

func TestEhrQLSmoke(t *testing.T) {
	src := `from ehrql import create_dataset, codelist_from_csv, days, years, case, when
from ehrql.tables.tpp import patients, clinical_events as events, practice_registrations, medications

index_date = "2024-03-31"
asthma = codelist_from_csv("codelists/asthma.csv", column="code")

dataset = create_dataset()
dataset.configure_dummy_data(population_size=100)
registered = practice_registrations.for_patient_on(index_date).exists_for_patient()
dataset.define_population(registered & (patients.age_on(index_date) >= 18))
dataset.sex = patients.sex
dataset.age = patients.age_on(index_date)
dataset.bad = events.date
dataset.dob_int = patients.date_of_birth > 1990
latest = events.where(events.snomedct_code.is_in(asthma)).sort_by(events.date).last_for_patient()
dataset.latest_date = latest.date
dataset.unsorted = events.first_for_patient().date
dataset.age_band = case(when(dataset.age < 40).then("young"), otherwise="old")
dataset.x = events.dat
dataset.y = events.date - medications.date
dataset.z = patients.age_on(index_date) + 1.5
dataset.chained = 18 < patients.age_on(index_date) < 65
dataset.sex = patients.sex
for n in [1, 2, 3]:
    dataset.add_column(f"col_{n}", events.where(events.date > index_date - days(n)).exists_for_patient())
dataset.baddate = patients.date_of_birth < "2020-1-1"
dataset.ctv3 = events.where(events.snomedct_code == "XaIIW").exists_for_patient()
`
	snap := MapSnapshot{"analysis/dataset_definition.py": src, "codelists/asthma.csv": "code,term\n195967001,Asthma\n"}
	def := AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
	for _, d := range def.Diagnostics {
		fmt.Printf("%s %q: %s\n", d.Code, src[d.Range.Start:d.Range.End], d.Message)
	}
	for _, v := range def.Dataset.Variables {
		fmt.Printf("  var %s: %s\n", v.Name, v.Series.Type())
	}
}
