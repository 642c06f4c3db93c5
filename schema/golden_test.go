package schema

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/project.schema.json")

// TestSchemaGolden keeps a copy of the generated schema under testdata so
// that changes to it show up in review. Refresh it with
// `go test ./schema -run TestSchemaGolden -update`.
func TestSchemaGolden(t *testing.T) {
	got, err := ProjectJSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "project.schema.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("generated schema differs from %s; run with -update and review the diff", golden)
	}
}

func TestUnescapeHTML(t *testing.T) {
	tests := map[string]string{
		`"a \u003cb\u003e \u0026 c"`: `"a <b> & c"`,
		`"\\u003c"`:                  `"\\u003c"`, // an escaped backslash, then text
		`"\"\u003c"`:                 `"\"<"`,
		`"\u00e9"`:                   `"\u00e9"`,
	}
	for in, want := range tests {
		if got := string(unescapeHTML([]byte(in))); got != want {
			t.Errorf("unescapeHTML(%s) = %s, want %s", in, got, want)
		}
	}
}
