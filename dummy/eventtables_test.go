package dummy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

const eventTableDef = `from ehrql import create_dataset, claim_permissions
from ehrql.tables.core import patients, clinical_events

claim_permissions("event_level_data")
dataset = create_dataset()
dataset.define_population(patients.sex == "female")
dataset.sex = patients.sex
asthma = clinical_events.where(clinical_events.snomedct_code == "195967001")
dataset.add_event_table("asthma_events", date=asthma.date, value=asthma.numeric_value)
`

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

// With DIR:EXT, add_event_table's tables are written next to dataset.csv: patient_id, then
// the columns, one row per row of the filtered frame for each patient in the population,
// in patient then table-row order.
func TestEventTableDummyTables(t *testing.T) {
	dir := study(t, map[string]string{
		"d.py":                       eventTableDef,
		"tables/patients.csv":        "patient_id,sex\n1,female\n2,male\n3,female\n4,female\n",
		"tables/clinical_events.csv": "patient_id,date,snomedct_code,numeric_value\n3,2021-05-01,195967001,2.5\n1,2020-01-01,195967001,1.0\n1,2019-01-01,111111111,9.0\n2,2020-02-02,195967001,7.0\n1,2018-06-01,195967001,\n3,2022-01-01,222222222,3.0\n",
	})
	o := Options{Definition: "d.py", WorkDir: dir, DummyTables: "tables", Output: "output/ds:csv"}
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, filepath.Join(dir, "output", "ds", "dataset.csv"))
	want := []string{"patient_id,sex", "1,female", "3,female", "4,female"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("dataset.csv = %q, want %q", got, want)
	}
	got = readLines(t, filepath.Join(dir, "output", "ds", "asthma_events.csv"))
	want = []string{"patient_id,date,value", "1,2020-01-01,1.0", "1,2018-06-01,", "3,2021-05-01,2.5"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("asthma_events.csv = %q, want %q", got, want)
	}

	// A single-file output cannot hold two tables: ehrQL's FileValidationError (exit 11).
	o.Output = "output/ds.csv"
	err := GenerateDataset(context.Background(), o)
	if err == nil || ExitCode(err) != ExitValidation || !strings.Contains(err.Error(), "Attempting to write 2 tables, but output only supports a single table") || !strings.Contains(err.Error(), "try -> output/ds/:csv") {
		t.Errorf("single file: %v (exit %d)", err, ExitCode(err))
	}
	if _, err := os.Stat(filepath.Join(dir, "output", "ds.csv")); err == nil {
		t.Error("single-file output written despite the error")
	}
	o.Output = ""
	if err := GenerateDataset(context.Background(), o); err == nil || ExitCode(err) != ExitValidation {
		t.Errorf("stdout: %v", err)
	}

	// Without claiming event_level_data, the run fails with a permission error.
	os.WriteFile(filepath.Join(dir, "d.py"), []byte(strings.Replace(eventTableDef, `claim_permissions("event_level_data")`, "", 1)), 0o644)
	o.Output = "output/ds:csv"
	if err := GenerateDataset(context.Background(), o); ExitCode(err) != ExitPermission {
		t.Errorf("no permission: %v", err)
	}
}

// Generated dummy data writes the event tables too, with the right structure.
func TestEventTableGenerated(t *testing.T) {
	dir := study(t, map[string]string{"d.py": eventTableDef})
	o := Options{Definition: "d.py", WorkDir: dir, PopulationSize: 50, Seed: 1, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Output: "out:csv"}
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	ds := readLines(t, filepath.Join(dir, "out", "dataset.csv"))
	if ds[0] != "patient_id,sex" || len(ds) != 51 {
		t.Fatalf("dataset.csv: header %q, %d lines", ds[0], len(ds))
	}
	ids := map[string]bool{}
	for _, l := range ds[1:] {
		ids[strings.Split(l, ",")[0]] = true
	}
	ev := readLines(t, filepath.Join(dir, "out", "asthma_events.csv"))
	if ev[0] != "patient_id,date,value" {
		t.Fatalf("asthma_events.csv header %q", ev[0])
	}
	for _, l := range ev[1:] {
		f := strings.Split(l, ",")
		if len(f) != 3 || !ids[f[0]] {
			t.Fatalf("event row %q: not 3 columns of a patient in the dataset", l)
		}
	}
}
