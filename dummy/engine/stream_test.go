package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

// streamDataset is a dataset over three tables for the streaming tests.
func streamDataset(t *testing.T) *Program {
	t.Helper()
	ds := &qm.Dataset{Population: b(qm.FnOr, exists(E), exists(R)), Variables: vars{
		{Name: "sex", Series: c(P, "sex")},
		{Name: "n", Series: qm.NewFrameAggregate(qm.AggCount, E)},
		{Name: "total", Series: agg(qm.AggSum, c(E, "n"), qm.TInt)},
		{Name: "practice", Series: agg(qm.AggMax, c(R, "practice_pseudo_id"), qm.TInt)},
	}}
	p, err := Compile(ds)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func evalDir(t *testing.T, p *Program, dir string) (string, []string) {
	t.Helper()
	src, err := LoadDummyTables(p, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	if _, err := Evaluate(context.Background(), p, src, w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.String(), src.Notes
}

func writeTables(t *testing.T, dir string, tables map[string][]string) {
	t.Helper()
	for name, lines := range tables {
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Sorted tables are streamed and give the same dataset as the same rows unsorted, which
// are read into memory (with a note naming the file); rows of one patient keep file order.
func TestStreamedTablesMatchInMemory(t *testing.T) {
	p := streamDataset(t)
	sorted := map[string][]string{
		"patients":               {"patient_id,sex", "1,female", "2,male", "5,unknown"},
		"events":                 {"patient_id,n", "1,3", "1,4", "3,1", "5,", "5,2", "8,7"},
		"practice_registrations": {"patient_id,practice_pseudo_id", "2,10", "2,12", "3,9", "9,1"},
	}
	shuffled := map[string][]string{
		"patients":               {"patient_id,sex", "5,unknown", "1,female", "2,male"},
		"events":                 {"patient_id,n", "8,7", "1,3", "5,", "3,1", "1,4", "5,2"},
		"practice_registrations": {"patient_id,practice_pseudo_id", "9,1", "2,10", "3,9", "2,12"},
	}
	d1, d2 := t.TempDir(), t.TempDir()
	writeTables(t, d1, sorted)
	writeTables(t, d2, shuffled)
	got1, notes1 := evalDir(t, p, d1)
	got2, notes2 := evalDir(t, p, d2)
	want := "patient_id,sex,n,total,practice\r\n1,female,2,7,\r\n2,male,0,,12\r\n3,,1,1,9\r\n5,unknown,2,2,\r\n8,,1,7,\r\n9,,0,,1\r\n"
	if got1 != want {
		t.Errorf("streamed:\n%q\nwant\n%q", got1, want)
	}
	if got2 != got1 {
		t.Errorf("in memory:\n%q\nstreamed\n%q", got2, got1)
	}
	if len(notes1) != 0 {
		t.Errorf("sorted tables gave notes %q", notes1)
	}
	if len(notes2) != 3 || !strings.Contains(notes2[0], "not sorted by patient_id") {
		t.Errorf("notes = %q", notes2)
	}
}

// An error late in a sorted table is still reported before any row is written.
func TestStreamedTablesValidateFirst(t *testing.T) {
	p := streamDataset(t)
	dir := t.TempDir()
	writeTables(t, dir, map[string][]string{
		"patients":               {"patient_id,sex", "1,female", "2,male"},
		"events":                 {"patient_id,n", "1,3", "2,x"},
		"practice_registrations": {"patient_id,practice_pseudo_id", "1,1"},
	})
	_, err := LoadDummyTables(p, dir, "")
	if err == nil || !strings.Contains(err.Error(), "events.csv', row 2: column 'n': invalid literal") {
		t.Fatalf("err = %v", err)
	}
}

type countWriter struct {
	rows    int
	maxHeap uint64
}

func (w *countWriter) Header([]OutColumn) error { return nil }
func (w *countWriter) Close() error             { return nil }
func (w *countWriter) Row(int64, []Val) error {
	w.rows++
	if w.rows%5000 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > w.maxHeap {
			w.maxHeap = ms.HeapInuse
		}
	}
	return nil
}

// Memory while evaluating dummy tables grows with one patient's rows, not the population:
// 200,000 patients over three tables stay within a few MiB of heap.
func TestStreamedTablesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 patients")
	}
	const n = 200000
	dir := t.TempDir()
	for _, tb := range []struct {
		name, header string
		rows         func(w *bufio.Writer, id int)
	}{
		{"patients", "patient_id,sex,date_of_birth", func(w *bufio.Writer, id int) {
			fmt.Fprintf(w, "%d,%s,19%02d-01-01\n", id, []string{"female", "male"}[id%2], id%100)
		}},
		{"events", "patient_id,date,n", func(w *bufio.Writer, id int) {
			for k := 0; k < 3; k++ {
				fmt.Fprintf(w, "%d,2020-01-%02d,%d\n", id, k+1, k)
			}
		}},
		{"practice_registrations", "patient_id,start_date,practice_pseudo_id", func(w *bufio.Writer, id int) {
			fmt.Fprintf(w, "%d,2010-01-01,%d\n", id, id%50)
		}},
	} {
		f, err := os.Create(filepath.Join(dir, tb.name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.WriteString(tb.header + "\n")
		for id := 1; id <= n; id++ {
			tb.rows(w, id)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	p := streamDataset(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	src, err := LoadDummyTables(p, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := &countWriter{}
	if _, err := Evaluate(context.Background(), p, src, w); err != nil {
		t.Fatal(err)
	}
	if w.rows != n {
		t.Fatalf("rows = %d, want %d", w.rows, n)
	}
	const bound = 16 << 20
	if grow := int64(w.maxHeap) - int64(before.HeapInuse); grow > bound {
		t.Errorf("heap in use grew by %d MiB while streaming (bound %d MiB)", grow>>20, bound>>20)
	}
	t.Logf("heap in use: before %d KiB, max while streaming %d KiB", before.HeapInuse>>10, w.maxHeap>>10)
}
