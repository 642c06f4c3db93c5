package dummy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opensafely-core/osls/analysis/qm"
)

// configure_dummy_data(timeout=N) stops the generator after N seconds; as ehrQL, it warns
// (naming the population size, how many were found and a longer timeout to try) and
// writes the patients found so far, here none.
func TestGeneratorTimeout(t *testing.T) {
	dir := study(t, map[string]string{"d.py": `from ehrql import create_dataset
from ehrql.tables.core import clinical_events

dataset = create_dataset()
dataset.define_population(clinical_events.count_for_patient() > 100000)
dataset.n = clinical_events.count_for_patient()
dataset.configure_dummy_data(population_size=5, timeout=1)
`})
	var out, log bytes.Buffer
	o := Options{Definition: "d.py", WorkDir: dir, Seed: 1, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Stdout: &out, Log: &log}
	start := time.Now()
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Errorf("generation took %s, want about the 1s timeout", d)
	}
	if out.String() != "patient_id,n\r\n" {
		t.Errorf("output = %q, want the header only", out.String())
	}
	for _, want := range []string{
		"osls: warning: Failed to find 5 matching patients within 1 seconds — giving up (found 0)",
		"configure_dummy_data(timeout=2)",
		"osls: generated 0 patients",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}
