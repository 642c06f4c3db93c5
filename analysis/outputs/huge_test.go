package outputs

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// repeatReader yields line over and over until total bytes have been read.
type repeatReader struct {
	line  []byte
	total int64
	done  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.done >= r.total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.done < r.total {
		k := copy(p[n:], r.line[int(r.done%int64(len(r.line))):])
		if rem := r.total - r.done; int64(k) > rem {
			k = int(rem)
		}
		n += k
		r.done += int64(k)
	}
	return n, nil
}

// csvGenerator produces a CSV of rows data rows on the fly: a label, two rounded counts and a
// percentage; every 100000th row has an unrounded count.
type csvGenerator struct {
	rows, next int
	buf        []byte
	header     bool
}

func (g *csvGenerator) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && (g.next < g.rows || !g.header) {
		if !g.header {
			g.buf = append(g.buf, "group,n,events,pct\r\n"...)
			g.header = true
			continue
		}
		g.next++
		n := (g.next % 1000) * 5
		if g.next%100000 == 0 {
			n = 1234
		}
		g.buf = fmt.Appendf(g.buf, "\"group %d, \"\"x\"\"\",%d,%d,%.2f\r\n", g.next, n+10, n+20, float64(g.next%100)/3)
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	k := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[k:])]
	return k, nil
}

// TestHugeCSVStreamed checks a generated CSV of 2 million rows (about 70 MB) and asserts that
// the heap stays far below the file's size, and that the row limit and the scattered
// unrounded counts are reported.
func TestHugeCSVStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("huge file")
	}
	const rows = 2_000_000
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	gen := &csvGenerator{rows: rows}
	rep := Inspect("output/huge.csv", gen, -1, Config{})
	close(stop)
	wg.Wait()

	if rep.Rows != rows {
		t.Errorf("rows = %d, want %d", rep.Rows, rows)
	}
	size := rep.Size
	if size < 60<<20 {
		t.Fatalf("generated only %d bytes", size)
	}
	grew := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("file %d MB, peak heap growth %d MB", size>>20, grew>>20)
	if grew > 40<<20 {
		t.Errorf("heap grew by %d MB while streaming a %d MB file", grew>>20, size>>20)
	}
	g := strings.Join(got(rep.Findings), "|")
	for _, want := range []string{"SDC003", "SDC004 r5001", "SDC011 r100000 n"} {
		if !strings.Contains(g, want) {
			t.Errorf("findings %s lack %s", g, want)
		}
	}
	for _, f := range rep.Findings {
		if f.Code == "SDC004" && !strings.Contains(f.Message, fmt.Sprint(rows)) {
			t.Errorf("row-limit message does not give the row count: %s", f.Message)
		}
	}
}

// TestLongLineStops checks that a line without a newline does not make the check buffer the
// whole file.
func TestLongLineStops(t *testing.T) {
	r := io.MultiReader(strings.NewReader("n\n"), &repeatReader{line: []byte("1"), total: maxLineBytes + 100})
	fs := CheckFile("t.csv", r, -1, Config{})
	if g := got(fs); !contains(g, "SDC008") {
		t.Errorf("got %v", g)
	}
}

// BenchmarkCheckCSV100k checks a 100 000-row CSV.
func BenchmarkCheckCSV100k(b *testing.B) {
	var sb strings.Builder
	gen := &csvGenerator{rows: 100_000}
	if _, err := io.Copy(&sb, gen); err != nil {
		b.Fatal(err)
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		CheckFile("output/t.csv", strings.NewReader(text), int64(len(text)), Config{})
	}
}
