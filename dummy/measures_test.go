package dummy

import (
	"bytes"
	"context"
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
