package dummy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/opensafely-core/osls/analysis/qm"
)

// The Arrow file has the types ehrQL gives each column (spec §12.1): ints in the smallest
// type their known range fits, categorical columns as ordered dictionaries of their
// categories with a signed index, everything else plain.
func TestArrowColumnTypes(t *testing.T) {
	dir := study(t, map[string]string{"d.py": `from ehrql import create_dataset, case, when
from ehrql.tables.tpp import patients, clinical_events, addresses

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.sex = patients.sex
dataset.n_events = clinical_events.count_for_patient()
dataset.age = patients.age_on("2024-01-01")
addr = addresses.sort_by(addresses.start_date).last_for_patient()
dataset.imd = addr.imd_rounded
dataset.rural = addr.rural_urban_classification
dataset.address_type = addr.address_type
dataset.band = case(when(dataset.age < 40).then("young"), when(dataset.age >= 40).then("old"), otherwise="unknown")
dataset.flag = case(when(dataset.age < 40).then(True), otherwise=False)
dataset.dob = patients.date_of_birth
dataset.has_events = clinical_events.exists_for_patient()
`})
	o := Options{Definition: "d.py", WorkDir: dir, PopulationSize: 200, Seed: 3, Today: qm.Date{Year: 2025, Month: 1, Day: 1}, Output: "out/dataset.arrow"}
	if err := GenerateDataset(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "out", "dataset.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]string{
		"patient_id":   "int64",
		"sex":          "dictionary<values=utf8, indices=int8, ordered=true>",
		"n_events":     "uint16",
		"age":          "int64",
		"imd":          "uint16",
		"rural":        "uint8",
		"address_type": "dictionary<values=int64, indices=int8, ordered=true>",
		"band":         "dictionary<values=utf8, indices=int8, ordered=true>",
		"flag":         "dictionary<values=bool, indices=int8, ordered=true>",
		"dob":          "date32",
		"has_events":   "bool",
	}
	sch := r.Schema()
	if sch.NumFields() != len(want) {
		t.Fatalf("%d fields, want %d: %s", sch.NumFields(), len(want), sch)
	}
	for _, fd := range sch.Fields() {
		if got := fd.Type.String(); got != want[fd.Name] {
			t.Errorf("column %s: type %s, want %s", fd.Name, got, want[fd.Name])
		}
	}
	rows := 0
	sexes := map[string]int{}
	bands := map[string]int{}
	for b := 0; b < r.NumRecords(); b++ {
		rec, err := r.RecordBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		rows += int(rec.NumRows())
		for i, fd := range sch.Fields() {
			col := rec.Column(i)
			switch fd.Name {
			case "sex", "band":
				d := col.(*array.Dictionary)
				dict := d.Dictionary().(*array.String)
				if fd.Name == "sex" {
					var cats []string
					for k := 0; k < dict.Len(); k++ {
						cats = append(cats, dict.Value(k))
					}
					if got := len(cats); got != 4 || cats[0] != "female" || cats[1] != "male" {
						t.Errorf("sex dictionary %v, want ehrQL's categories in order", cats)
					}
				} else if dict.Len() != 3 || dict.Value(0) != "young" || dict.Value(1) != "old" || dict.Value(2) != "unknown" {
					t.Errorf("band dictionary has %d values", dict.Len())
				}
				for k := 0; k < d.Len(); k++ {
					if d.IsNull(k) {
						continue
					}
					v := dict.Value(d.GetValueIndex(k))
					if fd.Name == "sex" {
						sexes[v]++
					} else {
						bands[v]++
					}
				}
			case "n_events":
				c := col.(*array.Uint16)
				for k := 0; k < c.Len(); k++ {
					if c.IsNull(k) {
						t.Errorf("count is NULL")
					}
				}
			}
		}
	}
	if rows != 200 {
		t.Errorf("%d rows, want 200", rows)
	}
	if sexes["female"] == 0 || sexes["male"] == 0 {
		t.Errorf("sexes read back: %v", sexes)
	}
	if bands["young"]+bands["old"]+bands["unknown"] != 200 {
		t.Errorf("bands read back: %v", bands)
	}
	// The file reads back as a dummy data file, dictionaries and narrow ints included.
	o2 := Options{Definition: "d.py", WorkDir: dir, DummyDataFile: "out/dataset.arrow", Output: "out/again.csv"}
	if err := GenerateDataset(context.Background(), o2); err != nil {
		t.Fatalf("reading the Arrow file back: %v", err)
	}
}
