package analysis

import (
	"strings"
	"testing"
)

func TestHoverProject(t *testing.T) {
	snap := MapSnapshot{"analysis/analyse.py": "", "output/table.csv": "", "output/dataset.arrow": ""}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"run key", strings.Replace(completeBase, "    run: r:v2", "    ru‸n: r:v2", 1), []string{"**run**", "The command to run"}},
		{"action id", strings.Replace(completeBase, "  analyse:", "  ana‸lyse:", 1), []string{"action `analyse`", "python:v2 python analysis/analyse.py", "needs: `generate_dataset`", "needed by: `report`"}},
		{"needs entry", strings.Replace(completeBase, "needs: [analyse]", "needs: [ana‸lyse]", 1), []string{"action `analyse`"}},
		{"image", strings.Replace(completeBase, "run: r:v2", "run: ‸r:v2", 1), []string{"**r** (OpenSAFELY image)", "Tags:", "`v2`"}},
		{"ehrql command", strings.Replace(completeBase, "generate-dataset analysis", "generate-‸dataset analysis", 1), []string{"**ehrql generate-dataset**"}},
		{"flag", strings.Replace(completeBase, "--output output", "--out‸put output", 1), []string{"**--output**"}},
		{"script", strings.Replace(completeBase, "python analysis/analyse.py", "python analysis/ana‸lyse.py", 1), []string{"`analysis/analyse.py`: in the repository"}},
		{"output path", strings.Replace(completeBase, "table: output/table.csv", "table: output/ta‸ble.csv", 1), []string{"Matches 1 file now", "`output/table.csv`"}},
		{"privacy level", strings.Replace(completeBase, "      highly_sensitive:", "      highly_‸sensitive:", 1), []string{"**highly_sensitive**"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, off := cursor(t, tt.text)
			h, ok := HoverProject(snap, ParseProject("project.yaml", text), off)
			if !ok {
				t.Fatal("no hover")
			}
			for _, w := range tt.want {
				if !strings.Contains(h.Markdown, w) {
					t.Errorf("hover lacks %q:\n%s", w, h.Markdown)
				}
			}
		})
	}
}

func TestDefinitionAndReferences(t *testing.T) {
	snap := MapSnapshot{"analysis/analyse.py": ""}
	text, off := cursor(t, strings.Replace(completeBase, "needs: [analyse]", "needs: [ana‸lyse]", 1))
	locs := DefinitionProject(snap, ParseProject("project.yaml", text), off)
	if len(locs) != 1 || string(text[locs[0].Range.Start:locs[0].Range.End]) != "analyse" || !strings.HasSuffix(string(text[:locs[0].Range.End+1]), "  analyse:") {
		t.Fatalf("definition of a need: %+v", locs)
	}
	text, off = cursor(t, strings.Replace(completeBase, "python analysis/analyse.py", "python analysis/ana‸lyse.py", 1))
	locs = DefinitionProject(snap, ParseProject("project.yaml", text), off)
	if len(locs) != 1 || locs[0].File != "analysis/analyse.py" {
		t.Fatalf("definition of a script: %+v", locs)
	}
	text, off = cursor(t, strings.Replace(completeBase, "  generate_dataset:", "  generate_‸dataset:", 1))
	refs := ReferencesProject(ParseProject("project.yaml", text), off, true)
	if len(refs) != 2 {
		t.Fatalf("references: %+v", refs)
	}
	syms := ProjectSymbols(ParseProject("project.yaml", []byte(completeBase)))
	if len(syms) != 2 || syms[1].Name != "actions" || len(syms[1].Children) != 3 || syms[1].Children[2].Name != "report" {
		t.Fatalf("symbols: %+v", syms)
	}
	lenses := CodeLenses(ParseProject("project.yaml", []byte(completeBase)))
	if len(lenses) != 5 {
		t.Fatalf("lenses: %+v", lenses)
	}
}
