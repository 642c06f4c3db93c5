package schema

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"regexp"
	"testing"
)

// schemaPatterns returns every "pattern" in the generated schema.
func schemaPatterns(t *testing.T) []string {
	t.Helper()
	b, err := ProjectJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if p, ok := e.(string); ok && k == "pattern" && !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

// regexpSamples exercise the patterns: run lines, versions and paths.
var regexpSamples = []string{
	"", " ", "python:v2 python a.py", "  r:v2 a.R\n", "python analysis/x.py", "python:V2 x",
	"python:v2:slim x", "r:latest a.R", "'r:latest' a.R", "cohortextractor:latest generate_cohort",
	"ehrql:v1 generate-dataset dd.py", "databuilder:v0 generate_dataset x", "ehrql:v1  generate-dataset",
	"x:v1.2-pre", "x:dev\n", "5", "5.0", " 4.0 ", "3", "3.00", "3.5", "+5", "6.0", "05", "1000", "-3", "10.5",
	"output/a.csv", "output/a.csv.gz", "output/*.PNG", "output/.csv", "output/file.", "output/x.*",
	"./a.csv", "a//b.csv", "a/../b.csv", "../a.csv", "..x/a.csv", ".../a.csv", "metadata/a.log",
	"metadata", "metadata_x.csv", "/abs.csv", "C:/x.csv", `a\b.csv`, "a/**/b.csv", "a?.csv", "a[1].csv",
	"a b", "ab", "output/my table.svg", "output/é.json",
}

// TestPatternsAgreeWithECMAScript checks that every pattern in the schema
// compiles as an ECMAScript regular expression with the "u" flag (as
// yaml-language-server uses them) and matches the samples exactly as Go's
// regexp package does. It needs node and is skipped without it.
func TestPatternsAgreeWithECMAScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	patterns := schemaPatterns(t)
	input, err := json.Marshal(map[string]any{"patterns": patterns, "samples": regexpSamples})
	if err != nil {
		t.Fatal(err)
	}
	const script = `
let data = '';
process.stdin.on('data', d => data += d);
process.stdin.on('end', () => {
  const {patterns, samples} = JSON.parse(data);
  const out = patterns.map(p => { const re = new RegExp(p, 'u'); return samples.map(s => re.test(s)); });
  process.stdout.write(JSON.stringify(out));
});`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var js [][]bool
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatal(err)
	}
	for i, p := range patterns {
		re := regexp.MustCompile(p)
		for j, s := range regexpSamples {
			if got := re.MatchString(s); got != js[i][j] {
				t.Errorf("pattern %q on %q: Go %v, ECMAScript %v", p, s, got, js[i][j])
			}
		}
	}
}

func TestValidTag(t *testing.T) {
	valid := []string{"v1", "v2", "v1.2", "v1.2.3", "v0.0.37", "v1-pre", "v1.2-pre", "dev", "latest", "v.", "v1..2"}
	invalid := []string{"", "v", "V2", "stable", "v1x1", "pre", "v2:slim", "[version]", "v1-rc", " v1"}
	for _, tag := range valid {
		if !ValidTag(tag) {
			t.Errorf("ValidTag(%q) = false", tag)
		}
	}
	for _, tag := range invalid {
		if ValidTag(tag) {
			t.Errorf("ValidTag(%q) = true", tag)
		}
	}
}
