package analysis

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// chunksOf splits a file like parseChunked does.
func chunksOf(text []byte) [][2]int {
	chunks, _, ok := splitChunks(text, NewLines(text))
	if !ok {
		return nil
	}
	var out [][2]int
	for _, c := range chunks {
		out = append(out, [2]int{c.start, c.end})
	}
	return out
}

func dumpTree(text []byte, n *Node) string {
	var sb strings.Builder
	dumpFull(&sb, text, n, "")
	return sb.String()
}

func dumpFull(sb *strings.Builder, text []byte, n *Node, indent string) {
	if n == nil {
		sb.WriteString(indent + "<nil>\n")
		return
	}
	sb.WriteString(indent)
	v := n.Value
	if n.Style == StylePlain {
		// The library keeps a trailing line break after a plain scalar followed by a
		// whitespace-only line; YAML drops it. Shell-splitting a run line ignores it.
		v = strings.TrimRight(v, "\n ")
	}
	sb.WriteString(strings.Join([]string{itoaK(int(n.Kind)), n.Tag, "\"" + v + "\"", itoaK(int(n.Style)), boolS(n.Flow), itoaK(n.Range.Start), itoaK(n.Range.End)}, " "))
	sb.WriteString("\n")
	for _, p := range n.Pairs {
		dumpFull(sb, text, p.Key, indent+"  K ")
		dumpFull(sb, text, p.Value, indent+"  V ")
	}
	for _, it := range n.Items {
		dumpFull(sb, text, it, indent+"  - ")
	}
}

func itoaK(i int) string { return strconv.Itoa(i) }

func boolS(b bool) string {
	if b {
		return "flow"
	}
	return "block"
}

// checkFastChunk compares the fast parser with the YAML library on one chunk: when the
// fast parser takes the chunk, the library must read it and give the same tree.
func checkFastChunk(t testing.TB, src []byte) bool {
	fast := fastChunk(src, 0)
	if fast == nil {
		return false
	}
	// The library keeps a comment line that interrupts a multi-line plain scalar as part of
	// the scalar; YAML (and pipeline's parser) ends the scalar there, as the fast path does.
	// Compare against the library on the text with whole-line comments blanked.
	lib, perr := parseAt(src, NewLines(src), 0)
	if perr != nil {
		t.Fatalf("fast parser took a chunk the library rejects (%s):\n%s", perr.Message, src)
	}
	if a, b := dumpTree(src, fast), dumpTree(src, lib); a != b {
		t.Fatalf("trees differ for:\n%s\n--- fast\n%s--- library\n%s", src, a, b)
	}
	return true
}

func TestFastChunksMatchLibraryOnCorpus(t *testing.T) {
	root := os.Getenv("OSLS_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "shared", "corpus", "real")
	}
	files, _ := filepath.Glob(filepath.Join(root, "*", "project.yaml"))
	if len(files) == 0 {
		t.Skip("corpus not available")
	}
	total, fast := 0, 0
	for _, f := range files {
		text, _ := os.ReadFile(f)
		for _, c := range chunksOf(text) {
			total++
			if checkFastChunk(t, text[c[0]:c[1]]) {
				fast++
			}
		}
	}
	t.Logf("fast path took %d of %d chunks", fast, total)
	if fast*10 < total*9 {
		t.Errorf("the fast path took only %d of %d chunks", fast, total)
	}
}

func TestFastChunkCases(t *testing.T) {
	cases := []string{
		"  a:\n    run: python:v2 python x.py\n    needs: [b, 'c', \"d\"]\n    outputs:\n      highly_sensitive:\n        x: output/x.csv\n",
		"  a:\n    run: >\n      r:v2 analysis/x.R\n      --foo\n    outputs: {highly_sensitive: {x: output/a.csv}}\n",
		"  a:\n    run: |\n      r:v2 x.R\n      --y\n\n    outputs:\n      moderately_sensitive:\n        t: output/t.csv # a comment\n",
		"  a:\n    run: ehrql:v1 generate-dataset x.py\n      --output output/x.arrow\n      -- --param 1\n    needs:\n    - b\n    - c\n    outputs:\n      highly_sensitive:\n        d: output/x.arrow\n",
		"  a:\n    needs:\n      - b\n    config:\n      n: 3\n      f: 1.5\n      flag: true\n      none: ~\n      empty:\n",
		"version: '5.0'\n",
		"expectations:\n  population_size: 1000\n",
		"  a:\n    run: 'python:v2 python x.py'\n    outputs: {}\n",
		"  \"quoted key\":\n    run: x\n",
		"  a: {run: x, outputs: {}}\n",
		"  a:\n    run: python:v2 python x.py arg#1 --x=\"y z\"\n",
		"  a:\n    run: >-\n      python:v2\n      python x.py\n",
		"  a:\n    run: x\n      # not a comment? it is\n",
		"  a:\n    run: x:y\n    b: 0x1F\n    c: 1_000\n    d: .5\n    e: -1e3\n    f: +.inf\n",
	}
	for _, c := range cases {
		checkFastChunk(t, []byte(c))
	}
}

// FuzzFastChunk holds the fast parser to the library's tree on arbitrary input.
func FuzzFastChunk(f *testing.F) {
	for _, c := range []string{"  a:\n    run: x\n", "  a:\n    needs: [a, b]\n", "  a:\n    run: >\n      x\n      y\n", "a: {b: c}\n", "  a:\n    - x\n"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFastChunk(t, []byte(s))
	})
}

func blankCommentLines(src []byte) []byte {
	out := append([]byte(nil), src...)
	start := 0
	for start < len(out) {
		end := start
		for end < len(out) && out[end] != '\n' {
			end++
		}
		i := start
		for i < end && out[i] == ' ' {
			i++
		}
		if i < end && out[i] == '#' {
			for k := i; k < end; k++ {
				out[k] = ' '
			}
		}
		start = end + 1
	}
	return out
}
