package dummy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensafely-core/osls/analysis/qm"
)

func study(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	return dir
}

func generateCSV(t *testing.T, dir, def string, size int, extra ...string) [][]string {
	t.Helper()
	var out bytes.Buffer
	o := Options{Definition: def, WorkDir: dir, PopulationSize: size, Seed: 1, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Stdout: &out, Params: extra}
	start := time.Now()
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("generation took %s", d)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n") {
		rows = append(rows, strings.Split(l, ","))
	}
	return rows
}

// A narrow population (one birth month, men, a code in one week, a registration) is
// generated without sampling blindly: exactly the requested patients, all matching.
func TestNarrowPopulation(t *testing.T) {
	dir := study(t, map[string]string{"d.py": `from ehrql import create_dataset
from ehrql.tables.core import patients, clinical_events, practice_registrations

dataset = create_dataset()
ev = clinical_events.where(clinical_events.snomedct_code == "123456789").where(clinical_events.date.is_on_or_between("2020-03-01", "2020-03-07"))
dataset.define_population(
    (patients.date_of_birth == "1970-02-01") & (patients.sex == "male") & ev.exists_for_patient()
    & practice_registrations.for_patient_on("2020-03-01").exists_for_patient()
    & patients.is_alive_on("2024-01-01")
)
dataset.dob = patients.date_of_birth
dataset.sex = patients.sex
dataset.when = ev.sort_by(ev.date).first_for_patient().date
dataset.dod = patients.date_of_death
`})
	rows := generateCSV(t, dir, "d.py", 500)
	if len(rows) != 501 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows[1:] {
		if r[1] != "1970-02-01" || r[2] != "male" || r[3] < "2020-03-01" || r[3] > "2020-03-07" || (r[4] != "" && r[4] <= "2024-01-01") {
			t.Fatalf("row outside the population: %v", r)
		}
	}
}

// Generated values respect the columns' constraints and each patient's life.
func TestGeneratedConstraints(t *testing.T) {
	dir := study(t, map[string]string{"d.py": `from ehrql import create_dataset
from ehrql.tables.tpp import patients, clinical_events, practice_registrations, addresses

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.dob = patients.date_of_birth
dataset.dod = patients.date_of_death
dataset.sex = patients.sex
dataset.first_event = clinical_events.sort_by(clinical_events.date).first_for_patient().date
dataset.last_event = clinical_events.sort_by(clinical_events.date).last_for_patient().date
reg = practice_registrations.sort_by(practice_registrations.start_date).last_for_patient()
dataset.practice = reg.practice_pseudo_id
dataset.reg_end = reg.end_date
dataset.imd = addresses.sort_by(addresses.start_date).last_for_patient().imd_rounded
dataset.msoa = addresses.sort_by(addresses.start_date).last_for_patient().msoa_code
`})
	rows := generateCSV(t, dir, "d.py", 2000)
	if len(rows) != 2001 {
		t.Fatalf("%d rows", len(rows))
	}
	sexes := map[string]bool{"female": true, "male": true, "intersex": true, "unknown": true}
	for _, r := range rows[1:] {
		dob, dod, sex, first, last, practice, regEnd, imd, msoa := r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]
		if !strings.HasSuffix(dob, "-01") || dob > "2025-01-01" || dob < "1900-01-01" {
			t.Fatalf("dob %s", dob)
		}
		if dod != "" && (dod < dob || dod >= "2025-01-01") {
			t.Fatalf("dod %s (dob %s)", dod, dob)
		}
		if !sexes[sex] {
			t.Fatalf("sex %q", sex)
		}
		end := "2025-01-01"
		if dod != "" {
			end = dod
		}
		if first != "" && (first < dob || last > end || first > last) {
			t.Fatalf("events %s..%s outside life %s..%s", first, last, dob, end)
		}
		if practice != "" && (len(practice) > 3) {
			t.Fatalf("practice %s", practice)
		}
		if regEnd != "" {
			t.Fatalf("registration end %s (generated registrations never end)", regEnd)
		}
		if imd != "" && !strings.HasSuffix(imd, "00") && imd != "0" {
			t.Fatalf("imd %s", imd)
		}
		if msoa != "" && (len(msoa) != 9 || !strings.HasPrefix(msoa, "E020")) {
			t.Fatalf("msoa %s", msoa)
		}
	}
}

// Codes compared with is_in, == and contains appear in the data.
func TestCodesAppear(t *testing.T) {
	dir := study(t, map[string]string{
		"codes.csv": "code\n111111111\n222222222\n",
		"d.py": `from ehrql import create_dataset, codelist_from_csv
from ehrql.tables.core import patients, clinical_events
from ehrql.tables.tpp import apcs
cl = codelist_from_csv("codes.csv", column="code")
dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.listed = clinical_events.where(clinical_events.snomedct_code.is_in(cl)).exists_for_patient()
dataset.eq = clinical_events.where(clinical_events.snomedct_code == "333333333").exists_for_patient()
dataset.diag = apcs.where(apcs.all_diagnoses.contains("J45")).exists_for_patient()
`})
	rows := generateCSV(t, dir, "d.py", 400)
	count := make([]int, 4)
	for _, r := range rows[1:] {
		for i := 1; i <= 3; i++ {
			if r[i] == "T" {
				count[i]++
			}
		}
	}
	for i := 1; i <= 3; i++ {
		if count[i] < 40 {
			t.Errorf("%s true for only %d of 400 patients", rows[0][i], count[i])
		}
	}
}
