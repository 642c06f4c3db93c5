package python

import (
	"testing"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

func BenchmarkPhaseTS(b *testing.B) {
	src := []byte(genDatasetDefinition(2500))
	grammar()
	for b.Loop() {
		t := parseTree(src, nil)
		t.Close()
	}
}

func BenchmarkPhaseFlatten(b *testing.B) {
	src := []byte(genDatasetDefinition(2500))
	grammar()
	t := parseTree(src, nil)
	defer t.Close()
	var buf []flatNode
	for b.Loop() {
		buf = flatten(t, buf)
	}
	b.ReportMetric(float64(len(buf)), "nodes")
}

func BenchmarkPhaseConvert(b *testing.B) {
	src := []byte(genDatasetDefinition(2500))
	grammar()
	t := parseTree(src, nil)
	defer t.Close()
	nodes := flatten(t, nil)
	b.ReportAllocs()
	for b.Loop() {
		bl := &builder{src: src}
		bl.build(nodes)
	}
}

func BenchmarkPhaseTSIncremental(b *testing.B) {
	src := []byte(genDatasetDefinition(2500))
	at := len(src) / 2
	edited := append(append(append([]byte{}, src[:at]...), 'x'), src[at:]...)
	grammar()
	t := parseTree(src, nil)
	defer t.Close()
	e := Edit{at, at, at + 1}
	for b.Loop() {
		c := t.Clone()
		c.Edit(&sitter.InputEdit{StartByte: uint(e.Start), OldEndByte: uint(e.OldEnd), NewEndByte: uint(e.NewEnd), StartPosition: pointAt(src, e.Start), OldEndPosition: pointAt(src, e.OldEnd), NewEndPosition: pointAt(edited, e.NewEnd)})
		n := parseTree(edited, c)
		n.Close()
		c.Close()
	}
}
