package dummy

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

const inlineDef = `from ehrql import create_dataset
from ehrql.tables import PatientFrame, Series, table_from_file
from ehrql.tables.core import patients, clinical_events

@table_from_file("output/cohort.csv")
class cohort(PatientFrame):
    score = Series(int)
    label = Series(str)

dataset = create_dataset()
dataset.define_population(cohort.exists_for_patient() & (cohort.score > 2))
dataset.score = cohort.score
dataset.label = cohort.label
dataset.sex = patients.sex
dataset.events = clinical_events.count_for_patient()
`

// A table_from_file whose file exists gives the generated patients their ids and rows:
// the output has exactly the file's patients that meet the population, with the file's
// values, and generated values for the other tables.
func TestTableFromFileUsesFile(t *testing.T) {
	dir := study(t, map[string]string{
		"d.py": inlineDef,
		"output/cohort.csv": "patient_id,score,label\n" +
			"42,8,forty-two\n3,1,three\n7,5,seven\n11,9,eleven\n20,2,twenty\n",
	})
	rows := generateCSV(t, dir, "d.py", 0)
	if got := strings.Join(rows[0], ","); got != "patient_id,score,label,sex,events" {
		t.Fatalf("header %q", got)
	}
	want := map[string][2]string{"7": {"5", "seven"}, "11": {"9", "eleven"}, "42": {"8", "forty-two"}}
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
		w, ok := want[r[0]]
		if !ok {
			t.Errorf("patient %s is not in the file's population: %v", r[0], r)
			continue
		}
		if r[1] != w[0] || r[2] != w[1] {
			t.Errorf("patient %s: score,label = %s,%s; the file has %s,%s", r[0], r[1], r[2], w[0], w[1])
		}
		if r[3] == "" && r[4] == "" {
			t.Errorf("patient %s: no generated values: %v", r[0], r)
		}
	}
	sort.Strings(ids)
	if got := strings.Join(ids, " "); got != "11 42 7" {
		t.Errorf("patient ids %q, want the file's 7, 11 and 42", got)
	}
}

// A table_from_file whose file does not exist yet keeps generated rows, with a note
// naming the file and the action that makes it.
func TestTableFromFileMissing(t *testing.T) {
	dir := study(t, map[string]string{
		"d.py": inlineDef,
		"project.yaml": `version: "4.0"
actions:
  make_cohort:
    run: ehrql:v1 generate-dataset cohort.py --output output/cohort.csv
    outputs:
      highly_sensitive:
        cohort: output/cohort.csv
`,
	})
	var out, log bytes.Buffer
	o := Options{Definition: "d.py", WorkDir: dir, PopulationSize: 5, Seed: 1, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Stdout: &out, Log: &log}
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 6 {
		t.Errorf("%d lines, want a header and 5 patients:\n%s", n, out.String())
	}
	if l := log.String(); !strings.Contains(l, "output/cohort.csv") || !strings.Contains(l, "make_cohort") {
		t.Errorf("log does not name the file and its action:\n%s", l)
	}
}
