package analysis

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func dumpNode(sb *strings.Builder, text []byte, n *Node, indent string) {
	fmt.Fprintf(sb, "%s%v tag=%s val=%q src=%q\n", indent, n.Kind, n.Tag, n.Value, text[n.Range.Start:n.Range.End])
	for _, p := range n.Pairs {
		dumpNode(sb, text, p.Key, indent+"  K ")
		dumpNode(sb, text, p.Value, indent+"  V ")
	}
	for _, it := range n.Items {
		dumpNode(sb, text, it, indent+"  - ")
	}
}

func TestDumpYAML(t *testing.T) {
	p := os.Getenv("DUMP_YAML")
	if p == "" {
		t.Skip()
	}
	text, _ := os.ReadFile(p)
	d := ParseYAML(text)
	var sb strings.Builder
	if d.Root != nil {
		dumpNode(&sb, text, d.Root, "")
	}
	for _, e := range d.Errors {
		fmt.Fprintf(&sb, "ERR %v %q %s\n", e.Range, text[e.Range.Start:e.Range.End], e.Message)
	}
	t.Log("\n" + sb.String())
}
