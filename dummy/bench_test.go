package dummy

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

// BenchmarkTypicalStudy generates 10,000 patients for the typical study (registration at
// the index date, alive, age, sex, a codelist condition, four tables) and evaluates it.
func BenchmarkTypicalStudy(b *testing.B) {
	dir, _ := filepath.Abs(filepath.Join("testdata", "typical"))
	for b.Loop() {
		o := Options{Definition: "analysis/dataset_definition.py", WorkDir: dir, PopulationSize: 10000, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Stdout: io.Discard}
		if err := GenerateDataset(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}
