package dummy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/dummy/generate"
)

// expectations reads the definition's dummy-data sidecar (<definition>.dummy.yaml, see
// analysis.DummySpec), when there is one, and returns the generator's targets. A sidecar
// with errors stops generation (exit 10) with the first of them, so that a mistyped
// variable name is not silently ignored.
func (o *Options) expectations(def *analysis.Definition) ([]generate.Target, error) {
	if def == nil || def.Dataset == nil {
		return nil, nil
	}
	root := o.WorkDir
	if root == "" {
		root = "."
	}
	snap := analysis.NewFSSnapshot(os.DirFS(root))
	rel := analysis.FindDummySpec(snap, def.Entry)
	if rel == "" {
		return nil, nil
	}
	text, err := snap.ReadFile(rel)
	if err != nil {
		return nil, nil
	}
	spec, diags := analysis.AnalyzeDummySpec(rel, text, analysis.DummyVariablesOf(def))
	lines := analysis.NewLines(text)
	for _, d := range diags {
		line, col := lines.CharPos(d.Range.Start)
		msg := fmt.Sprintf("%s:%d:%d: %s %s", filepath.FromSlash(rel), line+1, col+1, d.Code, d.Message)
		if d.Severity == analysis.SeverityError {
			return nil, errorf(ExitDefinition, "Error in the expected distributions of dummy data:\n  %s", msg)
		}
		o.logf("osls: %s", msg)
	}
	var out []generate.Target
	var names []string
	for _, v := range def.Dataset.Variables {
		if s, ok := spec.Variables[v.Name]; ok && v.Series != nil {
			out = append(out, generate.Target{Name: v.Name, Series: v.Series, Spec: s})
			names = append(names, v.Name)
		}
	}
	if len(out) > 0 {
		o.logf("osls: expected distributions from %s for %s", rel, strings.Join(names, ", "))
	}
	return out, nil
}
