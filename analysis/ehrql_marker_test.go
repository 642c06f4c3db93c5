package analysis

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/schema"
)

// Marker fixtures: each analysis/testdata/ehrql/*.py is a dataset definition whose lines
// say what must be reported on them, with comments such as
//
//	dataset.d = events.date  # @diag EQ010 "events.date"
//
// meaning: a diagnostic with code EQ010 whose range is exactly the first `events.date` on
// that line. Every diagnostic must have a marker and every marker a diagnostic. Files can
// add `# @version v0`, `# @command generate-measures` and `# @file path` (a fixture file
// such as a codelist CSV, given as `# @file codelists/x.csv: code,term|123,x` with | for
// new lines) in their header.

var markerRe = regexp.MustCompile(`@diag (\w+) "((?:[^"\\]|\\.)*)"`)
var lineMarkerRe = regexp.MustCompile(`@diagline (\w+)`)
var typeMarkerRe = regexp.MustCompile(`@type "((?:[^"\\]|\\.)*)" (\S+)`)

func TestEhrQLMarkers(t *testing.T) {
	files, _ := filepath.Glob("testdata/ehrql/*.py")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runMarkerFile(t, f) })
	}
}

func runMarkerFile(t *testing.T, f string) {
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	snap := MapSnapshot{"analysis/dataset_definition.py": text, "codelists/codelists.txt": ""}
	opts := DefinitionOptions{Version: schema.EhrQLV1, Command: "generate-dataset"}
	lines := strings.Split(text, "\n")
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "# @version "):
			opts.Version = strings.TrimSpace(strings.TrimPrefix(l, "# @version "))
		case strings.HasPrefix(l, "# @command "):
			opts.Command = strings.TrimSpace(strings.TrimPrefix(l, "# @command "))
		case strings.HasPrefix(l, "# @file "):
			spec := strings.TrimPrefix(l, "# @file ")
			name, content, _ := strings.Cut(spec, ": ")
			snap[name] = strings.ReplaceAll(content, "|", "\n") + "\n"
		}
	}
	def := AnalyzeDefinition(snap, "analysis/dataset_definition.py", opts)
	var want []string
	off := 0
	for _, l := range lines {
		for _, m := range markerRe.FindAllStringSubmatch(l, -1) {
			needle := strings.ReplaceAll(m[2], `\"`, `"`)
			i := strings.Index(l, needle)
			if i < 0 {
				t.Fatalf("marker text %q not on its line: %s", needle, l)
			}
			want = append(want, m[1]+"@"+itoa(off+i)+"-"+itoa(off+i+len(needle))+" "+needle)
		}
		for _, m := range lineMarkerRe.FindAllStringSubmatch(l, -1) {
			want = append(want, m[1]+"@"+itoa(off)+"-"+itoa(off+len(l))+" "+l)
		}
		off += len(l) + 1
	}
	var got []string
	for _, d := range def.Diagnostics {
		if d.File != "analysis/dataset_definition.py" {
			got = append(got, d.Code+"@"+d.File)
			continue
		}
		got = append(got, d.Code+"@"+itoa(d.Range.Start)+"-"+itoa(d.Range.End)+" "+text[d.Range.Start:d.Range.End])
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		var msgs []string
		for _, d := range def.Diagnostics {
			msgs = append(msgs, d.Code+" "+text[d.Range.Start:d.Range.End]+": "+d.Message)
		}
		t.Errorf("diagnostics differ\nwant:\n  %s\ngot:\n  %s\nmessages:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "), strings.Join(msgs, "\n  "))
	}
	for _, d := range def.Diagnostics {
		if d.Message == "" {
			t.Errorf("%s has no message", d.Code)
		}
	}
	// Type markers.
	off = 0
	for _, l := range lines {
		for _, m := range typeMarkerRe.FindAllStringSubmatch(l, -1) {
			needle := m[1]
			i := strings.Index(l, needle)
			if i < 0 {
				t.Fatalf("type marker text %q not on its line", needle)
			}
			r := Range{off + i, off + i + len(needle)}
			found := ""
			for _, ti := range def.Types["analysis/dataset_definition.py"] {
				if ti.Range == r {
					found = ti.Type
				}
			}
			if found != m[2] {
				t.Errorf("type of %q: got %q, want %q", needle, found, m[2])
			}
		}
		off += len(l) + 1
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestEhrQLFixesResolve applies every quick fix offered on the fixtures and checks that
// the diagnostic it was offered for goes away.
func TestEhrQLFixesResolve(t *testing.T) {
	files, _ := filepath.Glob("testdata/ehrql/*.py")
	fixed := 0
	for _, f := range files {
		src, _ := os.ReadFile(f)
		text := string(src)
		analyze := func(s string) []Diagnostic {
			snap := MapSnapshot{"analysis/dataset_definition.py": s, "codelists/codelists.txt": ""}
			return AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Version: schema.EhrQLV1, Command: "generate-dataset"}).Diagnostics
		}
		if strings.Contains(text, "# @version v0") {
			continue
		}
		before := analyze(text)
		count := func(ds []Diagnostic, code string) int {
			n := 0
			for _, d := range ds {
				if d.Code == code {
					n++
				}
			}
			return n
		}
		for _, d := range before {
			if len(d.Fixes) == 0 || d.File != "analysis/dataset_definition.py" {
				continue
			}
			after := analyze(applyEdits(text, d.Fixes[0].Edits))
			if count(after, d.Code) >= count(before, d.Code) {
				t.Errorf("%s: fix %q for %s at %q did not remove it", filepath.Base(f), d.Fixes[0].Title, d.Code, text[d.Range.Start:d.Range.End])
			}
			fixed++
		}
	}
	if fixed < 8 {
		t.Errorf("only %d fixes were offered on the fixtures", fixed)
	}
}
