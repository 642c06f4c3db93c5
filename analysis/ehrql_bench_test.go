package analysis

import (
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/python"
	"github.com/opensafely-core/osls/internal/testgen"
)

func benchStudy() (MapSnapshot, string) {
	src := testgen.DatasetDefinition(2500)
	snap := MapSnapshot{
		"analysis/dataset_definition.py":  src,
		"analysis/codelists.py":           "from ehrql import codelist_from_csv\nasthma = codelist_from_csv('codelists/opensafely-asthma.csv', column='code')\n",
		"codelists/opensafely-asthma.csv": "code,term\n195967001,Asthma\n",
	}
	return snap, src
}

// BenchmarkAnalyzeDefinition is a full analysis of a generated 2,500-line definition with
// a helper module (target: under 50 ms).
func BenchmarkAnalyzeDefinition(b *testing.B) {
	snap, _ := benchStudy()
	b.ReportAllocs()
	for b.Loop() {
		resetPyCache()
		AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
	}
}

// BenchmarkAnalyzeDefinitionAfterEdit re-analyses after a one-character edit (target:
// under 10 ms).
func BenchmarkAnalyzeDefinitionAfterEdit(b *testing.B) {
	snap, src := benchStudy()
	AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
	edited := strings.Replace(src, "index_date = \"2023-04-01\"", "index_date = \"2023-04-02\"", 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			snap["analysis/dataset_definition.py"] = edited
		} else {
			snap["analysis/dataset_definition.py"] = src
		}
		AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
	}
}

func TestGeneratedDefinitionHasNoErrors(t *testing.T) {
	snap, src := benchStudy()
	def := AnalyzeDefinition(snap, "analysis/dataset_definition.py", DefinitionOptions{Command: "generate-dataset"})
	for _, d := range def.Diagnostics {
		if d.Severity == SeverityError && d.File == "analysis/dataset_definition.py" && !strings.HasPrefix(d.Code, "CL") {
			t.Errorf("%s at %q: %s", d.Code, src[d.Range.Start:d.Range.End], d.Message)
		}
	}
	if def.Dataset == nil || len(def.Dataset.Variables) < 50 {
		t.Errorf("the generated definition should define many columns")
	}
}

func resetPyCache() {
	pyCache.Lock()
	pyCache.m = map[string]*python.File{}
	pyCache.Unlock()
}
