package analysis

import (
	"strconv"
	"strings"
)

// located says what is at a byte offset of a project.yaml's tree.
type located struct {
	path   []string // keys from the root to the node, with real action ids
	key    *Node    // set when the offset is on a key
	value  *Node    // set when the offset is on a scalar value (or a list item)
	action *Action  // the enclosing action, if any
	item   int      // index of the list item, -1 when not in a list
}

// locate finds the innermost key or scalar at off. When off is inside a collection but on
// no key or scalar, it returns false with the path to that collection.
func locate(p *Project, off int) (located, bool) {
	loc := located{item: -1}
	n := p.Doc.Root
	for n != nil {
		switch n.Kind {
		case KindMapping:
			var next *Node
			for _, pair := range n.Pairs {
				if pair.Key.Range.Contains(off) && !pair.Key.Range.Empty() {
					loc.path = append(loc.path, pair.Key.Value)
					loc.key = pair.Key
					loc.fillAction(p)
					return loc, true
				}
				if pair.Value.Range.Contains(off) && !pair.Value.Range.Empty() {
					loc.path = append(loc.path, pair.Key.Value)
					next = pair.Value
					break
				}
			}
			if next == nil {
				return loc, false
			}
			n = next
		case KindSequence:
			var next *Node
			for i, it := range n.Items {
				if it.Range.Contains(off) {
					loc.item = i
					next = it
					break
				}
			}
			if next == nil {
				return loc, false
			}
			n = next
		case KindScalar:
			loc.value = n
			loc.fillAction(p)
			return loc, true
		default:
			return loc, false
		}
	}
	return loc, false
}

func (l *located) fillAction(p *Project) {
	if len(l.path) >= 2 && l.path[0] == "actions" {
		l.action = p.ActionByID(l.path[1])
	}
}

// runWord finds the run-line word of an action at off, or -1.
func runWord(a *Action, text []byte, off int) int {
	for i := range a.Words {
		if r := a.WordRange(text, i); r != a.RunNode.Range && r.Contains(off) {
			return i
		}
	}
	return -1
}

// Location is a place in a file of the study (path relative to the root).
type Location struct {
	File  string
	Range Range
}

// DefinitionProject answers "go to definition" at off: a `needs` entry goes to that
// action; a path in `run:` goes to the file, or, when another action writes it, to that
// output's declaration.
func DefinitionProject(snap Snapshot, p *Project, off int) []Location {
	file, text := p.Path, p.Doc.Text
	loc, ok := locate(p, off)
	if !ok || loc.value == nil || loc.action == nil {
		return nil
	}
	a := loc.action
	switch {
	case len(loc.path) == 3 && loc.path[2] == "needs":
		if t := p.ActionByID(loc.value.Value); t != nil {
			return []Location{{File: file, Range: t.Key.Range}}
		}
	case len(loc.path) == 3 && loc.path[2] == "run" && a.RunNode == loc.value:
		i := runWord(a, text, off)
		if i <= 0 {
			return nil
		}
		path := runWordPath(a.Words[i].Text)
		if path == "" {
			return nil
		}
		var out []Location
		for _, b := range p.Actions {
			for _, o := range b.Outputs {
				if o.Node != nil && o.Path != "" && b != a && MatchOutput(o.Path, path) {
					out = append(out, Location{File: file, Range: o.Node.Range})
				}
			}
		}
		if snap != nil && snap.Exists(path) {
			out = append([]Location{{File: path}}, out...)
		}
		return out
	}
	return nil
}

// runWordPath returns the path a run-line word names: the word itself, or the value of a
// --flag=value, without the /workspace/ prefix. Words that are not paths give "".
func runWordPath(w string) string {
	if strings.HasPrefix(w, "-") {
		_, v, ok := strings.Cut(w, "=")
		if !ok {
			return ""
		}
		w = v
	}
	w = strings.TrimPrefix(w, "/workspace/")
	w = strings.TrimPrefix(w, "./")
	if w == "" || (!strings.Contains(w, "/") && !strings.Contains(w, ".")) {
		return ""
	}
	return w
}

// ReferencesProject lists the `needs` entries that name the action at off (on its id or on a
// needs entry naming it), plus its own id when includeDecl is set.
func ReferencesProject(p *Project, off int, includeDecl bool) []Location {
	file := p.Path
	loc, ok := locate(p, off)
	if !ok {
		return nil
	}
	var id string
	switch {
	case loc.key != nil && len(loc.path) == 2 && loc.path[0] == "actions":
		id = loc.key.Value
	case loc.value != nil && len(loc.path) == 3 && loc.path[2] == "needs":
		id = loc.value.Value
	default:
		return nil
	}
	target := p.ActionByID(id)
	if target == nil {
		return nil
	}
	var out []Location
	if includeDecl {
		out = append(out, Location{File: file, Range: target.Key.Range})
	}
	for _, a := range p.Actions {
		for _, n := range a.Needs {
			if n.Kind == KindScalar && n.Value == id {
				out = append(out, Location{File: file, Range: n.Range})
			}
		}
	}
	return out
}

// SymbolKind says what a symbol of the outline is.
type SymbolKind int

// Kinds of symbols.
const (
	SymbolSection SymbolKind = iota + 1 // a top-level key
	SymbolAction
	SymbolSetting // a key inside an action
)

// Symbol is one entry of a file's outline.
type Symbol struct {
	Name      string
	Detail    string
	Kind      SymbolKind
	Range     Range // the whole entry
	Selection Range // its name
	Children  []Symbol
}

// ProjectSymbols returns the outline of a project.yaml: its top-level keys, with the actions
// under `actions`.
func ProjectSymbols(p *Project) []Symbol {
	root := p.Doc.Root
	if root == nil || root.Kind != KindMapping {
		return nil
	}
	var out []Symbol
	for _, pair := range root.Pairs {
		if pair.Key.Kind != KindScalar {
			continue
		}
		s := Symbol{Name: pair.Key.Value, Kind: SymbolSection, Range: span(pair), Selection: pair.Key.Range}
		if pair.Value.Kind == KindScalar {
			s.Detail = pair.Value.Value
		}
		if pair.Key.Value == "actions" {
			s.Detail = plural(len(p.Actions), "action")
			for _, a := range p.Actions {
				if a.Key.Kind != KindScalar {
					continue
				}
				as := Symbol{Name: a.ID, Detail: a.Run, Kind: SymbolAction, Range: Range{a.Key.Range.Start, max(a.Key.Range.End, a.Value.Range.End)}, Selection: a.Key.Range}
				if a.Value.Kind == KindMapping {
					for _, ap := range a.Value.Pairs {
						cs := Symbol{Name: ap.Key.Value, Kind: SymbolSetting, Range: span(ap), Selection: ap.Key.Range}
						if ap.Value.Kind == KindScalar {
							cs.Detail = ap.Value.Value
						}
						as.Children = append(as.Children, cs)
					}
				}
				s.Children = append(s.Children, as)
			}
		}
		out = append(out, s)
	}
	return out
}

func span(p *Pair) Range {
	return Range{p.Key.Range.Start, max(p.Key.Range.End, p.Value.Range.End)}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Lens is a command shown above an action: run it, or run it with the actions it needs.
type Lens struct {
	Range     Range // the action's id
	Action    string
	WithNeeds bool
}

// CodeLenses returns two lenses for every action: "Run" and "Run with needs" (the latter
// only when it needs something).
func CodeLenses(p *Project) []Lens {
	var out []Lens
	for _, a := range p.Actions {
		if a.ID == "" || a.Key.Kind != KindScalar {
			continue
		}
		out = append(out, Lens{Range: a.Key.Range, Action: a.ID})
		if len(a.Needs) > 0 {
			out = append(out, Lens{Range: a.Key.Range, Action: a.ID, WithNeeds: true})
		}
	}
	return out
}
