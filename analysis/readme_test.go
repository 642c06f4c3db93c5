package analysis

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestReadmeListsEveryCode keeps the README's table of diagnostic codes identical to Codes.
func TestReadmeListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| PY") || strings.HasPrefix(line, "| EQ") || strings.HasPrefix(line, "| CL") {
			rows = append(rows, line)
		}
	}
	if len(rows) != len(Codes) {
		t.Errorf("README lists %d codes, the table has %d", len(rows), len(Codes))
	}
	for i, c := range Codes {
		want := fmt.Sprintf("| %s | %s | %s | %s |", c.ID, c.Name, c.Severity, c.Summary)
		if i >= len(rows) || rows[i] != want {
			t.Errorf("README row %d: want\n%s", i, want)
		}
	}
}
