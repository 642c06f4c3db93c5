package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefinitionsCorpus runs the dataset-definition analysis over real studies' code. The
// code is not kept in this repository: fetch the ehrQL studies of ../shared/corpus/real/
// REPOS.tsv at their commits into one folder per repo and point OSLS_DD_CORPUS at it.
// Only the genuine mistakes that STATS.md lists may be errors.
func TestDefinitionsCorpus(t *testing.T) {
	root := os.Getenv("OSLS_DD_CORPUS")
	if root == "" {
		t.Skip("set OSLS_DD_CORPUS to a folder of real studies' code to run this test")
	}
	genuine := func(repo string, d Diagnostic) bool {
		switch {
		case strings.HasPrefix(repo, "MomeMukherjee__"):
			return true // a study with many genuine mistakes (STATS.md)
		case strings.HasPrefix(repo, "BHF-Health-Intelligence__"):
			return d.Code == CodeEQNoDataset.ID || d.Code == CodeCodelistFileNotFound.ID
		case strings.HasPrefix(repo, "YaminaB__"):
			return d.Code == CodeEQUnknownMethod.ID && strings.Contains(d.Message, "fill_null")
		}
		return false
	}
	dirs, _ := os.ReadDir(root)
	studies, definitions := 0, 0
	for _, e := range dirs {
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "project.yaml")); err != nil || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		studies++
		snap := NewFSSnapshot(os.DirFS(dir))
		text, _ := snap.ReadFile(ProjectFile)
		p := ParseProject(ProjectFile, text)
		definitions += len(EhrQLEntries(p))
		for _, d := range CheckDefinitions(snap, p) {
			if d.Severity == SeverityError && !genuine(e.Name(), d) {
				t.Errorf("%s: %s:%d: %s %s", e.Name(), d.File, d.Range.Start, d.Code, d.Message)
			}
		}
	}
	t.Logf("%d studies, %d dataset definitions analysed", studies, definitions)
}
