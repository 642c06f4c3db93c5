package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/schema"
)

// crossActions runs the rules that relate actions to each other.
func (c *checker) crossActions() {
	c.duplicateRuns()
	if c.p.VersionOK && c.p.Version >= 2 {
		c.duplicateOutputs()
	}
	c.cycles()
	idx := newOutputIndex(c.p)
	c.overlaps(idx)
	for _, a := range c.p.Actions {
		c.runFiles(a, idx)
	}
}

func (c *checker) duplicateRuns() {
	first := map[string][]string{}
	for _, a := range c.p.Actions {
		if a.RunNode == nil || a.RunNode.Kind != KindScalar || strings.TrimSpace(a.Run) == "" {
			continue
		}
		if prev := first[a.Run]; len(prev) > 0 {
			d := c.add(CodeRunDuplicate, a.RunNode.Range, fmt.Sprintf("Action %s has the same 'run' command as other actions: %s. Make the commands differ (e.g. pass the output directory as an argument)", a.ID, strings.Join(prev, " ,")))
			if o := c.p.ActionByID(prev[0]); o != nil {
				d.Related = []Related{{File: c.file, Range: o.RunNode.Range, Message: "same command in " + o.ID}}
			}
		}
		first[a.Run] = append(first[a.Run], a.ID)
	}
}

func (c *checker) duplicateOutputs() {
	seen := map[string]*Node{}
	for _, a := range c.p.Actions {
		for _, o := range a.Outputs {
			if !o.Node.IsString() {
				continue
			}
			if prev, ok := seen[o.Path]; ok {
				d := c.add(CodeOutputsDuplicate, o.Node.Range, fmt.Sprintf("Output path %s is not unique", o.Path))
				d.Related = []Related{{File: c.file, Range: prev.Range, Message: "first declared here"}}
				continue
			}
			seen[o.Path] = o.Node
		}
	}
}

// cycles reports each circular chain of needs once, at the entry that closes it.
func (c *checker) cycles() {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(a *Action)
	visit = func(a *Action) {
		color[a.ID] = grey
		stack = append(stack, a.ID)
		for _, n := range a.Needs {
			if n.Kind != KindScalar {
				continue
			}
			b := c.p.ActionByID(n.Value)
			if b == nil {
				continue
			}
			switch color[b.ID] {
			case grey:
				i := len(stack) - 1
				for i >= 0 && stack[i] != b.ID {
					i--
				}
				chain := append(append([]string{}, stack[i:]...), b.ID)
				c.add(CodeNeedsCycle, n.Range, fmt.Sprintf("Action `%s` has a circular dependency in `needs`: %s", a.ID, strings.Join(chain, " -> ")))
			case white:
				visit(b)
			}
		}
		stack = stack[:len(stack)-1]
		color[a.ID] = black
	}
	for _, a := range c.p.Actions {
		if color[a.ID] == white && c.p.ActionByID(a.ID) == a {
			visit(a)
		}
	}
}

// outputIndex finds which actions declare an output pattern matching a path.
type outputIndex struct {
	exact    map[string][]*Action   // literal patterns
	literals map[string][]globEntry // literal patterns by directory (sorted on first use)
	sorted   bool
	globs    map[string][]globEntry // patterns with `*`, by directory (when the directory is literal)
	wild     []globEntry            // patterns with `*` in the directory part
}

type globEntry struct {
	pattern string
	action  *Action
	out     Output
}

func newOutputIndex(p *Project) *outputIndex {
	idx := &outputIndex{exact: map[string][]*Action{}, literals: map[string][]globEntry{}, globs: map[string][]globEntry{}}
	for _, a := range p.Actions {
		for _, o := range a.Outputs {
			if o.Path == "" {
				continue
			}
			if !strings.Contains(o.Path, "*") {
				idx.exact[o.Path] = append(idx.exact[o.Path], a)
				d := dirOf(o.Path)
				e := globEntry{pattern: o.Path, action: a, out: o}
				idx.literals[d] = append(idx.literals[d], e)
				// Also by directory and extension, the usual way a glob narrows its matches.
				if ext := suffix(o.Path); ext != "" {
					k := d + "\x00" + ext
					idx.literals[k] = append(idx.literals[k], e)
				}
				continue
			}
			dir := dirOf(o.Path)
			e := globEntry{pattern: o.Path, action: a, out: o}
			if strings.Contains(dir, "*") {
				idx.wild = append(idx.wild, e)
			} else {
				idx.globs[dir] = append(idx.globs[dir], e)
			}
		}
	}
	return idx
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// literalsMatching returns the literal output paths that could match a glob: those in its
// directory that start with its text before the first `*` (for a directory with a `*`,
// every literal path is a candidate).
func (idx *outputIndex) literalsMatching(glob string) []globEntry {
	dir := dirOf(glob)
	if strings.Contains(dir, "*") {
		var all []globEntry
		for k, es := range idx.literals {
			if !strings.Contains(k, "\x00") {
				all = append(all, es...)
			}
		}
		return all
	}
	if !idx.sorted {
		for _, es := range idx.literals {
			sort.Slice(es, func(i, j int) bool { return es[i].pattern < es[j].pattern })
		}
		idx.sorted = true
	}
	es := idx.literals[dir]
	if ext := suffix(glob); ext != "" && !strings.Contains(ext, "*") {
		es = idx.literals[dir+"\x00"+ext]
	}
	prefix := glob[:strings.IndexByte(glob, '*')]
	lo := sort.Search(len(es), func(i int) bool { return es[i].pattern >= prefix })
	hi := lo
	for hi < len(es) && strings.HasPrefix(es[hi].pattern, prefix) {
		hi++
	}
	return es[lo:hi]
}

// producers returns the actions with an output pattern matching the file path.
func (idx *outputIndex) producers(file string) []*Action {
	out := append([]*Action(nil), idx.exact[file]...)
	for _, e := range idx.globs[dirOf(file)] {
		if MatchOutput(e.pattern, file) {
			out = append(out, e.action)
		}
	}
	for _, e := range idx.wild {
		if MatchOutput(e.pattern, file) {
			out = append(out, e.action)
		}
	}
	return out
}

// overlaps reports output patterns that catch another action's files: a needed action's
// (a warning: the dependency's file is copied into the job and captured again) or an
// unrelated action's named file (a hint). Two globs of unrelated actions that could match a
// common name are not reported: such names rarely exist, and big studies have thousands.
func (c *checker) overlaps(idx *outputIndex) {
	for _, a := range c.p.Actions {
		var direct []*Action
		for _, id := range a.NeedIDs() {
			if b := c.p.ActionByID(id); b != nil && b != a {
				direct = append(direct, b)
			}
		}
		for _, o := range a.Outputs {
			if !strings.Contains(o.Path, "*") || !o.Node.IsString() {
				continue
			}
			reported := map[*Action]bool{a: true}
			for _, b := range direct {
				for _, other := range b.Outputs {
					if reported[b] || other.Path == "" || !PatternsOverlap(o.Path, other.Path) {
						continue
					}
					reported[b] = true
					msg := fmt.Sprintf("%s also matches %s, an output of %s which this action needs: the needed file is copied into the job and would be captured again as this action's output", o.Path, other.Path, b.ID)
					if o.Level == "moderately_sensitive" && other.Level == "highly_sensitive" {
						msg = fmt.Sprintf("%s also matches %s, a highly_sensitive output of %s which this action needs: that patient-level file would be published as moderately_sensitive; make the pattern narrower", o.Path, other.Path, b.ID)
					}
					c.add(CodeOutputsCapturesDep, o.Node.Range, msg)
				}
			}
			for _, lit := range idx.literalsMatching(o.Path) {
				b := lit.action
				if reported[b] || c.needSet(b)[a.ID] || !MatchOutput(o.Path, lit.pattern) {
					continue
				}
				reported[b] = true
				c.add(CodeOutputsOverlap, o.Node.Range, fmt.Sprintf("%s also matches %s, an output of %s: if both actions run, the file is claimed twice", o.Path, lit.pattern, b.ID))
			}
		}
	}
}

// needSet returns the ids that action a lists in its needs, computed once per check.
func (c *checker) needSet(a *Action) map[string]bool {
	if c.needSets == nil {
		c.needSets = map[*Action]map[string]bool{}
	}
	s, ok := c.needSets[a]
	if !ok {
		s = map[string]bool{}
		for _, id := range a.NeedIDs() {
			s[id] = true
		}
		c.needSets[a] = s
	}
	return s
}

// transitiveNeeds returns every action reachable through needs from a (excluding a).
func transitiveNeeds(p *Project, a *Action) map[*Action]bool {
	seen := map[*Action]bool{}
	var walk func(x *Action)
	walk = func(x *Action) {
		for _, id := range x.NeedIDs() {
			if b := p.ActionByID(id); b != nil && !seen[b] {
				seen[b] = true
				walk(b)
			}
		}
	}
	walk(a)
	delete(seen, a)
	return seen
}

var codeExtensions = []string{".py", ".R", ".r", ".do", ".sql", ".ipynb", ".Rmd", ".qmd", ".jl", ".sh"}

func isCodePath(p string) bool {
	for _, e := range codeExtensions {
		if strings.HasSuffix(p, e) && len(p) > len(e) {
			return true
		}
	}
	return false
}

// runFiles checks the paths named in `run:`: that code files exist in the repository, and
// that another action's output is only read by an action that needs it directly.
func (c *checker) runFiles(a *Action, idx *outputIndex) {
	if a.SplitErr != nil || len(a.Words) < 2 {
		return
	}
	// Code paths are checked for built-in images and for unknown ones (usually a misspelt
	// built-in, such as Rscript:v2); a reusable action's arguments are its own business.
	_, reusable := schema.LookupReusableAction(a.Image)
	var transitive map[*Action]bool
	needs := map[string]bool{}
	for _, id := range a.NeedIDs() {
		needs[id] = true
	}
	outFlag := -1
	if _, i, ok := argValue(a.Args(), "--output"); ok {
		outFlag = i + 1
	}
	for i, w := range a.Words[1:] {
		wi := i + 1
		val := w.Text
		if strings.HasPrefix(val, "-") {
			if j := strings.IndexByte(val, '='); j >= 0 {
				val = val[j+1:]
			} else {
				continue
			}
		}
		val = strings.TrimPrefix(val, "/workspace/")
		if val == "" || strings.Contains(val, "*") || !strings.Contains(val, "/") && !isCodePath(val) {
			continue
		}
		if wi == outFlag {
			continue
		}
		producers := idx.producers(val)
		if len(producers) > 0 {
			self := false
			for _, p := range producers {
				if p == a {
					self = true
				}
			}
			if self {
				continue
			}
			ok := false
			for _, p := range producers {
				if needs[p.ID] {
					ok = true
				}
			}
			if ok {
				continue
			}
			if transitive == nil {
				transitive = transitiveNeeds(c.p, a)
			}
			p := producers[0]
			r := a.WordRange(c.text, wi)
			if transitive[p] {
				c.add(CodeNeedsTransitive, r, fmt.Sprintf("%s is an output of %s, which %s needs only indirectly: a job only sees the outputs of the actions listed in its own `needs`; add %s", val, p.ID, a.ID, p.ID))
			} else {
				c.add(CodeNeedsMissingInput, r, fmt.Sprintf("%s is an output of %s, but %s does not list it in `needs`: the file will not be there when the job runs", val, p.ID, a.ID), c.addNeedFix(a, p.ID)...)
			}
			continue
		}
		if !reusable && isCodePath(val) {
			c.fileExists(val, a.WordRange(c.text, wi), "file")
		}
	}
	// ehrQL's data files.
	if ehrqlCommand(a) != "" {
		for _, flag := range []string{"--dummy-data-file", "--test-data-file", "--dummy-tables"} {
			v, i, ok := argValue(a.Args(), flag)
			if !ok || v == "" || len(idx.producers(v)) > 0 || c.producedDir(v) {
				continue
			}
			c.fileExists(v, a.WordRange(c.text, i+1), strings.TrimPrefix(flag, "--"))
		}
	}
}

// producedDir reports whether some output pattern lies inside directory d, so that d will
// exist once that action has run.
func (c *checker) producedDir(d string) bool {
	if c.outDirs == nil {
		c.outDirs = map[string]bool{}
		for _, a := range c.p.Actions {
			for _, o := range a.Outputs {
				for dir := dirOf(o.Path); dir != "" && !c.outDirs[dir]; dir = dirOf(dir) {
					c.outDirs[dir] = true
				}
			}
		}
	}
	return c.outDirs[strings.TrimSuffix(d, "/")]
}

// addNeedFix appends an action to a flow or block needs list, or adds a needs key.
func (c *checker) addNeedFix(a *Action, id string) []Fix {
	title := "Add " + id + " to needs"
	n := a.NeedsNode
	switch {
	case n != nil && n.Kind == KindSequence && n.Flow:
		at := n.Range.End - 1
		sep := ", "
		if len(n.Items) == 0 {
			sep = ""
		}
		return []Fix{{Title: title, Edits: []TextEdit{{Range: Range{at, at}, NewText: sep + id}}}}
	case n != nil && n.Kind == KindSequence && len(n.Items) > 0:
		last := n.Items[len(n.Items)-1]
		lines := c.p.Doc.Lines
		ls := lines.Start(lines.Line(last.Range.Start))
		prefix := string(c.text[ls:last.Range.Start])
		at := last.Range.End
		return []Fix{{Title: title, Edits: []TextEdit{{Range: Range{at, at}, NewText: "\n" + prefix + id}}}}
	case n == nil && a.RunNode != nil && a.Value.Kind == KindMapping && !a.Value.Flow:
		lines := c.p.Doc.Lines
		k := a.Value.Pairs[0].Key.Range.Start
		ls := lines.Start(lines.Line(k))
		return []Fix{{Title: title, Edits: []TextEdit{{Range: Range{ls, ls}, NewText: string(c.text[ls:k]) + "needs: [" + id + "]\n"}}}}
	}
	return nil
}

// fileExists warns when a path named in the project is not in the repository, suggesting
// the right case when only the case differs.
func (c *checker) fileExists(p string, r Range, what string) {
	if c.snap == nil || p == "" {
		return
	}
	if c.files == nil {
		c.files = indexOf(c.snap)
	}
	p = strings.TrimPrefix(p, "/workspace/")
	clean := strings.TrimPrefix(p, "./")
	if c.files.Has(clean) || c.files.Has(strings.TrimSuffix(clean, "/")+"/") || c.snap.Exists(clean) {
		return
	}
	if real, ok := c.files.Fold(clean); ok {
		c.add(CodeFileMissing, r, fmt.Sprintf("%s %s does not exist, but %s does: paths are case-sensitive when jobs run", what, p, real),
			Fix{Title: "Change to " + real, Edits: []TextEdit{{Range: r, NewText: real}}})
		return
	}
	c.add(CodeFileMissing, r, fmt.Sprintf("%s %s is not in the repository", what, p))
}

// reusableConfig checks `config:` against the reusable action's known keys.
func (c *checker) reusableConfig(a *Action, ra schema.ReusableAction) {
	if ra.Config == nil {
		return
	}
	cfg := a.Config
	if cfg == nil || cfg.IsNull() {
		if _, _, ok := argValue(a.Args(), "--config-file"); ok {
			return
		}
		var req []string
		for _, k := range ra.Config.Keys {
			if k.Required {
				req = append(req, k.Name)
			}
		}
		if len(req) > 0 {
			c.add(CodeReusableConfig, a.Key.Range, fmt.Sprintf("%s needs a `config` section with %s", ra.Name, strings.Join(req, ", ")))
		}
		return
	}
	if cfg.Kind != KindMapping {
		return
	}
	var names []string
	for _, k := range ra.Config.Keys {
		names = append(names, k.Name)
	}
	for _, p := range cfg.Pairs {
		key, ok := configKey(ra.Config, p.Key.Value)
		if !ok {
			msg := fmt.Sprintf("%s does not know the config key %q (it would fail with a Python TypeError)", ra.Name, p.Key.Value)
			var fixes []Fix
			if s := suggest(p.Key.Value, names); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
				fixes = append(fixes, Fix{Title: fmt.Sprintf("Change to %q", s), Edits: []TextEdit{{Range: p.Key.Range, NewText: s}}})
			}
			c.add(CodeReusableConfig, p.Key.Range, msg, fixes...)
			continue
		}
		if why := configTypeError(key, p.Value); why != "" {
			c.add(CodeReusableConfig, rangeOr(p.Value.Range, p.Key.Range), fmt.Sprintf("%s config %s %s", ra.Name, key.Name, why))
		}
	}
	for _, k := range ra.Config.Keys {
		if k.Required && cfg.Get(k.Name) == nil {
			c.add(CodeReusableConfig, a.Config.Range, fmt.Sprintf("%s config is missing the required key %s", ra.Name, k.Name))
		}
	}
}

func configKey(s *schema.ConfigSchema, name string) (schema.ConfigKey, bool) {
	for _, k := range s.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return schema.ConfigKey{}, false
}

func configTypeError(k schema.ConfigKey, v *Node) string {
	switch k.Type {
	case "int":
		if v.Kind != KindScalar || v.Tag != "int" {
			return "must be a whole number"
		}
	case "string":
		if v.Kind != KindScalar {
			return "must be a string"
		}
	case "bool":
		if v.Kind != KindScalar || v.Tag != "bool" {
			return "must be true or false"
		}
	case "mapping":
		if v.Kind != KindMapping {
			return "must be a mapping"
		}
	case "list":
		if v.Kind != KindSequence {
			return "must be a list"
		}
	}
	if len(k.Enum) > 0 && v.Kind == KindScalar && !contains(k.Enum, v.Value) {
		return "must be one of " + strings.Join(k.Enum, ", ")
	}
	return ""
}
