package lsp

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/opensafely-core/osls/dummy"
	"github.com/opensafely-core/osls/runner"
)

const generateDefinition = `from ehrql import create_dataset
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.configure_dummy_data(population_size=50)
dataset.sex = patients.sex
dataset.has_event = clinical_events.exists_for_patient()
`

// Opening an expectations file beside a definition: its mistakes are diagnosed against the
// definition's variables, with did-you-mean quick fixes, and variable names complete.
func TestDummySpecDiagnosticsAndCompletion(t *testing.T) {
	c := newTestClient(t, map[string]string{"analysis/d.py": generateDefinition}, clientOptions{})
	text := "variables:\n  sexx:\n    null_proportion: 0.1\n  has_event:\n    dates: {from: 2020-01-01, to: 2021-01-01}\n  \n"
	u := c.open("analysis/d.dummy.yaml", text)
	ds := c.waitDiags(u, 1)
	if got := codesOf(ds); !slices.Equal(got, []string{"EQ102", "EQ103"}) {
		t.Fatalf("diagnostics: %s", describeDiags(ds))
	}
	if ds[0].Range.Start.Line != 1 || ds[0].Range.Start.Character != 2 || !strings.Contains(string(ds[0].Message.(protocol.String)), "did you mean `sex`") {
		t.Errorf("unknown variable: %s", describeDiags(ds))
	}
	var actions []protocol.CodeAction
	c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": u}, "range": ds[0].Range, "context": map[string]any{"diagnostics": []any{}}}, &actions)
	if len(actions) != 1 || actions[0].Title != "Change to sex" {
		t.Errorf("quick fixes: %+v", actions)
	}
	var list protocol.CompletionList
	c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": u}, "position": map[string]any{"line": 5, "character": 2}}, &list)
	var labels []string
	for _, it := range list.Items {
		labels = append(labels, it.Label)
	}
	if !slices.Equal(labels, []string{"sex"}) {
		t.Errorf("completion of variable names: %v", labels)
	}
	// Fixing the name clears the diagnostic.
	fixed := strings.Replace(strings.Replace(text, "sexx", "sex", 1), "dates: {from: 2020-01-01, to: 2021-01-01}", "true_proportion: 0.4", 1)
	v := c.change(u, fixed)
	if ds := c.waitDiags(u, v); len(ds) != 0 {
		t.Errorf("after the fix: %s", describeDiags(ds))
	}
}

// The lens and code action of a definition no action runs write output/<name>.csv, with
// progress and a message; the expectations file is honoured.
func TestGenerateDummyDataDirect(t *testing.T) {
	c := newTestClient(t, map[string]string{
		"analysis/d.py":         generateDefinition,
		"analysis/d.dummy.yaml": "variables:\n  sex:\n    categories: {female: 1}\n",
	}, clientOptions{progress: true})
	u := c.open("analysis/d.py", generateDefinition)
	c.waitDiags(u, 1)
	var lenses []protocol.CodeLens
	c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": u}}, &lenses)
	if len(lenses) != 1 || lenses[0].Command.Command != CommandGenerateDummyData || lenses[0].Range.Start.Line != 3 {
		t.Fatalf("lenses: %+v", lenses)
	}
	var actions []protocol.CodeAction
	c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": u}, "range": lenses[0].Range, "context": map[string]any{"diagnostics": []any{}, "only": []string{"source"}}}, &actions)
	if len(actions) != 1 || actions[0].Title != "Generate dummy data" || actions[0].Command.Command == "" {
		t.Fatalf("code actions: %+v", actions)
	}
	var res map[string]any
	c.call("workspace/executeCommand", map[string]any{"command": actions[0].Command.Command, "arguments": actions[0].Command.Arguments, "workDoneToken": "gen-1"}, &res)
	if res["ok"] != true || res["output"] != "output/d.csv" {
		t.Fatalf("result: %v", res)
	}
	b, err := os.ReadFile(filepath.Join(c.root, "output", "d.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\r\n")
	if len(lines) != 51 || lines[0] != "patient_id,sex,has_event" {
		t.Fatalf("output: %d lines, header %q", len(lines), lines[0])
	}
	for _, l := range lines[1:] {
		if strings.Split(l, ",")[1] != "female" {
			t.Fatalf("the expectations were not honoured: %q", l)
		}
	}
	c.mu.Lock()
	var kinds []string
	for _, v := range c.progress {
		kinds = append(kinds, v["kind"].(string))
	}
	shown := slices.ContainsFunc(c.messages, func(m string) bool {
		return strings.Contains(m, "Wrote dummy data for analysis/d.py to output/d.csv (generated 50 patients")
	})
	c.mu.Unlock()
	if len(kinds) < 2 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress: %v", kinds)
	}
	if !shown {
		t.Errorf("no message: %v", c.messages)
	}

	// A broken definition: the failure is shown, not a protocol error.
	if err := os.WriteFile(filepath.Join(c.root, "analysis", "d.py"), []byte(generateDefinition+"dataset.x = patients.nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.call("workspace/executeCommand", map[string]any{"command": CommandGenerateDummyData, "arguments": []any{u}}, &res)
	if res["ok"] != false || !strings.Contains(res["message"].(string), "failed") {
		t.Errorf("broken definition: %v", res)
	}
}

// testEngine runs ehrQL actions with osls's engine, as osls serve does.
type testEngine struct{}

func (testEngine) Run(ctx context.Context, job runner.EhrQLJob) error {
	return dummy.GenerateDataset(ctx, dummy.Options{Definition: job.Definition, WorkDir: job.WorkDir, Output: job.Output, Params: job.Params, Log: job.Log, Stdout: job.Log})
}

// A definition that an action runs: the action runs, writing the output it declares.
func TestGenerateDummyDataForAction(t *testing.T) {
	if !runner.HasEhrQLEngine() {
		runner.SetEhrQLEngine(testEngine{})
		defer runner.SetEhrQLEngine(nil)
	}
	c := newTestClient(t, map[string]string{
		"analysis/d.py": generateDefinition,
		"project.yaml": `version: '4.0'
actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/d.py --output output/dataset.arrow
    outputs:
      highly_sensitive:
        dataset: output/dataset.arrow
`,
	}, clientOptions{progress: true})
	u := c.open("analysis/d.py", generateDefinition)
	c.waitDiags(u, 1)
	var res map[string]any
	c.call("workspace/executeCommand", map[string]any{"command": CommandGenerateDummyData, "arguments": []any{u}}, &res)
	if res["ok"] != true || !strings.Contains(res["message"].(string), "generate_dataset") {
		t.Fatalf("result: %v", res)
	}
	if _, err := os.Stat(filepath.Join(c.root, "output", "dataset.arrow")); err != nil {
		t.Errorf("declared output: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.root, "output", "d.csv")); err == nil {
		t.Error("wrote output/d.csv although an action runs the definition")
	}
}
