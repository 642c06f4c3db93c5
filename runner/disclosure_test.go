package runner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/outputs"
)

// disclosureYAML is a study whose actions write moderately_sensitive outputs with
// disclosure problems: an unrounded count table, and a figure released without its counts.
const disclosureYAML = `version: "4.0"
actions:
  tabulate:
    run: python:v2 python analysis/tabulate.py
    outputs:
      highly_sensitive:
        raw: output/raw.csv
      moderately_sensitive:
        table: output/table.csv
  plot:
    run: python:v2 python analysis/plot.py
    outputs:
      moderately_sensitive:
        figure: output/figure.png
`

const tabulatePy = `import os
os.makedirs("output", exist_ok=True)
with open("output/raw.csv", "w") as f:
    f.write("patient_id,age_band\n1,0-17\n2,18-39\n")
with open("output/table.csv", "w") as f:
    f.write("age_band,n\n0-17,12\n18-39,3\n40+,250\n")
`

const plotPy = `import os
os.makedirs("output", exist_ok=True)
open("output/figure.png", "wb").write(b"\x89PNG\r\n\x1a\n")
`

func disclosureStudy(t *testing.T) string {
	return writeStudy(t, map[string]string{
		"project.yaml":         disclosureYAML,
		"analysis/tabulate.py": tabulatePy,
		"analysis/plot.py":     plotPy,
	})
}

func summaries(fs []Finding, kind FindingKind) []string {
	var out []string
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, fmt.Sprintf("%s %s row %d %s", f.Position(), f.Code, f.Row, f.Column))
		}
	}
	return out
}

func TestRunDisclosure(t *testing.T) {
	needPython(t)
	dir := disclosureStudy(t)
	res, log, _ := run(t, dir, Options{Actions: []string{"tabulate", "plot"}})
	if !res.OK() {
		t.Fatalf("run failed\n%s", log)
	}
	j := res.Job("tabulate")
	if j.Status != StatusSucceeded || j.Message != "Completed successfully" {
		t.Errorf("status %s: %s", j.Status, j.Message)
	}
	// The small count and the unrounded one; the highly_sensitive file with its patient_id
	// is not checked.
	want := []string{"output/table.csv:3:7 SDC010 row 2 n", "output/table.csv:2:6 SDC011 row 1 n"}
	if got := summaries(j.Findings, FindingDisclosure); !slices.Equal(got, want) {
		t.Errorf("tabulate findings %q, want %q", got, want)
	}
	if len(j.Findings) != 2 || j.Findings[0].Severity != SeverityError || j.Findings[1].Severity != SeverityWarning {
		t.Errorf("findings %+v", j.Findings)
	}
	// The figure needs a manual review and its counts.
	if got := summaries(res.Job("plot").Findings, FindingDisclosure); !slices.Equal(got, []string{"output/figure.png SDC020 row 0 ", "output/figure.png SDC022 row 0 "}) {
		t.Errorf("plot findings %q", got)
	}

	// The record keeps them, with their codes and positions.
	rec, err := ReadRecord(dir, "tabulate")
	if err != nil || rec == nil {
		t.Fatal(rec, err)
	}
	if got := summaries(rec.Findings, FindingDisclosure); !slices.Equal(got, want) {
		t.Errorf("recorded findings %q", got)
	}
	if !strings.Contains(readFile(t, dir, RecordPath("tabulate")), `"code": "SDC010"`) {
		t.Errorf("record:\n%s", readFile(t, dir, RecordPath("tabulate")))
	}
	// The log lists them after the outputs.
	logText := readFile(t, dir, LogPath("tabulate"))
	if !strings.Contains(logText, "Disclosure-control findings in moderately_sensitive outputs (osls outputs check):\n  output/table.csv:3:7 SDC010 row 2, column \"n\": 3 is a count of 7 or fewer") {
		t.Errorf("log:\n%s", logText)
	}

	// osls.yaml settings apply: an agreed exception drops the rounding finding.
	write(t, dir, "osls.yaml", "outputs:\n  files:\n    - path: output/*.csv\n      ignore: [SDC011]\n")
	res, log, _ = run(t, dir, Options{Actions: []string{"tabulate"}, ForceRunDependencies: true})
	if j = res.Job("tabulate"); j.Status != StatusSucceeded {
		t.Fatalf("%+v\n%s", j, log)
	}
	if got := summaries(j.Findings, FindingDisclosure); !slices.Equal(got, want[:1]) {
		t.Errorf("with osls.yaml: %q", got)
	}

	// A broken osls.yaml is reported, and the defaults used.
	write(t, dir, "osls.yaml", "outputs:\n  count_colums: [n]\n")
	res, _, _ = run(t, dir, Options{Actions: []string{"tabulate"}, ForceRunDependencies: true})
	j = res.Job("tabulate")
	if got := summaries(j.Findings, FindingDisclosure); len(got) != 3 || got[0] != "osls.yaml  row 0 " || !strings.Contains(j.Findings[0].Message, "default settings") {
		t.Errorf("with a broken osls.yaml: %q\n%+v", got, j.Findings)
	}
}

func TestCheckOutput(t *testing.T) {
	// The job runner's own rules keep its wording and are not reported twice.
	fs := CheckOutput("output/t.csv", strings.NewReader("patient_id,n\n1,4\n"), -1, outputsConfig())
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Kind)+" "+f.Code+" "+f.Message[:min(len(f.Message), 25)])
	}
	want := []string{"level4 SDC005 File has patient_id colum", "disclosure SDC010 row 1, column \"n\": 4 is a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A file over the size limit is not read.
	fs = CheckOutput("output/t.csv", failingReader{}, Level4MaxBytes+1, outputsConfig())
	if len(fs) != 1 || fs[0].Code != "SDC003" || fs[0].Kind != FindingLevel4 {
		t.Errorf("big file: %+v", fs)
	}
}

func outputsConfig() outputs.Config { return outputs.Config{} }

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("read") }
