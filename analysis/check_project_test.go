package analysis

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// got renders diagnostics as "CODE@text-at-range" (plus ":sev" for non-default severities),
// which keeps table tests short and still checks the exact range.
func got(text string, ds []Diagnostic) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s@%s", d.Code, text[d.Range.Start:d.Range.End])
		if c, ok := LookupCode(d.Code); ok && c.Severity != d.Severity {
			s += ":" + d.Severity.String()
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

const v5head = "version: '5.0'\nactions:\n"

// action renders a minimal valid action with the given run line.
func action(id, run string) string {
	return fmt.Sprintf("  %s:\n    run: %s\n    outputs:\n      highly_sensitive:\n        out: output/%s.csv\n", id, run, id)
}

var snapFiles = MapSnapshot{
	"analysis/dataset_definition.py": "",
	"analysis/model.R":               "",
	"analysis/report.py":             "",
	"analysis/Table.py":              "",
	"codelists/codelists.txt":        "",
}

type ruleCase struct {
	name string
	yaml string
	want []string // every one must be present
	not  []string // codes (or CODE@text) that must be absent
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := CheckProject(snapFiles, "project.yaml", []byte(tc.yaml))
			g := got(tc.yaml, ds)
			joined := "\n  " + strings.Join(g, "\n  ")
			for _, w := range tc.want {
				found := false
				for _, x := range g {
					if x == w {
						found = true
					}
				}
				if !found {
					t.Errorf("missing %s; got:%s", w, joined)
				}
			}
			for _, n := range tc.not {
				for _, x := range g {
					if x == n || strings.HasPrefix(x, n+"@") {
						t.Errorf("unexpected %s; got:%s", x, joined)
					}
				}
			}
			for _, d := range ds {
				if d.Range.Start < 0 || d.Range.End > len(tc.yaml) || d.Range.End < d.Range.Start {
					t.Errorf("bad range %v for %s", d.Range, d.Code)
				}
				if d.Message == "" {
					t.Errorf("%s has no message", d.Code)
				}
			}
		})
	}
}

func TestValidProjectHasNoDiagnostics(t *testing.T) {
	yaml := v5head + action("generate_dataset", "ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/generate_dataset.csv") +
		"  model:\n    run: r:v2 analysis/model.R\n    needs: [generate_dataset]\n    outputs:\n      moderately_sensitive:\n        table: output/model/*.csv\n"
	ds := CheckProject(snapFiles, "project.yaml", []byte(yaml))
	if len(ds) != 0 {
		t.Fatalf("want no diagnostics, got %v", got(yaml, ds))
	}
}

func yAMLRulesCases() []ruleCase {
	return []ruleCase{
		{name: "syntax error reported, rest still checked", yaml: v5head + "  a:\n    run: \"unterminated\n    outputs: {}\n" + action("b", "python:v2 python analysis/report.py") + "  c:\n    run: python:v2 python analysis/report.py\n    needs: [b, zz]\n    outputs:\n      highly_sensitive: {x: output/c.csv}\n",
			want: []string{`PY001@"unterminated`, "PY035@python:v2 python analysis/report.py", "PY061@zz"}},
		{name: "unknown needs entry in a blanked action is not reported", yaml: v5head + "  a:\n    run: r:v2 x\n     bad: [\n    outputs: {}\n" + action("b", "python:v2 python analysis/report.py") + "    needs: [a]\n",
			want: []string{"PY001@r:v2 x"}, not: []string{"PY061"}},
		{name: "tab indentation", yaml: "version: '5.0'\nactions:\n\ta:\n", want: nil, not: []string{"PY010", "PY020"}},
		{name: "duplicate action", yaml: v5head + action("a", "python:v2 python analysis/report.py") + action("a", "r:v2 analysis/model.R"), want: []string{"PY002@a"}},
		{name: "duplicate output name", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      highly_sensitive:\n        x: output/a.csv\n        x: output/b.csv\n", want: []string{"PY002@x"}},
		{name: "empty file", yaml: "", want: []string{"PY003@"}},
		{name: "comments only", yaml: "# nothing\n", want: []string{"PY003@# nothing"}},
		{name: "top-level list", yaml: "- a\n- b\n", want: []string{"PY003@- a\n- b"}},
		{name: "unknown top-level key with suggestion", yaml: "version: '5.0'\nacions:\n  a: {}\n", want: []string{"PY004@acions", "PY020@version: '5.0'"}},
		{name: "non-string top-level key", yaml: v5head + "1: x\n", want: []string{"PY005@1", "PY004@1"}},
		{name: "aliases refused", yaml: "version: &v '5.0'\nactions: {}\nx: *v\n", want: []string{"PY001@*"}},
	}
}

func TestYAMLRules(t *testing.T) { runRuleCases(t, yAMLRulesCases()) }

func versionRulesCases() []ruleCase {
	acts := "actions:\n" + action("a", "python:v2 python analysis/report.py")
	return []ruleCase{
		{name: "missing", yaml: acts, want: []string{"PY010@actions:"}},
		{name: "null", yaml: "version:\n" + acts, want: []string{"PY010@version"}},
		{name: "string number ok", yaml: "version: \"5\"\n" + acts, not: []string{"PY010", "PY011", "PY014"}},
		{name: "number ok", yaml: "version: 5.0\n" + acts, not: []string{"PY011", "PY014"}},
		{name: "not a number", yaml: "version: v5\n" + acts, want: []string{"PY011@v5"}},
		{name: "semver not a number", yaml: "version: 5.0.0\n" + acts, want: []string{"PY011@5.0.0"}},
		{name: "bool", yaml: "version: true\n" + acts, want: []string{"PY011@true"}},
		{name: "nan", yaml: "version: .nan\n" + acts, want: []string{"PY011@.nan"}},
		{name: "list", yaml: "version: [5]\n" + acts, want: []string{"PY011@[5]"}},
		{name: "too new", yaml: "version: '6.0'\n" + acts, want: []string{"PY012@'6.0'"}},
		{name: "below one", yaml: "version: 0\n" + acts, want: []string{"PY013@0"}},
		{name: "old with fix", yaml: "version: '4.0'\n" + acts, want: []string{"PY014@'4.0'"}},
		{name: "fractional", yaml: "version: 3.5\n" + acts, want: []string{"PY015@3.5", "PY014@3.5"}, not: []string{"PY091"}},
		{name: "latest is quiet", yaml: "version: '5.0'\n" + acts, not: []string{"PY014", "PY015"}},
	}
}

func TestVersionRules(t *testing.T) { runRuleCases(t, versionRulesCases()) }

func TestVersionFixOnlyWhenValidUnder5(t *testing.T) {
	fixable := "version: '4.0'\nactions:\n" + action("a", "python:v2 python analysis/report.py")
	ds := CheckProject(snapFiles, "project.yaml", []byte(fixable))
	if len(ds) != 1 || len(ds[0].Fixes) != 1 || ds[0].Fixes[0].Edits[0].NewText != `"5.0"` {
		t.Fatalf("want one PY014 with a fix, got %+v", ds)
	}
	blocked := "version: '4.0'\nactions:\n" + action("a", "python:latest python analysis/report.py")
	for _, d := range CheckProject(snapFiles, "project.yaml", []byte(blocked)) {
		if d.Code == "PY014" && len(d.Fixes) != 0 {
			t.Fatalf("no version fix expected while :latest is used: %+v", d)
		}
	}
}

func actionRulesCases() []ruleCase {
	return []ruleCase{
		{name: "actions missing", yaml: "version: '5.0'\n", want: []string{"PY020@version: '5.0'"}},
		{name: "actions a list", yaml: "version: '5.0'\nactions: [a]\n", want: []string{"PY020@[a]"}},
		{name: "actions empty", yaml: "version: '5.0'\nactions: {}\n", want: []string{"PY021@actions"}, not: []string{"PY020"}},
		{name: "run_all v5", yaml: v5head + action("run_all", "python:v2 python analysis/report.py"), want: []string{"PY022@run_all"}},
		{name: "run_all v4 warns", yaml: "version: '4.0'\nactions:\n" + action("run_all", "python:v2 python analysis/report.py"), want: []string{"PY022@run_all:warning"}},
		{name: "action null", yaml: v5head + "  a:\n", want: []string{"PY023@a"}},
		{name: "action a string", yaml: v5head + "  a: run it\n", want: []string{"PY023@run it"}},
		{name: "missing run and outputs", yaml: v5head + "  a: {}\n", want: []string{"PY024@a", "PY025@a"}},
		{name: "output instead of outputs", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    output:\n      highly_sensitive: {x: output/x.csv}\n", want: []string{"PY025@a", "PY026@output"}},
		{name: "unknown action key", yaml: v5head + action("a", "r:v2 analysis/model.R") + "    need: [b]\n", want: []string{"PY026@need"}},
		{name: "outputs a list", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs: [output/x.csv]\n", want: []string{"PY023@[output/x.csv]"}},
		{name: "run a list", yaml: v5head + "  a:\n    run: [r:v2]\n    outputs: {highly_sensitive: {x: output/x.csv}}\n", want: []string{"PY023@[r:v2]"}},
		{name: "needs a string", yaml: v5head + action("b", "r:v2 analysis/model.R") + action("a", "python:v2 python analysis/report.py") + "    needs: b\n", want: []string{"PY023@b"}},
		{name: "needs null ok", yaml: v5head + action("a", "r:v2 analysis/model.R") + "    needs:\n", not: []string{"PY023"}},
		{name: "config on a built-in image", yaml: v5head + action("a", "r:v2 analysis/model.R") + "    config: {x: 1}\n", want: []string{"PY102@{x: 1}"}},
		{name: "config a string", yaml: v5head + action("a", "r:v2 analysis/model.R") + "    config: x\n", want: []string{"PY023@x"}},
		{name: "id with space", yaml: v5head + action("\"my action\"", "r:v2 analysis/model.R"), want: []string{"PY027@\"my action\""}},
		{name: "id with hyphen and dot ok", yaml: v5head + action("my-action.v2", "r:v2 analysis/model.R"), not: []string{"PY027"}},
		{name: "numeric id", yaml: v5head + action("123", "r:v2 analysis/model.R"), want: []string{"PY028@123"}},
	}
}

func TestActionRules(t *testing.T) { runRuleCases(t, actionRulesCases()) }

func runRulesCases() []ruleCase {
	return []ruleCase{
		{name: "empty", yaml: v5head + action("a", "''"), want: []string{"PY030@''"}},
		{name: "blank", yaml: v5head + action("a", "'   '"), want: []string{"PY030@'   '"}},
		{name: "unbalanced quote", yaml: v5head + action("a", `python:v2 python "analysis/report.py`), want: []string{`PY031@python:v2 python "analysis/report.py`}},
		{name: "no tag", yaml: v5head + action("a", "python analysis/report.py"), want: []string{"PY032@python"}},
		{name: "bad tag", yaml: v5head + action("a", "python:stable analysis/report.py"), want: []string{"PY032@python:stable"}},
		{name: "upper V", yaml: v5head + action("a", "python:V2 analysis/report.py"), want: []string{"PY032@python:V2"}},
		{name: "pre tag ok", yaml: v5head + action("a", "python:v2-pre python analysis/report.py"), not: []string{"PY032"}},
		{name: "latest v5 error", yaml: v5head + action("a", "python:latest python analysis/report.py"), want: []string{"PY033@python:latest"}},
		{name: "latest v4 hint", yaml: "version: '4.0'\nactions:\n" + action("a", "python:latest python analysis/report.py"), want: []string{"PY033@python:latest:hint"}},
		{name: "cohortextractor v4", yaml: "version: '4.0'\nactions:\n" + action("a", "cohortextractor:latest generate_cohort"), want: []string{"PY034@cohortextractor:latest"}},
		{name: "cohortextractor-v2 v4", yaml: "version: '4.0'\nactions:\n" + action("a", "cohortextractor-v2:latest generate_cohort"), want: []string{"PY034@cohortextractor-v2:latest"}},
		{name: "cohortextractor v3 warns", yaml: "version: '3.0'\nexpectations: {population_size: 10}\nactions:\n" + action("a", "cohortextractor:latest generate_cohort --output-dir output"), want: []string{"PY034@cohortextractor:latest:warning"}},
		{name: "duplicate run", yaml: v5head + action("a", "r:v2 analysis/model.R") + action("b", "r:v2 analysis/model.R"), want: []string{"PY035@r:v2 analysis/model.R"}},
		{name: "whitespace differs is not duplicate", yaml: v5head + action("a", "r:v2 analysis/model.R") + action("b", "r:v2  analysis/model.R"), not: []string{"PY035"}},
		{name: "Rscript image", yaml: v5head + action("a", "Rscript:v2 analysis/model.R"), want: []string{"PY036@Rscript:v2"}},
		{name: "reusable action ok", yaml: v5head + action("a", "cox-ipw:v0.0.37 --df_input=output/x.csv"), not: []string{"PY036", "PY038"}},
		{name: "reusable unknown tag", yaml: v5head + action("a", "cox-ipw:v9.9.9"), want: []string{"PY038@cox-ipw:v9.9.9"}},
		{name: "builtin unknown tag", yaml: v5head + action("a", "python:v9 python analysis/report.py"), want: []string{"PY038@python:v9"}},
		{name: "databuilder deprecated", yaml: "version: '4.0'\nactions:\n" + action("a", "databuilder:v0 generate-dataset analysis/dataset_definition.py --output output/a.csv"), want: []string{"PY037@databuilder:v0"}},
		{name: "dev tag", yaml: v5head + action("a", "python:dev python analysis/report.py"), want: []string{"PY039@python:dev"}},
		{name: "sqlrunner hint", yaml: v5head + action("a", "sqlrunner:v1 analysis/q.sql --output output/a.csv"), want: []string{"PY101@sqlrunner:v1"}},
		{name: "folded run", yaml: v5head + "  a:\n    run: >\n      python:v2 python\n      analysis/missing.py\n    outputs: {highly_sensitive: {x: output/x.csv}}\n", want: []string{"PY074@analysis/missing.py"}},
		{name: "workspace prefix is repo root", yaml: v5head + action("a", "jupyter:v1 jupyter nbconvert /workspace/analysis/report.py"), not: []string{"PY074"}},
		{name: "wrong case", yaml: v5head + action("a", "python:v2 python analysis/table.py"), want: []string{"PY074@analysis/table.py"}},
	}
}

func TestRunRules(t *testing.T) { runRuleCases(t, runRulesCases()) }

func outputRulesCases() []ruleCase {
	out := func(level, path string) string {
		return v5head + fmt.Sprintf("  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      %s:\n        x: %s\n", level, path)
	}
	return []ruleCase{
		{name: "no level", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs: {}\n", want: []string{"PY040@{}"}},
		{name: "unknown level only", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      low_sensitive: {x: output/x.csv}\n", want: []string{"PY040@low_sensitive: {x: output/x.csv}", "PY041@low_sensitive"}},
		{name: "misspelt level", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      highly_sensitive: {y: output/y.csv}\n      moderatly_sensitive: {x: output/x.csv}\n", want: []string{"PY041@moderatly_sensitive"}, not: []string{"PY040"}},
		{name: "level a list", yaml: out("highly_sensitive", "x") + "", want: nil},
		{name: "level is list", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      highly_sensitive: [output/x.csv]\n", want: []string{"PY042@[output/x.csv]"}},
		{name: "path not string", yaml: out("highly_sensitive", "1"), want: []string{"PY043@1"}},
		{name: "backslash", yaml: out("highly_sensitive", `'output\x.csv'`), want: []string{`PY044@'output\x.csv'`}},
		{name: "double star", yaml: out("highly_sensitive", "output/**/x.csv"), want: []string{"PY045@output/**/x.csv"}},
		{name: "question mark", yaml: out("highly_sensitive", "output/x?.csv"), want: []string{"PY045@output/x?.csv"}},
		{name: "bracket", yaml: out("highly_sensitive", "'output/[ab].csv'"), want: []string{"PY045@'output/[ab].csv'"}},
		{name: "no extension", yaml: out("highly_sensitive", "output/results"), want: []string{"PY046@output/results"}},
		{name: "star extension", yaml: out("highly_sensitive", "output/x.*"), want: []string{"PY046@output/x.*"}},
		{name: "dot file", yaml: out("highly_sensitive", "output/.csv"), want: []string{"PY046@output/.csv"}},
		{name: "multi dot ok", yaml: out("highly_sensitive", "output/a.b.c.txt"), not: []string{"PY046"}},
		{name: "l4 pdf", yaml: out("moderately_sensitive", "output/x.pdf"), want: []string{"PY047@output/x.pdf"}},
		{name: "l4 csv.gz", yaml: out("moderately_sensitive", "output/x.csv.gz"), want: []string{"PY047@output/x.csv.gz"}},
		{name: "l4 upper case", yaml: out("moderately_sensitive", "output/x.PNG"), want: []string{"PY047@output/x.PNG"}},
		{name: "l4 ok", yaml: out("moderately_sensitive", "output/x.svg"), not: []string{"PY047"}},
		{name: "highly any type", yaml: out("highly_sensitive", "output/x.pdf"), not: []string{"PY047"}},
		{name: "not normal", yaml: out("highly_sensitive", "./output/x.csv"), want: []string{"PY048@./output/x.csv"}},
		{name: "double slash", yaml: out("highly_sensitive", "output//x.csv"), want: []string{"PY048@output//x.csv"}},
		{name: "leading parent", yaml: out("highly_sensitive", "../x.csv"), want: []string{"PY049@../x.csv"}},
		{name: "metadata", yaml: out("highly_sensitive", "metadata/x.csv"), want: []string{"PY050@metadata/x.csv"}},
		{name: "metadata prefix ok", yaml: out("highly_sensitive", "metadata_x.csv"), not: []string{"PY050"}},
		{name: "absolute", yaml: out("highly_sensitive", "/tmp/x.csv"), want: []string{"PY051@/tmp/x.csv"}},
		{name: "windows absolute", yaml: out("highly_sensitive", "C:/x.csv"), want: []string{"PY051@C:/x.csv"}},
		{name: "duplicate path", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  b:\n    run: python:v2 python analysis/report.py\n    outputs:\n      highly_sensitive: {y: output/a.csv}\n", want: []string{"PY052@output/a.csv"}},
		{name: "duplicate path allowed in v1", yaml: "version: 1\nactions:\n" + action("a", "r:v2 analysis/model.R") + "  b:\n    run: python:v2 python analysis/report.py\n    outputs:\n      highly_sensitive: {y: output/a.csv}\n", not: []string{"PY052"}},
		{name: "empty levels", yaml: v5head + "  a:\n    run: r:v2 analysis/model.R\n    outputs:\n      highly_sensitive: {}\n", want: []string{"PY053@highly_sensitive: {}"}},
		{name: "minimally", yaml: out("minimally_sensitive", "output/x.csv"), want: []string{"PY054@minimally_sensitive"}},
		{name: "glob overlaps unrelated file", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  b:\n    run: python:v2 python analysis/report.py\n    outputs:\n      highly_sensitive: {y: output/*.csv}\n", want: []string{"PY055@output/*.csv"}},
		{name: "glob captures needed file", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  b:\n    run: python:v2 python analysis/report.py\n    needs: [a]\n    outputs:\n      moderately_sensitive: {y: output/*.csv}\n", want: []string{"PY056@output/*.csv"}, not: []string{"PY055"}},
		{name: "glob in sub-folder does not capture", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  b:\n    run: python:v2 python analysis/report.py\n    needs: [a]\n    outputs:\n      moderately_sensitive: {y: output/b/*.csv}\n", not: []string{"PY056", "PY055"}},
	}
}

func TestOutputRules(t *testing.T) { runRuleCases(t, outputRulesCases()) }

func needsRulesCases() []ruleCase {
	b := action("b", "python:v2 python analysis/report.py")
	return []ruleCase{
		{name: "space", yaml: v5head + action("a", "r:v2 analysis/model.R") + b + "  c:\n    run: r:v2 analysis/model.R c\n    needs: [a b]\n    outputs: {highly_sensitive: {x: output/c.csv}}\n", want: []string{"PY060@a b"}},
		{name: "unknown with suggestion", yaml: v5head + action("generate_dataset", "r:v2 analysis/model.R") + b + "    needs: [generate_datset]\n", want: []string{"PY061@generate_datset"}},
		{name: "forward reference ok", yaml: v5head + b + "    needs: [a]\n" + action("a", "r:v2 analysis/model.R"), not: []string{"PY061"}},
		{name: "non-string entry", yaml: v5head + b + "    needs: [1]\n", want: []string{"PY062@1"}},
		{name: "null entry", yaml: v5head + b + "    needs:\n      -\n", not: []string{"PY061"}},
		{name: "self cycle", yaml: v5head + b + "    needs: [b]\n", want: []string{"PY063@b"}},
		{name: "cycle", yaml: v5head + action("a", "r:v2 analysis/model.R") + "    needs: [b]\n" + b + "    needs: [a]\n", want: []string{"PY063@a"}},
		{name: "duplicate", yaml: v5head + action("a", "r:v2 analysis/model.R") + b + "    needs: [a, a]\n", want: []string{"PY064@a"}},
		{name: "reads output without needs", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  c:\n    run: python:v2 python analysis/report.py output/a.csv\n    outputs: {highly_sensitive: {x: output/c.csv}}\n", want: []string{"PY065@output/a.csv"}},
		{name: "reads output with needs ok", yaml: v5head + action("a", "r:v2 analysis/model.R") + "  c:\n    run: python:v2 python analysis/report.py output/a.csv\n    needs: [a]\n    outputs: {highly_sensitive: {x: output/c.csv}}\n", not: []string{"PY065", "PY066"}},
		{name: "reads transitive output", yaml: v5head + action("a", "r:v2 analysis/model.R") + b + "    needs: [a]\n  c:\n    run: python:v2 python analysis/report.py --input=output/a.csv\n    needs: [b]\n    outputs: {highly_sensitive: {x: output/c.csv}}\n", want: []string{"PY066@--input=output/a.csv"}},
	}
}

func TestNeedsRules(t *testing.T) { runRuleCases(t, needsRulesCases()) }

func ehrQLRulesCases() []ruleCase {
	gd := "ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow"
	return []ruleCase{
		{name: "ok", yaml: v5head + "  g:\n    run: " + gd + "\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n", not: []string{"PY070", "PY071", "PY072", "PY073"}},
		{name: "moderately", yaml: v5head + "  g:\n    run: " + gd + "\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n      moderately_sensitive: {x: output/x.csv}\n", want: []string{"PY070@moderately_sensitive"}},
		{name: "no output", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n", want: []string{"PY071@generate-dataset"}},
		{name: "output last word", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n", want: []string{"PY071@generate-dataset"}},
		{name: "mismatch", yaml: v5head + "  g:\n    run: " + gd + "\n    outputs:\n      highly_sensitive:\n        dataset: output/dataset.csv\n", want: []string{"PY072@output/dataset.arrow"}},
		{name: "equals form", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output=output/d.csv.gz\n    outputs:\n      highly_sensitive: {dataset: output/d.csv.gz}\n", not: []string{"PY071", "PY072", "PY073"}},
		{name: "two spaces still checked", yaml: v5head + "  g:\n    run: ehrql:v1  generate-dataset analysis/dataset_definition.py\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n", want: []string{"PY071@generate-dataset"}},
		{name: "dir output ok", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/tables:arrow\n    outputs:\n      highly_sensitive: {t: output/tables/*.arrow}\n", not: []string{"PY072", "PY073"}},
		{name: "dir output mismatch", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/tables:arrow\n    outputs:\n      highly_sensitive: {t: output/other/*.arrow}\n", want: []string{"PY072@output/tables:arrow"}},
		{name: "bad format", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/d.xlsx\n    outputs:\n      highly_sensitive: {d: output/d.xlsx}\n", want: []string{"PY073@output/d.xlsx"}},
		{name: "old format warns", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/d.feather\n    outputs:\n      highly_sensitive: {d: output/d.feather}\n", want: []string{"PY073@output/d.feather:warning"}},
		{name: "measures not held to outputs", yaml: v5head + "  m:\n    run: ehrql:v1 generate-measures analysis/dataset_definition.py --output output/m.csv\n    outputs:\n      moderately_sensitive: {m: output/m.csv}\n", not: []string{"PY070", "PY072"}},
		{name: "missing definition", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/missing.py --output output/d.csv\n    outputs:\n      highly_sensitive: {d: output/d.csv}\n", want: []string{"PY074@analysis/missing.py"}},
		{name: "missing dummy data", yaml: v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/d.csv --dummy-data-file dummy/d.csv\n    outputs:\n      highly_sensitive: {d: output/d.csv}\n", want: []string{"PY074@dummy/d.csv"}},
		{name: "dummy tables produced by an action", yaml: v5head + "  e:\n    run: python:v2 python analysis/report.py\n    outputs:\n      highly_sensitive: {d: output/dummy/patients.csv}\n  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/d.csv --dummy-tables output/dummy\n    needs: [e]\n    outputs:\n      highly_sensitive: {d: output/d.csv}\n", not: []string{"PY074"}},
		{name: "dummy_data_file ignored", yaml: v5head + "  g:\n    run: " + gd + "\n    dummy_data_file: analysis/report.py\n    outputs:\n      highly_sensitive: {dataset: output/dataset.arrow}\n", want: []string{"PY075@analysis/report.py"}},
	}
}

func TestEhrQLRules(t *testing.T) { runRuleCases(t, ehrQLRulesCases()) }

func TestDeclareOutputFix(t *testing.T) {
	yaml := v5head + "  g:\n    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow\n    outputs:\n      highly_sensitive:\n        other: output/other.csv\n"
	ds := CheckProject(snapFiles, "project.yaml", []byte(yaml))
	var fixed string
	for _, d := range ds {
		if d.Code == "PY072" && len(d.Fixes) == 1 {
			fixed = applyEdits(yaml, d.Fixes[0].Edits)
		}
	}
	if !strings.Contains(fixed, "        other: output/other.csv\n        dataset: output/dataset.arrow\n") {
		t.Fatalf("fix did not declare the output:\n%s", fixed)
	}
	if ds := CheckProject(snapFiles, "project.yaml", []byte(fixed)); len(ds) != 0 {
		t.Fatalf("fixed file still has %v", got(fixed, ds))
	}
}

func applyEdits(text string, edits []TextEdit) string {
	sort.Slice(edits, func(i, j int) bool { return edits[i].Range.Start > edits[j].Range.Start })
	for _, e := range edits {
		text = text[:e.Range.Start] + e.NewText + text[e.Range.End:]
	}
	return text
}

func TestFixesResolveTheirDiagnostic(t *testing.T) {
	cases := []struct{ code, yaml string }{
		{"PY061", v5head + action("generate_dataset", "r:v2 analysis/model.R") + action("b", "python:v2 python analysis/report.py") + "    needs: [generate_datset]\n"},
		{"PY026", v5head + action("a", "r:v2 analysis/model.R") + "    neds: []\n"},
		{"PY004", "verison: '5.0'\nactions:\n" + action("a", "r:v2 analysis/model.R")},
		{"PY033", v5head + action("a", "python:latest python analysis/report.py")},
		{"PY014", "version: '4.0'\nactions:\n" + action("a", "r:v2 analysis/model.R")},
		{"PY036", v5head + action("a", "Rscript:v2 analysis/model.R")},
		{"PY090", "version: '4.0'\nexpectations:\n  population_size: 1000\nactions:\n" + action("a", "r:v2 analysis/model.R")},
		{"PY060", v5head + action("a", "r:v2 analysis/model.R") + action("b", "python:v2 python analysis/report.py") + "  c:\n    run: r:v2 analysis/model.R c\n    needs: [a b]\n    outputs: {highly_sensitive: {x: output/c.csv}}\n"},
		{"PY065", v5head + action("a", "r:v2 analysis/model.R") + "  c:\n    run: python:v2 python analysis/report.py output/a.csv\n    needs: []\n    outputs: {highly_sensitive: {x: output/c.csv}}\n"},
		{"PY065", v5head + action("a", "r:v2 analysis/model.R") + "  c:\n    run: python:v2 python analysis/report.py output/a.csv\n    outputs: {highly_sensitive: {x: output/c.csv}}\n"},
		{"PY074", v5head + action("a", "python:v2 python analysis/table.py")},
	}
	for _, tc := range cases {
		ds := CheckProject(snapFiles, "project.yaml", []byte(tc.yaml))
		var fix *Fix
		for _, d := range ds {
			if d.Code == tc.code && len(d.Fixes) > 0 {
				fix = &d.Fixes[0]
			}
		}
		if fix == nil {
			t.Errorf("%s: no fix offered in %v", tc.code, got(tc.yaml, ds))
			continue
		}
		fixed := applyEdits(tc.yaml, fix.Edits)
		for _, d := range CheckProject(snapFiles, "project.yaml", []byte(fixed)) {
			if d.Code == tc.code {
				t.Errorf("%s: still reported after %q:\n%s", tc.code, fix.Title, fixed)
			}
		}
	}
}

func expectationRulesCases() []ruleCase {
	acts := "actions:\n" + action("a", "r:v2 analysis/model.R")
	return []ruleCase{
		{name: "v4 forbidden", yaml: "version: '4.0'\nexpectations:\n  population_size: 1000\n" + acts, want: []string{"PY090@expectations"}},
		{name: "v4 null ok", yaml: "version: '4.0'\nexpectations:\n" + acts, not: []string{"PY090"}},
		{name: "v3 required", yaml: "version: '3.0'\n" + acts, want: []string{"PY091@'3.0'"}},
		{name: "v3 not mapping", yaml: "version: '3.0'\nexpectations: 1000\n" + acts, want: []string{"PY092@1000"}},
		{name: "v3 no population", yaml: "version: '3.0'\nexpectations: {}\n" + acts, want: []string{"PY093@expectations"}},
		{name: "v3 population text", yaml: "version: '3.0'\nexpectations:\n  population_size: a thousand\n" + acts, want: []string{"PY093@a thousand"}},
		{name: "v3 population decimal string", yaml: "version: '3.0'\nexpectations:\n  population_size: '10.5'\n" + acts, want: []string{"PY093@'10.5'"}},
		{name: "v3 population float ok", yaml: "version: '3.0'\nexpectations:\n  population_size: 10.7\n" + acts, not: []string{"PY093"}},
		{name: "v3 population string ok", yaml: "version: '3.0'\nexpectations:\n  population_size: '1000'\n" + acts, not: []string{"PY093"}},
		{name: "v3 unknown key", yaml: "version: '3.0'\nexpectations:\n  population_size: 1000\n  size: 2\n" + acts, want: []string{"PY094@size"}},
		{name: "v2 ignored", yaml: "version: '2.0'\nexpectations: whatever\n" + acts, not: []string{"PY090", "PY092"}},
	}
}

func TestExpectationRules(t *testing.T) { runRuleCases(t, expectationRulesCases()) }

func cohortextractorRulesCases() []ruleCase {
	head := "version: '3.0'\nexpectations: {population_size: 10}\nactions:\n"
	return []ruleCase{
		{name: "one level", yaml: head + "  c:\n    run: cohortextractor:latest generate_cohort\n    outputs:\n      highly_sensitive: {c: output/input.csv}\n      moderately_sensitive: {l: output/log.txt}\n", want: []string{"PY080@highly_sensitive: {c: output/input.csv}\n      moderately_sensitive: {l: output/log.txt}"}},
		{name: "one dir", yaml: head + "  c:\n    run: cohortextractor:latest generate_cohort\n    outputs:\n      highly_sensitive:\n        a: output/a/input.csv\n        b: output/b/input.csv\n", want: []string{"PY081@highly_sensitive:\n        a: output/a/input.csv\n        b: output/b/input.csv"}},
		{name: "output-dir allows many", yaml: head + "  c:\n    run: cohortextractor:latest generate_cohort --output-dir=output\n    outputs:\n      highly_sensitive:\n        a: output/a/input.csv\n        b: output/b/input.csv\n", not: []string{"PY081"}},
	}
}

func TestCohortextractorRules(t *testing.T) { runRuleCases(t, cohortextractorRulesCases()) }

func reusableConfigCases() []ruleCase {
	m := func(cfg string) string {
		return v5head + action("cases", "r:v2 analysis/model.R") + action("controls", "python:v2 python analysis/report.py") +
			"  match:\n    run: matching:v1.2.4 --cases output/cases.csv --controls output/controls.csv\n    needs: [cases, controls]\n" + cfg +
			"    outputs:\n      highly_sensitive: {m: output/matched_matches.arrow}\n"
	}
	return []ruleCase{
		{name: "valid", yaml: m("    config:\n      matches_per_case: 3\n      match_variables: {sex: category, age: 5}\n      index_date_variable: indexdate\n"), not: []string{"PY100"}},
		{name: "misspelt key", yaml: m("    config:\n      matches_per_case: 3\n      match_variables: {sex: category}\n      index_date_variable: indexdate\n      closest_match_variable: [age]\n"), want: []string{"PY100@closest_match_variable"}},
		{name: "missing required", yaml: m("    config:\n      matches_per_case: 3\n      match_variables: {sex: category}\n"), want: []string{"PY100@matches_per_case: 3\n      match_variables: {sex: category}"}},
		{name: "wrong type", yaml: m("    config:\n      matches_per_case: three\n      match_variables: {sex: category}\n      index_date_variable: indexdate\n"), want: []string{"PY100@three"}},
		{name: "no config", yaml: m(""), want: []string{"PY100@match"}},
	}
}

func TestReusableConfig(t *testing.T) { runRuleCases(t, reusableConfigCases()) }

func allRuleInputs() []string {
	var inputs []string
	for _, cases := range [][]ruleCase{yAMLRulesCases(), versionRulesCases(), actionRulesCases(), runRulesCases(), outputRulesCases(), needsRulesCases(), ehrQLRulesCases(), expectationRulesCases(), cohortextractorRulesCases(), reusableConfigCases()} {
		for _, c := range cases {
			inputs = append(inputs, c.yaml)
		}
	}
	return inputs
}

// TestEveryCodeIsTested makes sure each project.yaml code (PY…) in the table is produced by at least one rule
// case, so a code cannot silently stop being reported.
func TestEveryCodeIsTested(t *testing.T) {
	seen := map[string]bool{}
	for _, y := range allRuleInputs() {
		for _, d := range CheckProject(snapFiles, "project.yaml", []byte(y)) {
			seen[d.Code] = true
		}
	}
	for _, c := range Codes {
		if strings.HasPrefix(c.ID, "PY") && !seen[c.ID] {
			t.Errorf("no test input produces %s (%s)", c.ID, c.Name)
		}
	}
}
