package analysis

import (
	"slices"
	"strings"
	"testing"
)

// cursor removes the first "‸" from s and returns the text and its byte offset.
func cursor(t *testing.T, s string) ([]byte, int) {
	t.Helper()
	i := strings.Index(s, "‸")
	if i < 0 {
		t.Fatalf("no cursor in %q", s)
	}
	return []byte(s[:i] + s[i+len("‸"):]), i
}

func labels(cs []Completion) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label)
	}
	return out
}

const completeBase = `version: '5.0'
actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow
    outputs:
      highly_sensitive:
        dataset: output/dataset.arrow
  analyse:
    run: python:v2 python analysis/analyse.py
    needs: [generate_dataset]
    outputs:
      moderately_sensitive:
        table: output/table.csv
  report:
    run: r:v2 analysis/report.R
    needs: [analyse]
    outputs:
      moderately_sensitive:
        report: output/report.html
`

func TestCompleteProject(t *testing.T) {
	snap := MapSnapshot{
		"analysis/dataset_definition.py": "",
		"analysis/analyse.py":            "",
		"analysis/report.R":              "",
		"output/dataset.arrow":           "",
	}
	tests := []struct {
		name      string
		text      string
		want      []string
		notWant   []string
		wantExact bool
	}{
		{"top-level key", "version: '5.0'\n‸\nactions: {}\n", []string{"expectations"}, []string{"version", "actions"}, false},
		{"action keys", strings.Replace(completeBase, "    needs: [analyse]\n", "    ‸\n", 1), []string{"needs", "config", "dummy_data_file"}, []string{"run", "outputs"}, false},
		{"half-typed key", strings.Replace(completeBase, "    needs: [analyse]\n", "    ne‸\n", 1), []string{"needs"}, nil, false},
		{"privacy levels", strings.Replace(completeBase, "        report: output/report.html\n", "        report: output/report.html\n      ‸\n", 1), []string{"highly_sensitive", "minimally_sensitive"}, []string{"moderately_sensitive"}, false},
		{"new action", completeBase + "  ‸", []string{"new action"}, nil, false},
		{"image", completeBase + "  new:\n    run: ‸\n", []string{"ehrql:v1", "python:v2", "r:v2"}, nil, false},
		{"tag", completeBase + "  new:\n    run: python:‸\n", []string{"v1", "v2"}, []string{"ehrql:v1"}, false},
		{"ehrql subcommand", completeBase + "  new:\n    run: ehrql:v1 ‸\n", []string{"generate-dataset", "generate-measures"}, nil, false},
		{"ehrql flags", completeBase + "  new:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --‸\n", []string{"--output", "--dummy-data-file"}, nil, false},
		{"script files", completeBase + "  new:\n    run: python:v2 python ‸\n", []string{"analysis/analyse.py", "analysis/dataset_definition.py"}, []string{"analysis/report.R", "output/dataset.arrow"}, false},
		{"dataset definition", completeBase + "  new:\n    run: ehrql:v1 generate-dataset ana‸\n", []string{"analysis/dataset_definition.py"}, nil, false},
		{"needs flow", strings.Replace(completeBase, "needs: [analyse]", "needs: [analyse, ‸]", 1), []string{"generate_dataset"}, []string{"report", "analyse"}, true},
		{"needs no cycle", strings.Replace(completeBase, "needs: [generate_dataset]", "needs: [generate_dataset, ‸]", 1), nil, []string{"report", "analyse", "generate_dataset"}, true},
		{"needs block", strings.Replace(completeBase, "    needs: [analyse]\n", "    needs:\n      - analyse\n      - ‸\n", 1), []string{"generate_dataset"}, []string{"report", "analyse"}, true},
		{"needs in broken yaml", completeBase + "  new:\n    run: python:v2 x.py\n    needs: [‸\n    outputs: {\n", []string{"generate_dataset", "analyse", "report"}, []string{"new"}, true},
		{"continued run line", completeBase + "  new:\n    run: ehrql:v1 generate-dataset\n      analysis/dataset_definition.py --‸\n", []string{"--output"}, nil, false},
		{"folded run line", completeBase + "  new:\n    run: >\n      python:v2 python ‸\n", []string{"analysis/analyse.py"}, nil, false},
		{"version value", "version: ‸\n", []string{"'5.0'"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, off := cursor(t, tt.text)
			got := labels(CompleteProject(snap, ParseProject("project.yaml", text), off))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %v", w, got)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(got, w) {
					t.Errorf("unexpected %q in %v", w, got)
				}
			}
			if tt.wantExact && len(got) != len(tt.want) {
				t.Errorf("got %v, want exactly %v", got, tt.want)
			}
		})
	}
}

func TestCompleteReplaceRange(t *testing.T) {
	text, off := cursor(t, completeBase+"  new:\n    run: python:v‸\n")
	cs := CompleteProject(nil, ParseProject("project.yaml", text), off)
	if len(cs) == 0 {
		t.Fatal("no completions")
	}
	if got := string(text[cs[0].Replace.Start:cs[0].Replace.End]); got != "v" {
		t.Errorf("replaces %q, want the typed part of the tag %q", got, "v")
	}
}
