package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func addSeeds(f *testing.F) {
	for _, y := range allRuleInputs() {
		f.Add([]byte(y))
	}
	for _, s := range []string{"", "\x00", "---\n---\n", "a: [\n", "a: {b: [c, {d: e}]}\n", "? x\n: y\n", "&a b: *a\n", "<<: {a: 1}\n", "%YAML 1.2\n---\na: 1\n", "a: !!binary aGk=\n", "- - - -\n", "version: '5.0'\nactions:\n  é:\n    run: \"\\u00e9\"\n"} {
		f.Add([]byte(s))
	}
}

// FuzzCheckProject feeds arbitrary bytes through the YAML layer and every rule: nothing may
// panic, and every range must lie inside the text on character boundaries.
func FuzzCheckProject(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ds := CheckProject(snapFiles, "project.yaml", data)
		for _, d := range ds {
			if d.Range.Start < 0 || d.Range.End > len(data) || d.Range.End < d.Range.Start {
				t.Fatalf("%s range %v outside text of %d bytes", d.Code, d.Range, len(data))
			}
			for _, fx := range d.Fixes {
				for _, e := range fx.Edits {
					if e.Range.Start < 0 || e.Range.End > len(data) || e.Range.End < e.Range.Start {
						t.Fatalf("%s fix range %v outside text", d.Code, e.Range)
					}
				}
			}
		}
		if utf8.Valid(data) {
			l := NewLines(data)
			for _, d := range ds {
				line, col := l.UTF16Pos(d.Range.Start)
				if back := l.OffsetUTF16(line, col); back != d.Range.Start && utf8.RuneStart(data[min(d.Range.Start, len(data)-1)]) && d.Range.Start < len(data) {
					t.Fatalf("offset %d -> %d:%d -> %d", d.Range.Start, line, col, back)
				}
			}
		}
	})
}

// FuzzSplitShell checks that splitting never panics and that raw ranges stay in bounds.
func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{"a b", `a "b c" 'd'`, `a\ b`, `"\"x\\"`, "'", `\`, "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, _ := SplitShell(s)
		for _, w := range ws {
			if w.Raw.Start < 0 || w.Raw.End > len(s) || w.Raw.Start > w.Raw.End {
				t.Fatalf("bad raw range %v", w.Raw)
			}
		}
	})
}

func largestProject(b testing.TB) []byte {
	p := filepath.Join("..", "..", "shared", "corpus", "real", "opensafely__disparities-comparison", "project.yaml")
	if d := os.Getenv("OSLS_CORPUS"); d != "" {
		p = filepath.Join(d, "opensafely__disparities-comparison", "project.yaml")
	}
	text, err := os.ReadFile(p)
	if err != nil {
		b.Skipf("largest real project.yaml not available: %v", err)
	}
	return text
}

// BenchmarkCheckLargestProject parses and checks the largest real project.yaml (2,191
// actions, 1 MB). Target: under 30 ms.
func BenchmarkCheckLargestProject(b *testing.B) {
	text := largestProject(b)
	snap := MapSnapshot{}
	cacheEnabled = false
	defer func() { cacheEnabled = true }()
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		CheckProject(snap, "project.yaml", text)
	}
}

// BenchmarkParseLargestProject measures the YAML layer alone.
func BenchmarkParseLargestProject(b *testing.B) {
	text := largestProject(b)
	cacheEnabled = false
	defer func() { cacheEnabled = true }()
	b.ReportAllocs()
	for b.Loop() {
		ParseProject("project.yaml", text)
	}
}

// TestChunkedParseMatchesWholeParse checks that the chunked parser builds the same tree as
// the whole-file parser on the largest real file.
func TestChunkedParseMatchesWholeParse(t *testing.T) {
	text := largestProject(t)
	lines := NewLines(text)
	chunked := parseChunked(text, lines)
	if chunked == nil {
		t.Fatal("the largest real file was not parsed in chunks")
	}
	whole, perr := parseOnce(text, lines)
	if perr != nil {
		t.Fatal(perr.Message)
	}
	var a, b strings.Builder
	dumpNode(&a, text, chunked, "")
	dumpNode(&b, text, whole, "")
	if a.String() != b.String() {
		t.Fatal("chunked and whole-file trees differ")
	}
}

// BenchmarkCheckLargestProjectAfterEdit is the editor's case: one action changed, the other
// chunks come from the cache.
func BenchmarkCheckLargestProjectAfterEdit(b *testing.B) {
	text := largestProject(b)
	snap := MapSnapshot{}
	CheckProject(snap, "project.yaml", text)
	edited := []byte(strings.Replace(string(text), "outputs:", "outputs: ", 1))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			CheckProject(snap, "project.yaml", edited)
		} else {
			CheckProject(snap, "project.yaml", text)
		}
	}
}

// BenchmarkRulesLargestProject measures the rules alone, on an already parsed file.
func BenchmarkRulesLargestProject(b *testing.B) {
	text := largestProject(b)
	p := ParseProject("project.yaml", text)
	snap := MapSnapshot{}
	b.ReportAllocs()
	for b.Loop() {
		CheckParsedProject(snap, p)
	}
}

// FuzzMatchOutput checks the fast matcher against the plain backtracking one.
func FuzzMatchOutput(f *testing.F) {
	f.Add("output/*a*b*.csv", "output/xaybz.csv")
	f.Add("*", "a/b")
	f.Add("a*/*b", "ax/yb")
	f.Fuzz(func(t *testing.T, p, s string) {
		if got, want := MatchOutput(p, s), matchStar(p, s, false); got != want {
			t.Fatalf("MatchOutput(%q, %q) = %v, backtracking says %v", p, s, got, want)
		}
	})
}

// FuzzAnalyzeDefinition runs arbitrary Python through the ehrQL interpreter: it must never
// panic (AnalyzeDefinition would swallow a panic; the hook turns it into a failure), and
// every diagnostic must have a range inside its file.
func FuzzAnalyzeDefinition(f *testing.F) {
	files, _ := filepath.Glob("testdata/ehrql/*.py")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("from ehrql import *\nfrom ehrql.tables.core import *\ndataset = create_dataset()\n")
	f.Fuzz(func(t *testing.T, src string) {
		panicHook = func(r any, stack []byte) { t.Fatalf("panic: %v\n%s", r, stack) }
		defer func() { panicHook = nil }()
		snap := MapSnapshot{"analysis/dataset_definition.py": src, "codelists/x.csv": "code\n1\n"}
		def := AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
		for _, d := range def.Diagnostics {
			if d.File == "analysis/dataset_definition.py" && (d.Range.Start < 0 || d.Range.End > len(src) || d.Range.End < d.Range.Start) {
				t.Fatalf("%s range %v outside %d bytes", d.Code, d.Range, len(src))
			}
		}
	})
}
