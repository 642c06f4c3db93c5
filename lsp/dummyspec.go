package lsp

import (
	"github.com/opensafely-core/osls/analysis"
)

// Dummy-data expectations files (<definition>.dummy.yaml beside a dataset definition, see
// analysis.DummySpec). They are checked against the variables of the definition they sit
// beside, as the study's actions analyse it (or on its own), and completed with the
// definition's variable names, the settings that fit each variable, and its categories.

// kindDummySpec is a dummy-data expectations file.
const kindDummySpec fileKind = 100

// isDummySpec reports whether a study-relative path names an expectations file.
func isDummySpec(rel string) bool {
	_, ok := analysis.DefinitionOfDummySpec(rel)
	return ok
}

// dummySpecVars returns the variables of the definition an expectations file belongs to
// (nil when the definition is missing or could not be analysed: then only the file's own
// shape is checked).
func (s *Server) dummySpecVars(d *document, ds docSet) []analysis.DummyVarInfo {
	def, ok := analysis.DefinitionOfDummySpec(d.rel)
	if !ok || d.root == "" {
		return nil
	}
	snap := s.snapshotFor(d, ds)
	if !snap.Exists(def) {
		return nil
	}
	var best *analysis.Definition
	p := s.projectOf(d.root, ds)
	for _, a := range analysis.EhrQLAnalyses(snap, p, def, func(e analysis.EhrQLEntry) *analysis.Definition {
		return s.analyze(d.root, ds, snap, e)
	}) {
		if a != nil && a.Entry == def && a.Dataset != nil {
			best = a
			break
		}
	}
	if best == nil || !best.Complete {
		return nil
	}
	for _, dg := range best.Diagnostics {
		if dg.Severity == analysis.SeverityError {
			return nil // its variables may be incomplete: stay silent about names
		}
	}
	return analysis.DummyVariablesOf(best)
}

// dummySpecDiagnostics checks an expectations file.
func (s *Server) dummySpecDiagnostics(d *document, ds docSet) []analysis.Diagnostic {
	_, diags := analysis.AnalyzeDummySpec(d.rel, d.text, s.dummySpecVars(d, ds))
	return diags
}

// completeDummySpec proposes keys, variable names, kinds and categories.
func (s *Server) completeDummySpec(d *document, ds docSet, off int) []analysis.Completion {
	return analysis.DummySpecCompletions(d.text, off, s.dummySpecVars(d, ds))
}
