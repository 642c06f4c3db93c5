package dummy

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

const expectationsDefinition = `from ehrql import create_dataset
from ehrql.tables.core import patients, clinical_events, medications, practice_registrations

dataset = create_dataset()
age = patients.age_on("2024-01-01")
dataset.define_population(practice_registrations.for_patient_on("2024-01-01").exists_for_patient() & (age >= 18))
asthma = clinical_events.where(clinical_events.snomedct_code.is_in(["195967001", "233678006"]))
dataset.has_asthma = asthma.exists_for_patient()
dataset.sex = patients.sex
dataset.age = age
bmi = clinical_events.where(clinical_events.snomedct_code == "60621009").sort_by(clinical_events.date).last_for_patient()
dataset.bmi = bmi.numeric_value
dataset.died = patients.date_of_death
dataset.n_meds = medications.count_for_patient()
dataset.dob = patients.date_of_birth
`

const expectationsSpec = `# Expected distributions for dummy data
variables:
  has_asthma:
    true_proportion: 0.12
  sex:
    categories: {female: 60, male: 40}
  age:
    distribution: {kind: normal, mean: 50, sd: 15, min: 18, max: 100}
  bmi:
    null_proportion: 0.3
    distribution: {kind: normal, mean: 27, sd: 5, min: 15, max: 50}
  died:
    null_proportion: 0.9
    dates: {from: 2020-01-01, to: 2023-12-31}
  n_meds:
    distribution: {kind: poisson, mean: 3}
`

// near is the tolerance of the issue: within 2 percentage points, or 5% relative.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 0.02 || math.Abs(got-want) <= 0.05*math.Abs(want)
}

// At 10,000 patients every stated expectation is met within the tolerance, and the values
// derived from the same rows agree (age and date of birth; deaths after birth).
func TestExpectedDistributions(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 patients")
	}
	dir := study(t, map[string]string{"analysis/d.py": expectationsDefinition, "analysis/d.dummy.yaml": expectationsSpec})
	start := time.Now()
	rows := generateCSV(t, dir, "analysis/d.py", 10000)
	t.Logf("10,000 patients in %s", time.Since(start))
	head := rows[0]
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	data := rows[1:]
	if len(data) != 10000 {
		t.Fatalf("%d rows", len(data))
	}
	n := float64(len(data))
	var asthma, female, bmiNull, died, diedEarly float64
	var ages, bmis, meds []float64
	for _, r := range data {
		if r[col["has_asthma"]] == "T" {
			asthma++
		}
		if r[col["sex"]] == "female" {
			female++
		}
		age, err := strconv.Atoi(r[col["age"]])
		if err != nil || age < 18 {
			t.Fatalf("age %q", r[col["age"]])
		}
		ages = append(ages, float64(age))
		// Derived values stay consistent: the age is the one the date of birth gives.
		dob := r[col["dob"]]
		y, _ := strconv.Atoi(dob[:4])
		if a := 2024 - y; a != age && a-1 != age {
			t.Fatalf("age %d with date of birth %s", age, dob)
		}
		if b := r[col["bmi"]]; b == "" {
			bmiNull++
		} else {
			f, _ := strconv.ParseFloat(b, 64)
			bmis = append(bmis, f)
		}
		if d := r[col["died"]]; d != "" {
			died++
			if d < "2022-01-01" {
				diedEarly++
			}
			if d < dob {
				t.Fatalf("died %s before birth %s", d, dob)
			}
		}
		m, _ := strconv.Atoi(r[col["n_meds"]])
		meds = append(meds, float64(m))
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	sd := func(xs []float64) float64 {
		m, s := mean(xs), 0.0
		for _, x := range xs {
			s += (x - m) * (x - m)
		}
		return math.Sqrt(s / float64(len(xs)))
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"has_asthma True", asthma / n, 0.12},
		{"sex female", female / n, 0.6},
		{"age mean", mean(ages), 50.3}, // the normal cut off at 18 and 100
		{"age sd", sd(ages), 14.4},
		{"bmi NULL", bmiNull / n, 0.3},
		{"bmi mean", mean(bmis), 27},
		{"bmi sd", sd(bmis), 5},
		{"died not NULL", died / n, 0.1},
		{"died before 2022", diedEarly / died, 0.5},
		{"n_meds mean", mean(meds), 3},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s: %.4f, want %.4f", c.what, c.got, c.want)
		} else {
			t.Logf("%s: %.4f (want %.4f)", c.what, c.got, c.want)
		}
	}
}

// A sidecar naming a variable the dataset does not have stops generation with the code and
// the position of the mistake.
func TestExpectationsErrors(t *testing.T) {
	dir := study(t, map[string]string{"d.py": expectationsDefinition, "d.dummy.yaml": "variables:\n  sexx:\n    null_proportion: 0.1\n"})
	err := GenerateDataset(t.Context(), Options{Definition: "d.py", WorkDir: dir, PopulationSize: 5})
	if err == nil || ExitCode(err) != ExitDefinition || !strings.Contains(err.Error(), "d.dummy.yaml:2:3: EQ102") || !strings.Contains(err.Error(), "did you mean `sex`") {
		t.Fatalf("error %v", err)
	}
}
