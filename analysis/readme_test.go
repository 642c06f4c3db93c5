package analysis

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's table of diagnostic codes from Codes")

func codeRow(c Code) string {
	return fmt.Sprintf("| %s | %s | %s | %s |", c.ID, c.Name, c.Severity, c.Summary)
}

func isCodeRow(line string) bool {
	for _, p := range []string{"| PY", "| EQ", "| CL", "| SDC", "| RUN"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// TestReadmeListsEveryCode keeps the README's table of diagnostic codes identical to Codes
// (go test ./analysis -run Readme -update-readme rewrites it).
func TestReadmeListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if *updateReadme {
		var out []string
		done := false
		for _, line := range lines {
			if isCodeRow(line) {
				if !done {
					for _, c := range Codes {
						out = append(out, codeRow(c))
					}
					done = true
				}
				continue
			}
			out = append(out, line)
		}
		if err := os.WriteFile("../README.md", []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var rows []string
	for _, line := range lines {
		if isCodeRow(line) {
			rows = append(rows, line)
		}
	}
	if len(rows) != len(Codes) {
		t.Errorf("README lists %d codes, the table has %d (run go test ./analysis -run Readme -update-readme)", len(rows), len(Codes))
	}
	for i, c := range Codes {
		if want := codeRow(c); i >= len(rows) || rows[i] != want {
			t.Errorf("README row %d: want\n%s", i, want)
		}
	}
}
