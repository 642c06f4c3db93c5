package python

import (
	"github.com/opensafely-core/osls/internal/testgen"
	"reflect"
	"testing"
)

// FuzzParse checks that any input parses without panicking, that every
// range lies inside the source and inside its parent, and that re-parsing
// from a slightly different text gives the same tree as a fresh parse.
func FuzzParse(f *testing.F) {
	for _, tc := range convertCases {
		f.Add(tc.src)
	}
	f.Add(testgen.DatasetDefinition(60))
	f.Add("dataset.age = patients.\nx = f(\ndef g(:\n  '''\n")
	f.Fuzz(func(t *testing.T, src string) {
		file := Parse([]byte(src))
		defer file.Close()
		checkRanges(t, file)
		for off := 0; off <= len(src); off += 1 + len(src)/16 {
			for _, n := range file.NodeAt(off) {
				if r := n.Span(); !r.Contains(off) {
					t.Fatalf("NodeAt(%d) returned %T %v", off, n, r)
				}
			}
		}
		if len(src) > 1 {
			prev := Parse([]byte(src[1:] + "\n"))
			defer prev.Close()
			re := prev.Reparse([]byte(src), nil)
			defer re.Close()
			if !reflect.DeepEqual(re.Module, file.Module) || !reflect.DeepEqual(re.Errors, file.Errors) {
				t.Fatalf("Reparse differs from Parse for %q", src)
			}
		}
	})
}
