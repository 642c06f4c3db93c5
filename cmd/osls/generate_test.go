package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runIn runs the built binary in dir and returns stdout, stderr and the exit status.
func runIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(builtOSLS(t), args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const simpleDefinition = `from ehrql import create_dataset
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.sex = patients.sex
dataset.n = clinical_events.count_for_patient()
`

func TestGenerateDatasetDummyTables(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"analysis/dataset_definition.py": simpleDefinition,
		"tables/patients.csv":            "patient_id,sex\n2,male\n1,female\n",
		"tables/clinical_events.csv":     "patient_id,date\n1,2020-01-01\n1,2021-01-01\n3,2020-01-01\n",
	})
	out, errs, code := runIn(t, dir, "generate-dataset", "analysis/dataset_definition.py", "--dummy-tables", "tables")
	if code != 0 || out != "patient_id,sex,n\r\n1,female,2\r\n2,male,0\r\n" {
		t.Errorf("exit %d\nstdout %q\nstderr %s", code, out, errs)
	}
	// Validation errors exit 11 and name file, row and column.
	os.WriteFile(filepath.Join(dir, "tables/patients.csv"), []byte("patient_id,sex\n1,F\n"), 0o644)
	_, errs, code = runIn(t, dir, "generate-dataset", "analysis/dataset_definition.py", "--dummy-tables", "tables")
	if code != 11 || !strings.Contains(errs, "FileValidationError: 'tables/patients.csv', row 1: column 'sex': 'F' not in valid categories: 'female', 'male', 'intersex', 'unknown'") {
		t.Errorf("exit %d\n%s", code, errs)
	}
	os.WriteFile(filepath.Join(dir, "tables/patients.csv"), []byte("patient_id,sex\n1,female\n"), 0o644)
	os.Remove(filepath.Join(dir, "tables/clinical_events.csv"))
	_, errs, code = runIn(t, dir, "generate-dataset", "analysis/dataset_definition.py", "--dummy-tables", "tables")
	if code != 11 || !strings.Contains(errs, "Missing file: tables/clinical_events.csv") {
		t.Errorf("exit %d\n%s", code, errs)
	}
}

func TestGenerateDatasetExitCodes(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"bad.py": `from ehrql import create_dataset
from ehrql.tables.core import patients
dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.d = patients.date_of_birth > 1990
`,
		"nullpop.py": `from ehrql import create_dataset
from ehrql.tables.core import clinical_events
dataset = create_dataset()
dataset.define_population(~clinical_events.exists_for_patient())
`,
		"perm.py": `from ehrql import create_dataset
from ehrql.tables.tpp import appointments
dataset = create_dataset()
dataset.define_population(appointments.exists_for_patient())
`,
	})
	_, errs, code := runIn(t, dir, "generate-dataset", "bad.py")
	if code != 10 || !strings.Contains(errs, "Error loading file 'bad.py'") || !strings.Contains(errs, "line 5") {
		t.Errorf("bad.py: exit %d\n%s", code, errs)
	}
	_, errs, code = runIn(t, dir, "generate-dataset", "nullpop.py")
	if code != 10 || !strings.Contains(errs, "population definition must not evaluate as True for NULL inputs") {
		t.Errorf("nullpop.py: exit %d\n%s", code, errs)
	}
	_, errs, code = runIn(t, dir, "generate-dataset", "perm.py")
	if code != 12 || !strings.Contains(errs, "EHRQLPermissionError") {
		t.Errorf("perm.py: exit %d\n%s", code, errs)
	}
	_, _, code = runIn(t, dir, "generate-dataset", "bad.py", "--output", "x.parquet")
	if code != 10 && code != 2 {
		t.Errorf("exit %d", code)
	}
}

// Generation: exactly population_size patients, all in the population, deterministic for
// a seed and today, and the same as evaluating the tables create-dummy-tables writes.
func TestGenerateDatasetGenerated(t *testing.T) {
	dir := copyTree(t, filepath.Join("..", "..", "dummy", "testdata", "typical"))
	args := []string{"generate-dataset", "analysis/dataset_definition.py", "--today", "2025-01-01", "--seed", "7", "--population-size", "300"}
	out1, errs, code := runIn(t, dir, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	out2, _, _ := runIn(t, dir, args...)
	if out1 != out2 {
		t.Error("generation is not deterministic")
	}
	lines := strings.Split(strings.TrimSuffix(out1, "\r\n"), "\r\n")
	if len(lines) != 301 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[2] < "18" || len(f[2]) != 2 || f[3] == "" || f[6] == "" {
			t.Errorf("row outside the population: %s", l)
		}
	}
	if _, errs, code := runIn(t, dir, "create-dummy-tables", "analysis/dataset_definition.py", "tables", "--today", "2025-01-01", "--seed", "7", "--population-size", "300"); code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	out3, errs, code := runIn(t, dir, "generate-dataset", "analysis/dataset_definition.py", "--dummy-tables", "tables")
	if code != 0 || out3 != out1 {
		t.Errorf("exit %d %s: evaluating the written tables differs from the generated dataset", code, errs)
	}
	// Output files in every format agree.
	for _, o := range []string{"out/d.csv", "out/d.csv.gz", "out/d.arrow", "out/dir:csv"} {
		if _, errs, code := runIn(t, dir, append(args, "--output", o)...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", o, code, errs)
		}
	}
	for _, f := range []string{"out/d.csv.gz", "out/d.arrow", "out/dir/dataset.csv"} {
		got, errs, code := runIn(t, dir, "generate-dataset", "analysis/dataset_definition.py", "--dummy-data-file", f)
		if code != 0 || got != out1 {
			t.Errorf("%s: exit %d %s", f, code, errs)
		}
	}
}

// osls schema dummy-data prints the schema of the expected-distributions file.
func TestSchemaDummyData(t *testing.T) {
	out, code := runCLI(t, "schema", "dummy-data")
	if code != 0 || !strings.Contains(out, `"true_proportion"`) || !strings.Contains(out, "dummy-data.json") {
		t.Errorf("exit %d: %s", code, out)
	}
}

// generate-measures --dummy-data-file checks a measures file and copies it: generated
// measures written as Arrow come back unchanged; a file missing columns exits 11.
func TestGenerateMeasuresDummyDataFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.py"), []byte(`from ehrql import create_measures, months, INTERVAL
from ehrql.tables.core import patients, clinical_events

measures = create_measures()
has_event = clinical_events.where(clinical_events.date.is_during(INTERVAL)).exists_for_patient()
measures.define_measure(
    name="events",
    numerator=has_event,
    denominator=patients.exists_for_patient(),
    group_by={"sex": patients.sex},
    intervals=months(3).starting_on("2022-01-01"),
)
`), 0o644)
	args := []string{"generate-measures", "m.py", "--seed", "3", "--today", "2025-01-01", "--population-size", "200"}
	want, errs, code := runIn(t, dir, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if _, errs, code := runIn(t, dir, append(args, "--output", "m.arrow")...); code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	got, errs, code := runIn(t, dir, "generate-measures", "m.py", "--dummy-data-file", "m.arrow")
	if code != 0 || got != want {
		t.Errorf("exit %d %s\ngot\n%s\nwant\n%s", code, errs, got, want)
	}
	os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("measure,interval_start,interval_end\nevents,2022-01-01,2022-01-31\n"), 0o644)
	_, errs, code = runIn(t, dir, "generate-measures", "m.py", "--dummy-data-file", "bad.csv")
	if code != 11 || !strings.Contains(errs, "Missing columns in dummy data file bad.csv: ratio, numerator, denominator, sex") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
