package analysis

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/schema"
)

// CompletionKind says what a completion proposes; editors show it as an icon.
type CompletionKind int

// Kinds of completion.
const (
	CompleteKey CompletionKind = iota + 1
	CompleteValue
	CompleteImage
	CompleteTag
	CompleteCommand
	CompleteFlag
	CompleteFile
	CompleteAction
	CompleteSnippet
)

// Completion is one proposal at the cursor.
type Completion struct {
	Label   string
	Kind    CompletionKind
	Detail  string // one line shown next to the label
	Doc     string // markdown
	Insert  string // text that replaces Replace; LSP snippet syntax when Snippet is set
	Snippet bool
	Replace Range // the partly typed word the proposal replaces
	Sort    string
}

// maxDocumentedActions is the largest project whose action completions carry full summaries.
const maxDocumentedActions = 200

// maxFileCompletions bounds how many repository files are proposed at once.
const maxFileCompletions = 300

// cursorContext is what the text around the cursor says about where it is. It is worked out
// from the lines and their indentation, not from the YAML tree, so that it holds in a
// half-typed file the parser cannot read.
type cursorContext struct {
	path   []string // keys of the enclosing mappings, e.g. ["actions", "my_action"]
	inKey  bool     // the cursor is on a key (or where a key would go)
	key    string   // in a value: the key it belongs to
	list   bool     // on a "- item" line of a block list
	value  string   // the value text from its start up to the cursor (continuation lines joined by spaces)
	word   Range    // the partly typed word around the cursor
	indent int      // indentation of the current entry
	line   int
}

// CompleteProject proposes completions at byte offset off of a parsed project.yaml. snap may
// be nil; then no repository files are proposed.
func CompleteProject(snap Snapshot, p *Project, off int) []Completion {
	cs, _ := CompleteProjectList(snap, p, off)
	return cs
}

// CompleteProjectList is CompleteProject that also says whether the list was cut short (so
// the editor should ask again as the user types more).
func CompleteProjectList(snap Snapshot, p *Project, off int) ([]Completion, bool) {
	text := p.Doc.Text
	if off < 0 || off > len(text) {
		return nil, false
	}
	lines := p.Doc.Lines
	ctx := readCursor(text, lines, off)
	q := &completer{snap: snap, text: text, lines: lines, p: p, ctx: ctx, off: off}
	return q.complete(), q.incomplete
}

// maxNeedsCompletions bounds the actions proposed in `needs` at once; the rest come as the
// user types more of the name.
const maxNeedsCompletions = 150

type completer struct {
	snap  Snapshot
	text  []byte
	lines *Lines
	p     *Project
	ctx   cursorContext
	off   int
	out   []Completion

	incomplete bool // the proposals were cut to a limit
}

func (q *completer) add(c Completion) {
	if c.Sort == "" {
		c.Sort = fmt.Sprintf("%04d", len(q.out))
	}
	q.out = append(q.out, c)
}

func (q *completer) complete() []Completion {
	c := q.ctx
	switch {
	case c.inKey:
		q.keys()
	case c.list && len(c.path) == 3 && c.path[0] == "actions" && c.path[2] == "needs":
		q.needs(c.path[1], c.value)
	case len(c.path) == 2 && c.path[0] == "actions" && c.key == "needs":
		q.needs(c.path[1], c.value)
	case len(c.path) == 2 && c.path[0] == "actions" && c.key == "run":
		q.run(c.value)
	case len(c.path) == 2 && c.path[0] == "actions" && c.key == "dummy_data_file":
		q.files(func(string) bool { return true }, "")
	case len(c.path) == 0 && c.key == "version":
		q.add(Completion{Label: "'5.0'", Kind: CompleteValue, Detail: "the current project format", Insert: "'5.0'", Replace: c.word})
	}
	if len(q.out) == 0 {
		q.fromTree()
	}
	return q.out
}

// fromTree completes inside flow collections ({run: ..., needs: [...]}), where the lines
// say little, using the parsed tree instead.
func (q *completer) fromTree() {
	loc, _ := locate(q.p, q.off)
	if len(loc.path) == 3 && loc.path[0] == "actions" && loc.path[2] == "needs" {
		q.needs(loc.path[1], "")
	}
}

// keys proposes the keys that may go where the cursor is.
func (q *completer) keys() {
	c := q.ctx
	path := normalisePath(c.path)
	existing := siblingKeys(q.text, q.lines, c.line, c.indent)
	indent := strings.Repeat(" ", c.indent)
	if len(path) == 1 && path[0] == "actions" {
		q.newAction(indent)
		return
	}
	if len(path) == 3 && path[0] == "actions" && path[2] == "config" {
		q.configKeys(c.path[1], existing)
		return
	}
	for _, k := range schema.Keys(path) {
		if existing[k.Key] {
			continue
		}
		insert := k.Key + ": "
		snippet := false
		if k.Snippet != "" {
			insert, snippet = reindent(k.Snippet, indent, q.indentUnit()), true
		}
		detail := "key"
		if k.Required {
			detail = "required key"
		}
		q.add(Completion{Label: k.Key, Kind: CompleteKey, Detail: detail, Doc: k.Doc, Insert: insert, Snippet: snippet, Replace: c.word})
	}
}

// newAction proposes a whole new action.
func (q *completer) newAction(indent string) {
	u := q.indentUnit()
	body := "${1:action_name}:\n" +
		u + "run: ${2:python:v2 python analysis/${3:script}.py}\n" +
		u + "needs: [$4]\n" +
		u + "outputs:\n" +
		u + u + "${5:moderately_sensitive}:\n" +
		u + u + u + "${6:name}: ${7:output/file.csv}"
	doc, _ := schema.Doc([]string{"actions", "*"})
	q.add(Completion{Label: "new action", Kind: CompleteSnippet, Detail: "an action with run, needs and outputs",
		Doc: doc.Doc, Insert: reindent(body, indent, u), Snippet: true, Replace: q.ctx.word})
}

// configKeys proposes the config keys of a reusable action.
func (q *completer) configKeys(id string, existing map[string]bool) {
	a := q.p.ActionByID(id)
	if a == nil {
		return
	}
	ra, ok := schema.LookupReusableAction(a.Image)
	if !ok || ra.Config == nil {
		return
	}
	for _, k := range ra.Config.Keys {
		if existing[k.Name] {
			continue
		}
		q.add(Completion{Label: k.Name, Kind: CompleteKey, Detail: k.Type, Doc: k.Doc, Insert: k.Name + ": ", Replace: q.ctx.word})
	}
}

// indentUnit guesses the file's indentation step from the first indented line.
func (q *completer) indentUnit() string {
	for l := 0; l < q.lines.Count(); l++ {
		if ind, ok := lineIndent(q.text, q.lines, l); ok && ind > 0 {
			if ind > 8 {
				ind = 2
			}
			return strings.Repeat(" ", ind)
		}
	}
	return "  "
}

// reindent prefixes every line after the first with indent, and turns the two-space steps
// of a schema snippet into the file's own step.
func reindent(s, indent, unit string) string {
	ls := strings.Split(s, "\n")
	for i := 1; i < len(ls); i++ {
		trimmed := strings.TrimLeft(ls[i], " ")
		steps := (len(ls[i]) - len(trimmed)) / 2
		ls[i] = indent + strings.Repeat(unit, steps) + trimmed
	}
	return strings.Join(ls, "\n")
}

// needs proposes the actions that self may need: not itself, not one already listed, and not
// one that needs self (directly or not), which would make a cycle.
func (q *completer) needs(self, value string) {
	listed := map[string]bool{}
	v := strings.TrimSpace(value)
	v = strings.TrimPrefix(v, "[")
	for _, part := range strings.Split(v, ",") {
		listed[strings.Trim(strings.TrimSpace(part), `"'`)] = true
	}
	if q.ctx.list {
		for _, it := range blockListItems(q.text, q.lines, q.ctx.line, q.ctx.indent) {
			listed[it] = true
		}
	}
	if a := q.p.ActionByID(self); a != nil {
		for _, id := range a.NeedIDs() {
			listed[id] = true
		}
	}
	dependents := dependentsOf(q.p, self)
	// Full summaries only for a short list: a long one would make a large, slow answer (the
	// run line is still shown as the detail).
	withDocs := len(q.p.Actions) <= maxDocumentedActions
	typed := ""
	if w := q.ctx.word; w.Start >= 0 && w.Start <= q.off && q.off <= len(q.text) {
		typed = strings.ToLower(string(q.text[w.Start:q.off]))
	}
	// In a big project, offer the actions defined nearest before this one first (what an
	// action usually needs), then those after it.
	selfIndex := len(q.p.Actions)
	for i, a := range q.p.Actions {
		if a.ID == self {
			selfIndex = i
		}
	}
	var order []*Action
	for i := selfIndex - 1; i >= 0; i-- {
		order = append(order, q.p.Actions[i])
	}
	for i := selfIndex + 1; i < len(q.p.Actions); i++ {
		order = append(order, q.p.Actions[i])
	}
	n := 0
	for _, a := range order {
		if a.ID == "" || a.ID == self || listed[a.ID] || dependents[a.ID] {
			continue
		}
		if typed != "" && !strings.Contains(strings.ToLower(a.ID), typed) {
			continue
		}
		if n == maxNeedsCompletions {
			q.incomplete = true
			break
		}
		n++
		c := Completion{Label: a.ID, Kind: CompleteAction, Detail: a.Run, Insert: a.ID, Replace: q.ctx.word}
		if withDocs {
			c.Doc = actionSummary(q.p, a)
		}
		q.add(c)
	}
}

// dependentsOf returns the actions that need id, directly or through others.
func dependentsOf(p *Project, id string) map[string]bool {
	needers := map[string][]string{}
	for _, a := range p.Actions {
		for _, n := range a.NeedIDs() {
			needers[n] = append(needers[n], a.ID)
		}
	}
	out := map[string]bool{}
	stack := []string{id}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range needers[cur] {
			if !out[n] {
				out[n] = true
				stack = append(stack, n)
			}
		}
	}
	return out
}

// run proposes what may come next in a run line: an image and its tag, a subcommand, a
// flag, or a file of the repository.
func (q *completer) run(value string) {
	words := strings.Fields(value)
	partial := ""
	if len(words) > 0 && !strings.HasSuffix(value, " ") && !strings.HasSuffix(value, "\t") {
		partial = words[len(words)-1]
		words = words[:len(words)-1]
	}
	idx := len(words)
	if idx == 0 {
		q.images(partial)
		return
	}
	image, _, _ := strings.Cut(words[0], ":")
	img, builtin := schema.LookupImage(image)
	ra, reusable := schema.LookupReusableAction(image)
	if strings.HasPrefix(partial, "-") {
		var flags []schema.Flag
		switch {
		case builtin && len(img.Commands) > 0 && idx >= 2:
			if cmd, ok := img.LookupCommand(words[1]); ok {
				flags = cmd.Flags
			}
		case builtin:
			flags = img.Flags
		case reusable:
			flags = ra.Args
		}
		for _, f := range flags {
			insert := f.Name
			if f.TakesValue {
				insert += " "
			}
			q.add(Completion{Label: f.Name, Kind: CompleteFlag, Detail: "option", Doc: f.Doc, Insert: insert, Replace: q.ctx.word})
		}
		return
	}
	if builtin && idx == 1 {
		for _, cmd := range img.Commands {
			q.add(Completion{Label: cmd.Name, Kind: CompleteCommand, Detail: img.Name + " command", Doc: cmd.Doc, Insert: cmd.Name, Replace: q.ctx.word})
		}
	}
	prev := words[len(words)-1]
	if strings.HasPrefix(prev, "-") && !strings.Contains(prev, "=") {
		if prev == "--output" || prev == "--output-dir" {
			return // a path to write: nothing in the repository to propose
		}
		q.files(func(string) bool { return true }, partial)
		return
	}
	if !builtin {
		return
	}
	want := scriptFilter(img.Name)
	q.files(want, partial)
}

// scriptFilter says which files an image runs.
func scriptFilter(image string) func(string) bool {
	ext := func(exts ...string) func(string) bool {
		return func(p string) bool {
			for _, e := range exts {
				if strings.HasSuffix(p, e) {
					return true
				}
			}
			return false
		}
	}
	switch image {
	case "ehrql", "databuilder", "cohortextractor":
		return ext(".py")
	case "python":
		return ext(".py", ".ipynb")
	case "r":
		return ext(".R", ".r", ".Rmd")
	case "stata-mp":
		return ext(".do")
	case "jupyter":
		return ext(".ipynb")
	case "sqlrunner":
		return ext(".sql")
	}
	return isCodePath
}

// images proposes images with their recommended tag, and reusable actions with their
// latest; once a ':' is typed, the image's tags.
func (q *completer) images(partial string) {
	if name, _, ok := strings.Cut(partial, ":"); ok {
		r := q.ctx.word
		r.Start += len(name) + 1
		if img, found := schema.LookupImage(name); found {
			for i := len(img.Tags) - 1; i >= 0; i-- {
				t := img.Tags[i]
				detail := "tag"
				if t == img.Recommended {
					detail = "recommended tag"
				}
				q.add(Completion{Label: t, Kind: CompleteTag, Detail: detail, Insert: t, Replace: r})
			}
			return
		}
		if ra, found := schema.LookupReusableAction(name); found {
			for i := len(ra.Tags) - 1; i >= 0; i-- {
				q.add(Completion{Label: ra.Tags[i], Kind: CompleteTag, Detail: "release", Insert: ra.Tags[i], Replace: r})
			}
		}
		return
	}
	for _, img := range schema.Images() {
		label := img.Name + ":" + img.Recommended
		detail := "image"
		if img.Deprecated != "" {
			detail = "image (deprecated)"
		}
		q.add(Completion{Label: label, Kind: CompleteImage, Detail: detail, Doc: img.Doc, Insert: label + " ", Replace: q.ctx.word})
	}
	for _, ra := range schema.ReusableActions() {
		label := ra.Name + ":" + ra.Latest
		q.add(Completion{Label: label, Kind: CompleteImage, Detail: "reusable action", Doc: ra.Doc, Insert: label + " ", Replace: q.ctx.word, Sort: "1" + ra.Name})
	}
}

// files proposes repository files accepted by want, skipping outputs and logs.
func (q *completer) files(want func(string) bool, partial string) {
	if q.snap == nil {
		return
	}
	partial = strings.TrimPrefix(partial, "/workspace/")
	var picked []string
	for _, f := range q.snap.Files() {
		if strings.HasPrefix(f, "output/") || strings.HasPrefix(f, "metadata/") || strings.HasPrefix(f, ".") || f == ProjectFile {
			continue
		}
		if !want(f) {
			continue
		}
		if partial != "" && !strings.HasPrefix(f, partial) && !strings.Contains(f, "/"+partial) {
			continue
		}
		picked = append(picked, f)
		if len(picked) >= maxFileCompletions {
			break
		}
	}
	sort.Strings(picked)
	for _, f := range picked {
		q.add(Completion{Label: f, Kind: CompleteFile, Detail: "file", Insert: f, Replace: q.ctx.word})
	}
}

// normalisePath replaces user-chosen names (action ids) with "*" as schema.Keys expects.
func normalisePath(path []string) []string {
	out := append([]string(nil), path...)
	if len(out) >= 2 && out[0] == "actions" {
		out[1] = "*"
	}
	if len(out) >= 5 && out[0] == "actions" && out[2] == "outputs" {
		out[4] = "*"
	}
	return out
}

// lineInfo describes one line: its indentation, whether it is blank or a comment, whether it
// is a list item, and its key and inline value when it has the "key: value" shape.
type lineInfo struct {
	indent   int
	blank    bool
	listItem bool
	content  string // after the indentation (and after "- " for a list item)
	key      string
	hasKey   bool
	value    string // after "key:", trimmed, comment removed
	valueAt  int    // byte offset in the file where value starts
}

func readLine(text []byte, lines *Lines, l int) lineInfo {
	s, e := lines.Start(l), lines.End(l)
	raw := string(text[s:e])
	trimmed := strings.TrimLeft(raw, " \t")
	li := lineInfo{indent: len(raw) - len(trimmed)}
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		li.blank = true
		return li
	}
	content := trimmed
	at := s + li.indent
	if content == "-" || strings.HasPrefix(content, "- ") {
		li.listItem = true
		rest := strings.TrimLeft(strings.TrimPrefix(content, "-"), " ")
		at += len(content) - len(rest)
		content = rest
	}
	li.content = content
	if k, rest, ok := cutKey(content); ok {
		li.key, li.hasKey = k, true
		v := strings.TrimLeft(rest, " ")
		li.valueAt = at + len(content) - len(rest) + (len(rest) - len(v))
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		if strings.HasPrefix(v, "#") {
			v = ""
		}
		li.value = strings.TrimRight(v, " \t")
	}
	return li
}

// cutKey splits "key: rest" at the first colon followed by a space or the end of the text.
// Quoted keys are unquoted.
func cutKey(s string) (key, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `'`) {
		q := s[:1]
		if j := strings.Index(s[1:], q); j >= 0 {
			after := s[j+2:]
			if strings.HasPrefix(after, ":") && (len(after) == 1 || after[1] == ' ' || after[1] == '\t') {
				return s[1 : j+1], after[1:], true
			}
		}
		return "", "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			k := strings.TrimRight(s[:i], " \t")
			if k == "" || strings.ContainsAny(k[:1], "[{") {
				return "", "", false
			}
			return k, s[i+1:], true
		}
	}
	return "", "", false
}

// readCursor works out the context of the cursor from the surrounding lines.
func readCursor(text []byte, lines *Lines, off int) cursorContext {
	line := lines.Line(off)
	ls := lines.Start(line)
	before := string(text[ls:off])
	c := cursorContext{line: line}

	// The partly typed word: back to whitespace or a list/flow separator, forward likewise.
	ws := off
	for ws > ls && !strings.ContainsRune(" \t[,", rune(text[ws-1])) {
		ws--
	}
	we := off
	for le := lines.End(line); we < le && !strings.ContainsRune(" \t],:#", rune(text[we])); we++ {
	}
	c.word = Range{ws, we}

	trimmed := strings.TrimLeft(before, " \t")
	c.indent = len(before) - len(trimmed)
	cur := readLine(text, lines, line)
	if !cur.blank {
		c.indent = cur.indent
	}

	// Find the enclosing entries: each earlier line indented less than the one below it.
	type parent struct {
		line int
		info lineInfo
	}
	var parents []parent
	want := c.indent
	listHere := strings.HasPrefix(trimmed, "- ") || trimmed == "-"
	sameIndentList := listHere // a block list may sit at its key's own indentation
	for l := line - 1; l >= 0; l-- {
		if want == 0 && !sameIndentList {
			break
		}
		li := readLine(text, lines, l)
		if li.blank {
			continue
		}
		switch {
		case li.indent < want:
			parents = append(parents, parent{l, li})
			want = li.indent
			sameIndentList = false
		case sameIndentList && li.indent == want && !li.listItem:
			if li.hasKey && li.value == "" {
				parents = append(parents, parent{l, li})
			}
			sameIndentList = false
		}
	}
	// Keys from the outermost parent in.
	for i := len(parents) - 1; i >= 0; i-- {
		if parents[i].info.hasKey {
			c.path = append(c.path, parents[i].info.key)
		}
	}

	// A continuation line of a value written inline on its key's line (a long run command, a
	// flow list spread over lines) belongs to that value.
	if len(parents) > 0 {
		p := parents[0]
		if p.info.hasKey && p.info.value != "" && !strings.HasPrefix(p.info.value, "|") && !listHere {
			c.path = c.path[:len(c.path)-1]
			c.key = p.info.key
			var sb strings.Builder
			sb.WriteString(p.info.value)
			for l := p.line + 1; l < line; l++ {
				sb.WriteByte(' ')
				sb.WriteString(strings.TrimSpace(string(text[lines.Start(l):lines.End(l)])))
			}
			sb.WriteByte(' ')
			sb.WriteString(trimmed)
			c.value = foldedValue(sb.String(), p.info.value)
			return c
		}
		if p.info.hasKey && strings.HasPrefix(p.info.value, ">") && !listHere {
			// A folded block: its lines join with spaces.
			c.path = c.path[:len(c.path)-1]
			c.key = p.info.key
			var sb strings.Builder
			for l := p.line + 1; l < line; l++ {
				sb.WriteString(strings.TrimSpace(string(text[lines.Start(l):lines.End(l)])))
				sb.WriteByte(' ')
			}
			sb.WriteString(trimmed)
			c.value = sb.String()
			return c
		}
	}

	// The current line itself.
	content := trimmed
	if listHere {
		c.list = true
		c.value = strings.TrimLeft(strings.TrimPrefix(content, "-"), " ")
		if k, rest, ok := cutKey(c.value); ok {
			// "- key: value" (a mapping inside a list): treat like a key line.
			c.list = false
			c.key = k
			c.value = strings.TrimLeft(rest, " ")
		}
		return c
	}
	if k, rest, ok := cutKey(content); ok {
		c.key = k
		c.value = strings.TrimLeft(rest, " ")
		return c
	}
	c.inKey = true
	return c
}

// foldedValue strips a block indicator from a value that starts on its key's line.
func foldedValue(joined, first string) string {
	if strings.HasPrefix(first, ">") {
		return strings.TrimLeft(strings.TrimPrefix(joined, first), " ")
	}
	return joined
}

// siblingKeys lists the keys at exactly indent in the block holding line.
func siblingKeys(text []byte, lines *Lines, line, indent int) map[string]bool {
	out := map[string]bool{}
	scan := func(from, step int) {
		for l := from; l >= 0 && l < lines.Count(); l += step {
			li := readLine(text, lines, l)
			if li.blank {
				continue
			}
			if li.indent < indent {
				return
			}
			if li.indent == indent && li.hasKey && !li.listItem {
				out[li.key] = true
			}
		}
	}
	scan(line-1, -1)
	scan(line+1, 1)
	return out
}

// blockListItems lists the scalar items of the block list around line.
func blockListItems(text []byte, lines *Lines, line, indent int) []string {
	var out []string
	scan := func(from, step int) {
		for l := from; l >= 0 && l < lines.Count(); l += step {
			li := readLine(text, lines, l)
			if li.blank {
				continue
			}
			if li.indent != indent || !li.listItem {
				return
			}
			out = append(out, strings.Trim(strings.TrimSpace(li.content), `"'`))
		}
	}
	scan(line-1, -1)
	scan(line+1, 1)
	return out
}
