package dummy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const measuresDef = `from ehrql import create_measures, months, INTERVAL
from ehrql.tables.core import patients, clinical_events

measures = create_measures()
measures.configure_disclosure_control(enabled=False)
has_event = clinical_events.where(clinical_events.date.is_during(INTERVAL)).exists_for_patient()
measures.define_measure(
    name="events",
    numerator=has_event,
    denominator=patients.exists_for_patient(),
    group_by={"sex": patients.sex},
    intervals=months(2).starting_on("2022-01-01"),
)
`

// Measures over hand-made tables: sums per interval and group, ratio, rows by first
// appearance of each group.
func TestMeasuresDummyTables(t *testing.T) {
	dir := study(t, map[string]string{
		"m.py":                  measuresDef,
		"t/patients.csv":        "patient_id,sex\n1,male\n2,female\n3,male\n",
		"t/clinical_events.csv": "patient_id,date\n1,2022-01-05\n3,2022-02-05\n3,2022-02-06\n2,2021-01-01\n",
	})
	var out bytes.Buffer
	if err := GenerateMeasures(context.Background(), Options{Definition: "m.py", WorkDir: dir, DummyTables: "t", Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	want := "measure,interval_start,interval_end,ratio,numerator,denominator,sex\r\n" +
		"events,2022-01-01,2022-01-31,0.5,1,2,male\r\n" +
		"events,2022-01-01,2022-01-31,0.0,0,1,female\r\n" +
		"events,2022-02-01,2022-02-28,0.5,1,2,male\r\n" +
		"events,2022-02-01,2022-02-28,0.0,0,1,female\r\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestRoundingDisclosure(t *testing.T) {
	for n, want := range map[int64]int64{0: 0, 7: 0, 8: 10, 12: 10, 13: 15, 100: 100, 102: 100, 103: 105} {
		if got := roundForTest(n); got != want {
			t.Errorf("round(%d) = %d, want %d", n, got, want)
		}
	}
}

// A --dummy-data-file for measures is checked against ehrQL's column specs and copied,
// with disclosure control applied when the definition has it on.
func TestMeasuresDummyDataFile(t *testing.T) {
	good := "measure,interval_start,interval_end,ratio,numerator,denominator,sex,extra\n" +
		"events,2022-01-01,2022-01-31,0.5,1,2,male,x\n" +
		"events,2022-02-01,2022-02-28,,0,0,,y\n"
	dir := study(t, map[string]string{
		"m.py":        measuresDef,
		"sdc.py":      strings.Replace(measuresDef, "enabled=False", "enabled=True", 1),
		"good.csv":    good,
		"big.csv":     "measure,interval_start,interval_end,ratio,numerator,denominator,sex\nevents,2022-01-01,2022-01-31,0.3,12,40,female\n",
		"missing.csv": "measure,interval_start,interval_end,ratio,numerator\nevents,2022-01-01,2022-01-31,0.5,1\n",
		"badname.csv": "measure,interval_start,interval_end,ratio,numerator,denominator,sex\nother,2022-01-01,2022-01-31,0.5,1,2,male\n",
		"badsex.csv":  "measure,interval_start,interval_end,ratio,numerator,denominator,sex\nevents,2022-01-01,2022-01-31,0.5,1,2,man\n",
		"nodate.csv":  "measure,interval_start,interval_end,ratio,numerator,denominator,sex\nevents,2022-01-01,2022-01-31,0.5,1,2,male\nevents,,2022-01-31,0.5,1,2,male\n",
		"badint.csv":  "measure,interval_start,interval_end,ratio,numerator,denominator,sex\nevents,2022-01-01,2022-01-31,0.5,one,2,male\n",
	})
	run := func(def, file string, extra ...string) (string, error) {
		var out bytes.Buffer
		o := Options{Definition: def, WorkDir: dir, DummyDataFile: file, Stdout: &out}
		if len(extra) > 0 {
			o.Output = extra[0]
		}
		err := GenerateMeasures(context.Background(), o)
		return out.String(), err
	}
	got, err := run("m.py", "good.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := "measure,interval_start,interval_end,ratio,numerator,denominator,sex\r\n" +
		"events,2022-01-01,2022-01-31,0.5,1,2,male\r\n" +
		"events,2022-02-01,2022-02-28,,0,0,\r\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	got, err = run("sdc.py", "big.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := "events,2022-01-01,2022-01-31,0.25,10,40,female\r\n"; !strings.HasSuffix(got, want) {
		t.Errorf("with disclosure control got\n%q\nwant suffix %q", got, want)
	}
	// DIR:EXT: one file per measure, as for generated measures.
	if _, err := run("m.py", "good.csv", "out:csv"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "measure_events.csv")); err != nil || string(b) != want {
		t.Errorf("out/measure_events.csv = %q, %v", b, err)
	}
	for file, msg := range map[string]string{
		"missing.csv": "Missing columns in dummy data file missing.csv: denominator, sex",
		"badname.csv": "'badname.csv', row 1: column 'measure': 'other' not in valid categories: 'events'",
		"badsex.csv":  "'badsex.csv', row 1: column 'sex': 'man' not in valid categories",
		"nodate.csv":  "'nodate.csv', row 2: column 'interval_start': NULL values are not allowed",
		"badint.csv":  "'badint.csv', row 1: column 'numerator': invalid literal for int() with base 10: 'one'",
		"absent.csv":  "Missing file: absent.csv",
	} {
		_, err := run("m.py", file)
		if err == nil || !strings.Contains(err.Error(), msg) || ExitCode(err) != ExitValidation {
			t.Errorf("%s: err = %v (exit %d), want %q with exit 11", file, err, ExitCode(err), msg)
		}
	}
}
