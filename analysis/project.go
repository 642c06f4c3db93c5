package analysis

import (
	"strconv"
	"strings"
)

// Project is a parsed project.yaml: the YAML tree plus the pieces that checks, hover,
// completion and the runner look at, each with its source range.
type Project struct {
	Path string
	Doc  *YAMLDoc

	VersionNode *Node   // nil when absent
	Version     float64 // 0 when absent or not a number
	VersionOK   bool    // Version holds a usable number

	ActionsNode      *Node // the value of `actions:`, nil when absent
	ExpectationsPair *Pair // nil when absent
	Actions          []*Action
	byID             map[string]*Action
}

// Action is one entry of `actions:`.
type Action struct {
	ID    string
	Key   *Node // the action id as written
	Value *Node // its mapping (may be another kind in a broken file)

	RunNode  *Node
	Run      string // the run string as YAML gives it
	Words    []Word // Run split like a shell; Raw ranges index into Run
	Image    string // image name before the first ':' of the first word
	Tag      string // text after the first ':'
	SplitErr error

	NeedsNode *Node
	Needs     []*Node // entries of the needs list

	OutputsNode *Node
	Outputs     []Output

	Config        *Node
	DummyDataFile *Node
}

// Output is one declared output pattern.
type Output struct {
	Level    string
	NameNode *Node
	Node     *Node // the path value
	Path     string
}

// ActionByID returns the first action with the given id.
func (p *Project) ActionByID(id string) *Action {
	if p == nil {
		return nil
	}
	return p.byID[id]
}

// ParseProject parses a project.yaml. It always returns a Project; a broken file yields
// whatever could be recovered (see ParseYAML).
func ParseProject(path string, text []byte) *Project {
	p := &Project{Path: path, Doc: ParseYAML(text), byID: map[string]*Action{}}
	root := p.Doc.Root
	if root == nil || root.Kind != KindMapping {
		return p
	}
	if vp := root.Get("version"); vp != nil {
		p.VersionNode = vp.Value
		p.Version, p.VersionOK = parseVersion(vp.Value)
	}
	p.ExpectationsPair = root.Get("expectations")
	ap := root.Get("actions")
	if ap == nil {
		return p
	}
	p.ActionsNode = ap.Value
	if ap.Value.Kind != KindMapping {
		return p
	}
	for _, pair := range ap.Value.Pairs {
		a := &Action{ID: pair.Key.Value, Key: pair.Key, Value: pair.Value}
		if pair.Key.Kind == KindNull {
			a.ID = ""
		}
		a.fill()
		p.Actions = append(p.Actions, a)
		if _, dup := p.byID[a.ID]; !dup {
			p.byID[a.ID] = a
		}
	}
	return p
}

// parseVersion converts a version node as Python's float() would, refusing booleans, NaN and
// infinities (which pipeline mishandles).
func parseVersion(n *Node) (float64, bool) {
	if n == nil || n.Kind != KindScalar || n.Tag == "bool" {
		return 0, false
	}
	s := strings.TrimSpace(n.Value)
	s = strings.ReplaceAll(s, "_", "")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		return 0, false
	}
	return f, true
}

func (a *Action) fill() {
	m := a.Value
	if m == nil || m.Kind != KindMapping {
		return
	}
	if rp := m.Get("run"); rp != nil {
		a.RunNode = rp.Value
		if rp.Value.Kind == KindScalar {
			a.Run = rp.Value.Value
			a.Words, a.SplitErr = SplitShell(a.Run)
			if len(a.Words) > 0 {
				first := a.Words[0].Text
				if i := strings.IndexByte(first, ':'); i >= 0 {
					a.Image, a.Tag = first[:i], first[i+1:]
				} else {
					a.Image = first
				}
			}
		}
	}
	if np := m.Get("needs"); np != nil {
		a.NeedsNode = np.Value
		if np.Value.Kind == KindSequence {
			a.Needs = np.Value.Items
		}
	}
	if op := m.Get("outputs"); op != nil {
		a.OutputsNode = op.Value
		if op.Value.Kind == KindMapping {
			for _, lvl := range op.Value.Pairs {
				if lvl.Value.Kind != KindMapping {
					continue
				}
				for _, o := range lvl.Value.Pairs {
					out := Output{Level: lvl.Key.Value, NameNode: o.Key, Node: o.Value}
					if o.Value.Kind == KindScalar {
						out.Path = o.Value.Value
					}
					a.Outputs = append(a.Outputs, out)
				}
			}
		}
	}
	if cp := m.Get("config"); cp != nil {
		a.Config = cp.Value
	}
	if dp := m.Get("dummy_data_file"); dp != nil {
		a.DummyDataFile = dp.Value
	}
}

// Args returns the words of the run line after the image.
func (a *Action) Args() []Word {
	if len(a.Words) <= 1 {
		return nil
	}
	return a.Words[1:]
}

// NeedIDs returns the string entries of the action's needs list.
func (a *Action) NeedIDs() []string {
	var ids []string
	for _, n := range a.Needs {
		if n.Kind == KindScalar {
			ids = append(ids, n.Value)
		}
	}
	return ids
}

// WordRange maps a word of the run line to its byte range in the file. Where the run value is
// written plainly on one line (or the word's raw text can be found in the source) the range is
// exact; otherwise it falls back to the whole run value.
func (a *Action) WordRange(text []byte, i int) Range {
	if a.RunNode == nil || i < 0 || i >= len(a.Words) {
		if a.RunNode != nil {
			return a.RunNode.Range
		}
		return Range{}
	}
	rn := a.RunNode.Range
	src := string(text[rn.Start:rn.End])
	w := a.Words[i]
	raw := a.Run[w.Raw.Start:w.Raw.End]
	if src == a.Run {
		return Range{rn.Start + w.Raw.Start, rn.Start + w.Raw.End}
	}
	// Search for the word's raw text in the source, after the previous words.
	from := 0
	for j := 0; j < i; j++ {
		pr := a.Run[a.Words[j].Raw.Start:a.Words[j].Raw.End]
		if k := indexWord(src[from:], pr); k >= 0 {
			from += k + len(pr)
		}
	}
	if k := indexWord(src[from:], raw); k >= 0 {
		return Range{rn.Start + from + k, rn.Start + from + k + len(raw)}
	}
	return rn
}

// indexWord finds w in s where it stands as a whole whitespace-separated word.
func indexWord(s, w string) int {
	if w == "" {
		return -1
	}
	off := 0
	for {
		k := strings.Index(s[off:], w)
		if k < 0 {
			return -1
		}
		at := off + k
		before := at == 0 || isSpace(s[at-1])
		after := at+len(w) == len(s) || isSpace(s[at+len(w)])
		if before && after {
			return at
		}
		off = at + 1
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
