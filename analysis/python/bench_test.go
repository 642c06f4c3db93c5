package python

import (
	"github.com/opensafely-core/osls/internal/testgen"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	src := []byte(testgen.DatasetDefinition(2500))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		f := Parse(src)
		f.Close()
	}
}

// BenchmarkReparse measures re-parsing after typing one character in the
// middle of the file, alternately inserted and deleted.
func BenchmarkReparse(b *testing.B) {
	src := []byte(testgen.DatasetDefinition(2500))
	at := len(src) / 2
	for src[at] != '\n' {
		at++
	}
	at -= 2 // inside the last token of a line
	edited := append(append(append([]byte{}, src[:at]...), 'x'), src[at:]...)
	f0 := Parse(src)
	f1 := f0.Reparse(edited, []Edit{{Start: at, OldEnd: at, NewEnd: at + 1}})
	defer f0.Close()
	defer f1.Close()
	ins := []Edit{{Start: at, OldEnd: at, NewEnd: at + 1}}
	del := []Edit{{Start: at, OldEnd: at + 1, NewEnd: at}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var f *File
		if i%2 == 0 {
			f = f0.Reparse(edited, ins)
		} else {
			f = f1.Reparse(src, del)
		}
		f.Close()
		i++
	}
}
