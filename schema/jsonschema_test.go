package schema

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

// corpusDir holds real studies' project.yaml files, outside this repository.
const corpusDir = "../../shared/corpus/real"

// knownInvalid are the real projects that the pipeline library itself
// rejects (spec/project-yaml.md §12), each with the output path at fault.
// The schema must reject exactly these, and for that path.
var knownInvalid = map[string]struct{ reason, path string }{
	"opensafely__covid-ve-change-over-time":     {"moderately_sensitive .feather file", "analysis/dummy_data_vax.feather"},
	"opensafely__deaths-at-home-covid19":        {"moderately_sensitive .pdf files", ".pdf"},
	"opensafely__med-safety-PoC":                {"moderately_sensitive .sql file", "output/ce2/sql/generated_sql_*.sql"},
	"opensafely__openprompt-cohort-profile":     {"moderately_sensitive .pdf files", ".pdf"},
	"opensafely__openprompt-vaccine-long-covid": {"moderately_sensitive .pdf files", ".pdf"},
	"opensafely__winter-pressures":              {"moderately_sensitive .xml file", "output/pytest.xml"},
	"opensafely__medication-reviews":            {"pattern ending in `.*` has no file extension", "deciles_*_*.*"},
	"opensafely__pincer-measures":               {"pattern without an extension", "output/numerator_*_distribution*"},
}

// compile returns the validator for the generated schema.
func compile(t *testing.T) *validator.Schema {
	t.Helper()
	b, err := ProjectJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

// yamlInstance converts a YAML document into a value the validator takes.
func yamlInstance(t *testing.T, src []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatalf("converting YAML: %v", err)
	}
	v, err := validator.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatalf("reading converted JSON: %v\n%s", err, j)
	}
	return v
}

func TestSchemaCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "project.yaml"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s", corpusDir)
	}
	sch := compile(t)
	seen := map[string]bool{}
	for _, f := range files {
		repo := filepath.Base(filepath.Dir(f))
		t.Run(repo, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(yamlInstance(t, src))
			want, bad := knownInvalid[repo]
			switch {
			case bad && err == nil:
				t.Errorf("schema accepts a project the pipeline rejects (%s)", want.reason)
			case bad && !strings.Contains(err.Error(), want.path):
				t.Errorf("schema rejects the project, but not for %s (%s):\n%v", want.path, want.reason, err)
			case !bad && err != nil:
				t.Errorf("schema rejects a valid project:\n%v", err)
			}
			seen[repo] = true
		})
	}
	for repo := range knownInvalid {
		if !seen[repo] {
			t.Errorf("knownInvalid names %s, which is not in the corpus", repo)
		}
	}
}
