package outputs

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opensafely-core/osls/analysis"
)

const projectYAML = `version: '4.0'
actions:
  plot_only:
    run: python:v2 python plot.py
    outputs:
      moderately_sensitive:
        figure: output/plots/*.png
  table:
    run: python:v2 python table.py
    outputs:
      highly_sensitive:
        data: output/data.csv
      moderately_sensitive:
        table: output/table.csv
        figure: output/table.png
        missing: output/missing_*.csv
`

func TestCheckProject(t *testing.T) {
	fsys := fstest.MapFS{
		"project.yaml":         {Data: []byte(projectYAML)},
		"output/plots/a.png":   {Data: []byte("png")},
		"output/plots/b.png":   {Data: []byte("png")},
		"output/plots/c.txt":   {Data: []byte("not declared")},
		"output/table.csv":     {Data: []byte("group,n\na,3\nb,10\n")},
		"output/table.png":     {Data: []byte("png")},
		"output/data.csv":      {Data: []byte("patient_id,age\n1,2\n")},
		"metadata/table.log":   {Data: []byte("log")},
		"output/sub/table.csv": {Data: []byte("n\n1\n")},
	}
	p := analysis.ParseProject("project.yaml", fsys["project.yaml"].Data)
	rep, err := CheckProject(fsys, p, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, fr := range rep.Files {
		files = append(files, fr.Action+":"+fr.Path)
	}
	if got := strings.Join(files, " "); got != "plot_only:output/plots/a.png plot_only:output/plots/b.png table:output/table.csv table:output/table.png" {
		t.Errorf("files: %s", got)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Pattern != "output/missing_*.csv" {
		t.Errorf("missing: %+v", rep.Missing)
	}
	// SDC022: images of an action without a CSV, not those of an action with one.
	for _, fr := range rep.Files {
		has := strings.Contains(strings.Join(got(fr.Findings), "|"), "SDC022")
		if want := fr.Action == "plot_only"; has != want {
			t.Errorf("%s: SDC022 reported %v, want %v", fr.Path, has, want)
		}
	}
	ds := ProjectDiagnostics(p, rep)
	if len(ds) != 3 {
		t.Fatalf("project diagnostics: %+v", ds)
	}
	for _, d := range ds {
		if d.File != "project.yaml" || d.Range.Empty() {
			t.Errorf("diagnostic not on an output path: %+v", d)
		}
		if strings.Contains(d.Message, "output/table.csv") && (d.Code != "SDC010" || d.Severity != analysis.SeverityError) {
			t.Errorf("table.csv diagnostic: %+v", d)
		}
		text := projectYAML[d.Range.Start:d.Range.End]
		if !strings.HasPrefix(text, "output/") {
			t.Errorf("range covers %q", text)
		}
	}

	// Only the named actions; an unknown one is an error.
	rep, err = CheckProject(fsys, p, []string{"table"}, Config{})
	if err != nil || len(rep.Files) != 2 {
		t.Errorf("table only: %v %v", rep, err)
	}
	if _, err := CheckProject(fsys, p, []string{"nope"}, Config{}); err == nil {
		t.Error("unknown action: no error")
	}
	fs, err := CheckProjectOutputs("/nonexistent", p, nil, Config{})
	if err != nil || len(fs) != 0 {
		t.Errorf("missing root: %v %v", fs, err)
	}
}

func TestSummary(t *testing.T) {
	fsys := fstest.MapFS{
		"output/table.csv": {Data: []byte("sex,n,events_midpoint6\nF,10,3\nM,15,9\nTotal,25,15\n")},
		"output/table.png": {Data: []byte("png")},
	}
	p := analysis.ParseProject("project.yaml", []byte(projectYAML))
	rep, err := CheckProject(fsys, p, []string{"table"}, Config{Files: []FileConfig{{Path: "output/table.csv", Description: "Patients by sex."}}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Summary(&b, p, rep, Config{Files: []FileConfig{{Path: "output/table.csv", Description: "Patients by sex."}}}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"## output/table.csv", "Patients by sex.", "action `table`", "A table of 3 rows and 3 columns",
		"rounded to the nearest 5. Verified by osls on this file for `n`",
		"midpoint-6 rounded", "Verified by osls on this file for `events_midpoint6`",
		"Totals are the sums", "## output/table.png", "checked by eye", "`output/missing_*.csv`",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
