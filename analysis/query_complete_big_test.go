package analysis

import (
	"fmt"
	"strings"
	"testing"
)

// TestNeedsCompletionInBigProjects checks that `needs` completion in a big project offers
// the nearest earlier actions first, at most maxNeedsCompletions of them, says the list is
// incomplete, and narrows to what the user typed.
func TestNeedsCompletionInBigProjects(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: '5.0'\nactions:\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "  a%03d:\n    run: python:v2 python x%d.py\n    outputs:\n      highly_sensitive: {o: output/a%d.csv}\n", i, i, i)
	}
	b.WriteString("  last:\n    run: python:v2 python last.py\n    needs: [")
	off := b.Len()
	b.WriteString("]\n    outputs:\n      highly_sensitive: {o: output/last.csv}\n")
	text := b.String()
	p := ParseProject("project.yaml", []byte(text))
	cs, incomplete := CompleteProjectList(nil, p, off)
	if !incomplete || len(cs) != maxNeedsCompletions {
		t.Fatalf("got %d proposals (incomplete %v), want %d and incomplete", len(cs), incomplete, maxNeedsCompletions)
	}
	if cs[0].Label != "a299" {
		t.Errorf("first proposal %q, want the nearest earlier action a299", cs[0].Label)
	}
	typed := strings.Replace(text, "needs: [", "needs: [a01", 1)
	p = ParseProject("project.yaml", []byte(typed))
	cs, incomplete = CompleteProjectList(nil, p, off+3)
	if incomplete || len(cs) != 10 {
		t.Errorf("after typing a01: %d proposals (incomplete %v), want the 10 actions a010-a019", len(cs), incomplete)
	}
}
