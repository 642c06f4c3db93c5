package schema

import (
	"bytes"
	"encoding/json"
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

// project builds a small project.yaml around the given version line and
// actions block (indented by two spaces under `actions:`).
func project(version, actions string) string {
	return version + "\nactions:\n" + actions
}

// action is a valid action body with one moderately_sensitive output.
const action = `  a:
    run: python:v2 python analysis/a.py
    outputs:
      moderately_sensitive:
        table: output/a.csv
`

func TestSchemaAccepts(t *testing.T) {
	sch := compile(t)
	tests := map[string]string{
		"minimal v5":                        project("version: '5.0'", action),
		"version number":                    project("version: 5", action),
		"version float":                     project("version: 4.0", action),
		"version string int":                project(`version: "5"`, action),
		"version non-integer":               project("version: 2.5", action),
		"no actions":                        "version: '5.0'\nactions: {}\n",
		"v3 with expectations":              project("version: '3.0'\nexpectations:\n  population_size: 1000", action),
		"v3 quoted population":              project("version: 3\nexpectations:\n  population_size: '1000'", action),
		"v3.5 without expectations":         project("version: 3.5", action),
		"v2 ignores expectations":           project("version: 2\nexpectations: whatever", action),
		"v4 null expectations":              project("version: '4.0'\nexpectations:", action),
		"v4 run_all and latest":             project("version: '4.0'", "  run_all:\n    run: r:latest analysis/a.R\n    outputs:\n      highly_sensitive:\n        x: output/x.rds\n"),
		"v3 cohortextractor":                project("version: '3.0'\nexpectations:\n  population_size: 10", "  c:\n    run: cohortextractor:latest generate_cohort --study-definition s\n    outputs:\n      highly_sensitive:\n        cohort: output/input.csv\n"),
		"needs flow":                        project("version: '5.0'", action+"  b:\n    run: r:v2 analysis/b.R\n    needs: [a]\n    outputs:\n      moderately_sensitive:\n        fig: output/b.png\n"),
		"needs block":                       project("version: '5.0'", action+"  b:\n    run: r:v2 analysis/b.R\n    needs:\n      - a\n    outputs:\n      moderately_sensitive:\n        fig: output/b.png\n"),
		"needs null and empty":              project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    needs:\n    outputs:\n      highly_sensitive:\n        x: output/x.rds\n  b:\n    run: r:v2 b.R\n    needs: []\n    outputs:\n      highly_sensitive:\n        y: output/y.rds\n"),
		"folded run":                        project("version: '5.0'", "  a:\n    run: >\n      ehrql:v1 generate-dataset analysis/dd.py\n      --output output/dataset.arrow\n    outputs:\n      highly_sensitive:\n        dataset: output/dataset.arrow\n"),
		"plain multi-line run":              project("version: '5.0'", "  a:\n    run: ehrql:v1\n      generate-dataset analysis/dd.py --output output/d.csv.gz\n    outputs:\n      highly_sensitive:\n        dataset: output/d.csv.gz\n"),
		"literal run":                       project("version: '5.0'", "  a:\n    run: |\n      python:v2 python a.py\n    outputs:\n      highly_sensitive:\n        x: output/x.arrow\n"),
		"tag forms":                         project("version: '5.0'", "  a:\n    run: python:v1.2-pre a.py\n    outputs:\n      highly_sensitive:\n        x: output/x.arrow\n  b:\n    run: python:dev b.py\n    outputs:\n      highly_sensitive:\n        y: output/y.arrow\n  c:\n    run: cox-ipw:v0.0.41 --df_input=x.arrow\n    outputs:\n      highly_sensitive:\n        z: output/z.arrow\n"),
		"reusable action config":            project("version: '5.0'", "  m:\n    run: matching:v1.2.4 --cases output/c.arrow --controls output/k.arrow\n    config:\n      matches_per_case: 3\n      match_variables: {sex: category, age: 5}\n    outputs:\n      highly_sensitive:\n        cases: output/matched_cases.arrow\n      moderately_sensitive:\n        report: output/matching_report.txt\n"),
		"null level beside another":         project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive:\n      moderately_sensitive:\n        t: output/t.csv\n"),
		"empty levels":                      project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive: {}\n"),
		"unusual but valid paths":           project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      moderately_sensitive:\n        a: output/a.b.c.txt\n        b: output/my table.csv\n        c: output/plot_*_by_*.png\n        d: output/metadata/x.json\n        e: metadata_x.md\n        f: output/..x/y.log\n      highly_sensitive:\n        g: output/x.csv.gz\n        h: output/dir/*.arrow\n"),
		"generate-dataset empty moderately": project("version: '5.0'", "  a:\n    run: ehrql:v1 generate-dataset dd.py --output output/d.arrow\n    outputs:\n      highly_sensitive:\n        d: output/d.arrow\n      moderately_sensitive: {}\n"),
		"generate-measures moderately":      project("version: '5.0'", "  a:\n    run: ehrql:v1 generate-measures m.py --output output/m.csv\n    outputs:\n      moderately_sensitive:\n        m: output/m.csv\n"),
		"dummy_data_file and config null":   project("version: '3.0'\nexpectations:\n  population_size: 10", "  a:\n    run: cohortextractor:latest generate_cohort\n    dummy_data_file: dummy.csv\n    config:\n    outputs:\n      highly_sensitive:\n        c: output/input.csv\n"),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if err := sch.Validate(yamlInstance(t, []byte(src))); err != nil {
				t.Errorf("rejected:\n%s\n%v", src, err)
			}
		})
	}
}

func TestSchemaRejects(t *testing.T) {
	sch := compile(t)
	// withRun is a version 5 project with one action running cmd.
	withRun := func(cmd string) string {
		return project("version: '5.0'", "  a:\n    run: "+cmd+"\n    outputs:\n      highly_sensitive:\n        x: output/x.arrow\n")
	}
	// withPath is a version 5 project declaring one output at level.
	withPath := func(level, path string) string {
		return project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      "+level+":\n        x: '"+path+"'\n")
	}
	// withAction is a version 5 project with the valid action a and a
	// second action b with the given extra lines.
	withAction := func(extra string) string {
		return project("version: '5.0'", action+"  b:\n    run: r:v2 b.R\n"+extra+"    outputs:\n      highly_sensitive:\n        y: output/y.rds\n")
	}
	const (
		run     = "at '/actions/a/run'"
		path    = "at '/actions/a/outputs/"
		l4      = "does not match pattern '\\\\.(csv|"
		version = "at '/version'"
		needs   = "at '/actions/b/needs"
	)
	// Each case gives the document and a piece of the validator's message
	// that shows it was rejected for the intended reason.
	tests := map[string]struct{ src, want string }{
		"empty document":               {"", "got null, want object"},
		"not a mapping":                {"- a\n- b\n", "got array, want object"},
		"unknown top-level key":        {project("version: '5.0'\nactoins: {}", action), "additional properties 'actoins'"},
		"unknown action key":           {project("version: '5.0'", action+"    need: [b]\n"), "additional properties 'need'"},
		"unknown privacy level":        {withPath("moderatly_sensitive", "output/a.csv"), "additional properties 'moderatly_sensitive'"},
		"no version":                   {"actions:\n" + action, "missing property 'version'"},
		"null version":                 {project("version:", action), version},
		"version v5":                   {project("version: v5", action), version},
		"version 5.0.0":                {project("version: 5.0.0", action), version},
		"version 6":                    {project("version: 6", action), version},
		"version '6.0'":                {project("version: '6.0'", action), version},
		"version 0":                    {project("version: 0", action), version},
		"version bool":                 {project("version: true", action), version},
		"version list":                 {project("version: [5]", action), version},
		"no actions":                   {"version: '5.0'\n", "missing property 'actions'"},
		"actions list":                 {"version: '5.0'\nactions: [a]\n", "at '/actions': got array, want object"},
		"action null":                  {project("version: '5.0'", "  a:\n"), "at '/actions/a': got null, want object"},
		"action missing run":           {project("version: '5.0'", "  a:\n    outputs:\n      highly_sensitive:\n        x: output/x.csv\n"), "missing property 'run'"},
		"action missing outputs":       {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n"), "missing property 'outputs'"},
		"outputs empty":                {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs: {}\n"), "missing property 'highly_sensitive'"},
		"outputs all null":             {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive:\n"), "at '/actions/a/outputs/highly_sensitive': got null, want object"},
		"outputs list":                 {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      - output/x.csv\n"), "at '/actions/a/outputs': got array, want object"},
		"level is a list":              {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive:\n        - output/x.csv\n"), "at '/actions/a/outputs/highly_sensitive': 'oneOf' failed"},
		"path not a string":            {project("version: '5.0'", "  a:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive:\n        x: 12\n"), "at '/actions/a/outputs/highly_sensitive/x': got number, want string"},
		"run empty":                    {withRun("''"), run},
		"run number":                   {withRun("12"), run},
		"run without tag":              {withRun("python analysis/x.py"), run},
		"run empty tag":                {withRun("'python: x.py'"), run},
		"run tag v":                    {withRun("python:v x.py"), run},
		"run tag upper case":           {withRun("python:V2 x.py"), run},
		"run tag stable":               {withRun("python:stable x.py"), run},
		"run tag v1x1":                 {withRun("python:v1x1 x.py"), run},
		"run tag second colon":         {withRun("python:v2:slim x.py"), run},
		"run placeholder tag":          {withRun("matching:[version] --cases c.csv"), run},
		"needs string with space":      {withAction("    needs: a b\n"), needs},
		"needs string":                 {withAction("    needs: a\n"), needs},
		"needs entry with space":       {withAction("    needs: [a b]\n"), needs + "/0'"},
		"needs entry not a string":     {withAction("    needs: [1]\n"), needs + "/0'"},
		"config not a mapping":         {withAction("    config: x\n"), "at '/actions/b/config'"},
		"dummy_data_file number":       {withAction("    dummy_data_file: 3\n"), "at '/actions/b/dummy_data_file'"},
		"moderately pdf":               {withPath("moderately_sensitive", "output/plot.pdf"), l4},
		"moderately csv.gz":            {withPath("moderately_sensitive", "output/table.csv.gz"), l4},
		"moderately upper case PNG":    {withPath("moderately_sensitive", "output/plot.PNG"), l4},
		"moderately tsv":               {withPath("moderately_sensitive", "output/t.tsv"), l4},
		"path back slash":              {withPath("highly_sensitive", `output\x.csv`), path},
		"path double star":             {withPath("highly_sensitive", "output/**/x.csv"), path},
		"path question mark":           {withPath("highly_sensitive", "output/x?.csv"), path},
		"path bracket":                 {withPath("highly_sensitive", "output/x[12].csv"), path},
		"path no extension":            {withPath("highly_sensitive", "output/results"), path},
		"path star only":               {withPath("highly_sensitive", "output/*"), path},
		"path star extension":          {withPath("highly_sensitive", "output/results.*"), path},
		"path extension ends in star":  {withPath("highly_sensitive", "output/results.c*"), path},
		"path dot file":                {withPath("highly_sensitive", "output/.csv"), path},
		"path trailing dot":            {withPath("highly_sensitive", "output/file."), path},
		"path dot slash":               {withPath("highly_sensitive", "./output/x.csv"), path},
		"path double slash":            {withPath("highly_sensitive", "output//x.csv"), path},
		"path dot dot inside":          {withPath("highly_sensitive", "output/../x.csv"), path},
		"path dot inside":              {withPath("highly_sensitive", "output/./x.csv"), path},
		"path trailing slash":          {withPath("highly_sensitive", "output/x.csv/"), path},
		"path leading dot dot":         {withPath("highly_sensitive", "../x.csv"), path},
		"path metadata":                {withPath("highly_sensitive", "metadata/x.log"), path},
		"path absolute":                {withPath("highly_sensitive", "/tmp/x.csv"), path},
		"path windows absolute":        {withPath("highly_sensitive", "C:/x.csv"), path},
		"v3 without expectations":      {project("version: '3.0'", action), "missing property 'expectations'"},
		"v3 expectations not mapping":  {project("version: '3.0'\nexpectations: 1000", action), "at '/expectations': got number, want object"},
		"v3 no population_size":        {project("version: '3.0'\nexpectations: {}", action), "missing property 'population_size'"},
		"v3 population words":          {project("version: '3.0'\nexpectations:\n  population_size: a thousand", action), "at '/expectations/population_size'"},
		"v3 population decimal string": {project("version: '3.0'\nexpectations:\n  population_size: '10.5'", action), "at '/expectations/population_size'"},
		"v3 expectations extra key":    {project("version: '3.0'\nexpectations:\n  population_size: 10\n  seed: 1", action), "additional properties 'seed'"},
		"v4 expectations":              {project("version: '4.0'\nexpectations:\n  population_size: 1000", action), "at '/expectations': got object, want null"},
		"v5 expectations":              {project("version: 5\nexpectations:\n  population_size: 1000", action), "at '/expectations': got object, want null"},
		"v4 cohortextractor":           {project("version: '4.0'", "  c:\n    run: cohortextractor:latest generate_cohort\n    outputs:\n      highly_sensitive:\n        cohort: output/input.csv\n"), "at '/actions/c/run': 'not' failed"},
		"v4 cohortextractor-v2":        {project("version: 4", "  c:\n    run: cohortextractor-v2:latest generate_cohort\n    outputs:\n      highly_sensitive:\n        cohort: output/input.csv\n"), "at '/actions/c/run': 'not' failed"},
		"v5 latest":                    {withRun("r:latest analysis/a.R"), run + ": 'not' failed"},
		"v5 latest multi-line":         {withRun(">\n      r:latest\n      analysis/a.R"), run + ": 'not' failed"},
		"v5 run_all":                   {project("version: '5.0'", "  run_all:\n    run: r:v2 a.R\n    outputs:\n      highly_sensitive:\n        x: output/x.rds\n"), "invalid propertyName 'run_all'"},
		"generate-dataset moderately":  {project("version: '5.0'", "  a:\n    run: ehrql:v1 generate-dataset dd.py --output output/d.csv\n    outputs:\n      moderately_sensitive:\n        d: output/d.csv\n"), "at '/actions/a/outputs/moderately_sensitive'"},
		"generate_dataset minimally":   {project("version: '3.0'\nexpectations:\n  population_size: 10", "  a:\n    run: databuilder:v0 generate_dataset dd.py --output output/d.csv\n    outputs:\n      highly_sensitive:\n        d: output/d.csv\n      minimally_sensitive:\n        e: output/e.csv\n"), "at '/actions/a/outputs/minimally_sensitive'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := sch.Validate(yamlInstance(t, []byte(tc.src)))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("rejected, but the message lacks %q:\n%s\n%v", tc.want, tc.src, err)
			}
		})
	}
}

// TestProjectTypesDecode checks that the Go model can hold every real
// project that the schema accepts.
func TestProjectTypesDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "project.yaml"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s", corpusDir)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(src)
		if err != nil {
			t.Fatal(err)
		}
		var p Project
		if err := json.Unmarshal(j, &p); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if v, ok := p.Version.Number(); !ok || v < 3 || v > LatestVersion {
			t.Errorf("%s: version %q", f, p.Version)
		}
		if len(p.Actions) == 0 {
			t.Errorf("%s: no actions decoded", f)
		}
		for id, a := range p.Actions {
			if a.Run == "" || len(a.Outputs.Level("highly_sensitive"))+len(a.Outputs.Level("moderately_sensitive")) == 0 {
				t.Errorf("%s: action %s decoded as %+v", f, id, a)
			}
		}
	}
}

func TestVersionDecode(t *testing.T) {
	tests := map[string]struct {
		text string
		num  float64
		ok   bool
	}{
		`5`:     {"5", 5, true},
		`5.0`:   {"5.0", 5, true},
		`"4.0"`: {"4.0", 4, true},
		`"v5"`:  {"v5", 0, false},
		`null`:  {"", 0, false},
	}
	for in, want := range tests {
		var v Version
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		n, ok := v.Number()
		if string(v) != want.text || ok != want.ok || n != want.num {
			t.Errorf("%s: got %q, %v, %v", in, v, n, ok)
		}
	}
}

func TestSchemaDocumentsEveryKey(t *testing.T) {
	b, err := ProjectJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
		Defs map[string]struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`\u003c`)) {
		t.Error("schema still has HTML escapes")
	}
	check := func(where string, props map[string]struct {
		Description string `json:"description"`
	}, path []string) {
		for _, k := range Keys(path) {
			p, ok := props[k.Key]
			if !ok {
				t.Errorf("%s: no property %s", where, k.Key)
				continue
			}
			if p.Description != k.Doc {
				t.Errorf("%s.%s: description differs from the key table", where, k.Key)
			}
		}
		if len(props) != len(Keys(path)) {
			t.Errorf("%s: %d properties, %d keys", where, len(props), len(Keys(path)))
		}
	}
	check("root", doc.Properties, nil)
	check("Action", doc.Defs["Action"].Properties, []string{"actions", "*"})
	check("Outputs", doc.Defs["Outputs"].Properties, []string{"actions", "*", "outputs"})
	check("Expectations", doc.Defs["Expectations"].Properties, []string{"expectations"})
}
