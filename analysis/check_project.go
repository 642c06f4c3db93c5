package analysis

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/opensafely-core/osls/schema"
)

// ProjectFile is the name of the pipeline file at the root of a study.
const ProjectFile = "project.yaml"

// CheckProject checks a project.yaml against every rule of the pipeline (for its version)
// and our own, and returns all problems at once. snap, when not nil, is used to check that
// files named in `run:` exist.
func CheckProject(snap Snapshot, file string, text []byte) []Diagnostic {
	p := ParseProject(file, text)
	return CheckParsedProject(snap, p)
}

// CheckParsedProject is CheckProject for an already parsed file.
func CheckParsedProject(snap Snapshot, p *Project) []Diagnostic {
	c := &checker{p: p, text: p.Doc.Text, file: p.Path, snap: snap}
	c.run()
	SortDiagnostics(c.ds)
	return c.ds
}

type checker struct {
	p    *Project
	text []byte
	file string
	snap Snapshot
	ds   []Diagnostic

	needSets map[*Action]map[string]bool
	outDirs  map[string]bool // every directory that holds a declared output
	files    *FileIndex      // the study's files, when a snapshot is given
}

func (c *checker) add(code Code, r Range, msg string, fixes ...Fix) *Diagnostic {
	return c.addSev(code, code.Severity, r, msg, fixes...)
}

func (c *checker) addSev(code Code, sev Severity, r Range, msg string, fixes ...Fix) *Diagnostic {
	c.ds = append(c.ds, Diagnostic{File: c.file, Range: r, Severity: sev, Code: code.ID, Message: msg, Fixes: fixes})
	return &c.ds[len(c.ds)-1]
}

// Version gates. An unknown version (missing or not a number) satisfies none of them, so
// version-dependent errors are not piled on top of the version error.
func (c *checker) versionAtLeast(v float64) bool { return c.p.VersionOK && c.p.Version >= v }
func (c *checker) versionBelow(v float64) bool   { return c.p.VersionOK && c.p.Version < v }

func (c *checker) blankedKey(k string) bool {
	for _, b := range c.p.Doc.BlankedKeys {
		if b == k {
			return true
		}
	}
	return false
}

func (c *checker) run() {
	doc := c.p.Doc
	for _, e := range doc.Errors {
		r := e.Range
		if l := doc.Lines.Line(r.Start); doc.Lines.Line(r.End) != l {
			r.End = doc.Lines.End(l)
		}
		c.add(CodeYAMLSyntax, r, e.Message)
	}
	root := doc.Root
	if root == nil {
		if len(doc.Errors) == 0 {
			c.add(CodeProjectNotMapping, Range{0, doc.Lines.End(0)}, "project.yaml is empty: it must be a mapping with `version` and `actions`")
		}
		return
	}
	c.duplicateKeys(root)
	if root.Kind != KindMapping {
		c.add(CodeProjectNotMapping, root.Range, "project.yaml must be a mapping with `version` and `actions`, not a "+kindName(root))
		return
	}
	c.topLevel(root)
	c.version()
	c.actions()
	c.expectations()
}

func kindName(n *Node) string {
	switch n.Kind {
	case KindMapping:
		return "mapping"
	case KindSequence:
		return "list"
	case KindNull:
		return "null"
	}
	switch n.Tag {
	case "int", "float":
		return "number"
	case "bool":
		return "boolean"
	}
	return "string"
}

// duplicateKeys reports every repeated key of every mapping, at the repeat.
func (c *checker) duplicateKeys(n *Node) {
	switch n.Kind {
	case KindMapping:
		seen := make(map[string]*Node, len(n.Pairs))
		for _, p := range n.Pairs {
			if p.Key.Kind == KindScalar {
				k := p.Key.Tag + "\x00" + p.Key.Value
				if first, ok := seen[k]; ok {
					d := c.add(CodeYAMLDuplicateKey, p.Key.Range, fmt.Sprintf("found duplicate key %q: it is already defined on line %d", p.Key.Value, c.p.Doc.Lines.Line(first.Range.Start)+1))
					d.Related = []Related{{File: c.file, Range: first.Range, Message: "first definition"}}
				} else {
					seen[k] = p.Key
				}
			}
			c.duplicateKeys(p.Value)
		}
	case KindSequence:
		for _, it := range n.Items {
			c.duplicateKeys(it)
		}
	}
}

var topLevelKeys = []string{"version", "actions", "expectations"}
var actionKeys = []string{"run", "needs", "outputs", "config", "dummy_data_file"}

// suggest returns the closest candidate to s, if it is close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := levenshtein.ComputeDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit || (best != "" && (strings.HasPrefix(best, s) || strings.HasPrefix(s, best)) && len(s) >= 3) {
		return best
	}
	return ""
}

// unknownKeys reports keys of m outside allowed, each with a "did you mean" fix.
func (c *checker) unknownKeys(code Code, m *Node, allowed []string, where string) {
	var unknown []*Node
	for _, p := range m.Pairs {
		if p.Key.Kind != KindScalar {
			continue
		}
		ok := false
		for _, a := range allowed {
			if p.Key.Value == a {
				ok = true
				break
			}
		}
		if !ok {
			unknown = append(unknown, p.Key)
		}
	}
	if len(unknown) == 0 {
		return
	}
	names := make([]string, len(unknown))
	for i, k := range unknown {
		names[i] = k.Value
	}
	for _, k := range unknown {
		msg := fmt.Sprintf("Unexpected parameters (%s) in %s", strings.Join(names, ", "), where)
		var fixes []Fix
		if s := suggest(k.Value, allowed); s != "" && m.Get(s) == nil {
			msg += fmt.Sprintf(": did you mean %q?", s)
			fixes = append(fixes, Fix{Title: fmt.Sprintf("Change to %q", s), Edits: []TextEdit{{Range: k.Range, NewText: s}}})
		} else {
			msg += fmt.Sprintf("; allowed keys are %s", strings.Join(allowed, ", "))
		}
		c.add(code, k.Range, msg, fixes...)
	}
}

func (c *checker) topLevel(root *Node) {
	for _, p := range root.Pairs {
		if p.Key.Kind != KindScalar || p.Key.Tag != "str" {
			c.add(CodeProjectKeyType, p.Key.Range, fmt.Sprintf("top-level keys must be strings; %s is a %s (allowed keys are version, actions, expectations)", c.src(p.Key.Range), kindName(p.Key)))
		}
	}
	c.unknownKeys(CodeProjectUnknownKey, root, topLevelKeys, "project")
}

func (c *checker) src(r Range) string {
	if r.Start < 0 || r.End > len(c.text) || r.Empty() {
		return "``"
	}
	return "`" + string(c.text[r.Start:r.End]) + "`"
}

const versionMissingMsg = "Project file must have a `version` attribute specifying which version of the project configuration format it uses (current latest version is 5)"

func (c *checker) version() {
	p := c.p
	root := p.Doc.Root
	vp := root.Get("version")
	if vp == nil {
		if !c.blankedKey("version") {
			c.add(CodeVersionMissing, Range{root.Range.Start, c.p.Doc.Lines.End(c.p.Doc.Lines.Line(root.Range.Start))}, versionMissingMsg+": add `version: \"5.0\"` at the top",
				Fix{Title: "Add version: \"5.0\"", Edits: []TextEdit{{Range: Range{root.Range.Start, root.Range.Start}, NewText: "version: \"5.0\"\n"}}})
		}
		return
	}
	n := vp.Value
	if n.Kind == KindNull {
		c.add(CodeVersionMissing, vp.Key.Range, versionMissingMsg)
		return
	}
	if !p.VersionOK {
		c.add(CodeVersionNotNumber, n.Range, fmt.Sprintf("`version` must be a number between 1 and %d; got %s", schema.LatestVersion, c.src(n.Range)))
		return
	}
	v := p.Version
	switch {
	case v > schema.LatestVersion:
		c.add(CodeVersionTooNew, n.Range, fmt.Sprintf("The latest version is %d, but got %s", schema.LatestVersion, c.src(n.Range)))
		return
	case v < 1:
		c.add(CodeVersionRange, n.Range, fmt.Sprintf("`version` must be a number between 1 and %d; got %s", schema.LatestVersion, c.src(n.Range)))
		return
	}
	if v != float64(int(v)) {
		c.add(CodeVersionNonInteger, n.Range, fmt.Sprintf("use a whole version number: %s behaves like version %d", c.src(n.Range), behavesLike(v)))
	}
	if v != schema.LatestVersion {
		msg := fmt.Sprintf("Your project file is using an old version (%s); consider updating to version %d", versionText(v), schema.LatestVersion)
		var fixes []Fix
		if why := c.blockersForLatest(); len(why) == 0 {
			fixes = append(fixes, Fix{Title: "Update to version 5.0", Edits: []TextEdit{{Range: n.Range, NewText: `"5.0"`}}})
		} else {
			msg += " (first " + strings.Join(why, ", ") + ")"
		}
		c.add(CodeVersionOld, n.Range, msg, fixes...)
	}
}

// versionText formats a version as Python's str(float) does ("4.0", "3.5").
func versionText(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%.1f", v)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// behavesLike names the whole version whose rules a fractional version follows.
func behavesLike(v float64) int {
	switch {
	case v >= 5:
		return 5
	case v >= 4:
		return 4
	case v > 3:
		return 2
	case v >= 3:
		return 3
	case v >= 2:
		return 2
	}
	return 1
}

// blockersForLatest lists what stops the file from being valid under version 5.
func (c *checker) blockersForLatest() []string {
	var why []string
	if ep := c.p.ExpectationsPair; ep != nil && !ep.Value.IsNull() {
		why = append(why, "remove `expectations`")
	}
	cohort, latest, runAll := false, false, false
	for _, a := range c.p.Actions {
		if strings.HasPrefix(a.Image, "cohortextractor") {
			cohort = true
		}
		if a.Tag == "latest" {
			latest = true
		}
		if a.ID == "run_all" {
			runAll = true
		}
	}
	if cohort {
		why = append(why, "replace cohortextractor with ehrQL")
	}
	if latest {
		why = append(why, "pin `:latest` image tags")
	}
	if runAll {
		why = append(why, "rename the `run_all` action")
	}
	return why
}

func (c *checker) expectations() {
	p := c.p
	ep := p.ExpectationsPair
	if !p.VersionOK {
		return
	}
	v := p.Version
	switch {
	case v >= 4:
		if ep != nil && !ep.Value.IsNull() {
			r := Range{ep.Key.Range.Start, ep.Value.Range.End}
			c.add(CodeExpectForbidden, ep.Key.Range, "Project includes `expectations` section, which is not supported in this version. This section is only applicable to deprecated cohortextractor actions; you can safely remove it.",
				Fix{Title: "Remove the `expectations` section", Edits: []TextEdit{{Range: c.wholeLines(r), NewText: ""}}})
		}
	case v == 3:
		if ep == nil {
			if !c.blankedKey("expectations") {
				c.add(CodeExpectRequired, p.VersionNode.Range, "Project must include `expectations` section (version 3 requires `expectations: {population_size: 1000}`)",
					Fix{Title: "Add expectations", Edits: []TextEdit{{Range: Range{len(c.text), len(c.text)}, NewText: c.trailingNewline() + "expectations:\n  population_size: 1000\n"}}})
			}
			return
		}
		e := ep.Value
		if e.Kind != KindMapping {
			c.add(CodeExpectType, rangeOr(e.Range, ep.Key.Range), "Project `expectations` section must be a dictionary of key/value pairs")
			return
		}
		ps := e.Get("population_size")
		if ps == nil {
			c.add(CodeExpectPopSize, ep.Key.Range, "Project `expectations` section must include `population_size` section")
		} else if !pythonInt(ps.Value) {
			c.add(CodeExpectPopSize, rangeOr(ps.Value.Range, ps.Key.Range), "Project expectations population size must be a number")
		}
		c.unknownKeys(CodeExpectUnknownKey, e, []string{"population_size"}, "project `expectations` section")
	}
}

func rangeOr(r, alt Range) Range {
	if r.Empty() {
		return alt
	}
	return r
}

func (c *checker) trailingNewline() string {
	if len(c.text) > 0 && c.text[len(c.text)-1] != '\n' {
		return "\n"
	}
	return ""
}

// wholeLines widens r to the full lines it touches, including the final newline.
func (c *checker) wholeLines(r Range) Range {
	l := c.p.Doc.Lines
	s := l.Start(l.Line(r.Start))
	e := l.Start(l.Line(r.End) + 1)
	if l.Line(r.End)+1 >= l.Count() {
		e = len(c.text)
	}
	return Range{s, e}
}

var intRe = regexp.MustCompile(`^\s*[-+]?[0-9_]+\s*$`)

// pythonInt reports whether Python's int() accepts the value (ints, floats, digit strings).
func pythonInt(n *Node) bool {
	if n == nil || n.Kind != KindScalar {
		return false
	}
	switch n.Tag {
	case "int", "float":
		return n.Value != ".nan" && !strings.Contains(strings.ToLower(n.Value), "inf")
	case "bool":
		return true
	case "str":
		return intRe.MatchString(n.Value)
	}
	return false
}

// plainID reports whether an action id uses only letters, digits, `_`, `-` and `.`.
func plainID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (c *checker) actions() {
	p := c.p
	root := p.Doc.Root
	ap := root.Get("actions")
	if ap == nil {
		if !c.blankedKey("actions") {
			c.add(CodeActionsType, Range{root.Range.Start, c.p.Doc.Lines.End(c.p.Doc.Lines.Line(root.Range.Start))}, "Project `actions` section must be a dictionary of key/value pairs: add an `actions:` section")
		}
		return
	}
	if ap.Value.IsNull() && c.blankedKeysUnder(ap) {
		return
	}
	if ap.Value.Kind != KindMapping {
		c.add(CodeActionsType, rangeOr(ap.Value.Range, ap.Key.Range), "Project `actions` section must be a dictionary of key/value pairs")
		return
	}
	if len(ap.Value.Pairs) == 0 && !c.blankedKeysUnder(ap) {
		c.add(CodeActionsEmpty, ap.Key.Range, "the project has no actions yet")
	}
	for _, a := range p.Actions {
		c.action(a)
	}
	c.crossActions()
}

// blankedKeysUnder reports whether recovery blanked anything inside the `actions:` section.
func (c *checker) blankedKeysUnder(ap *Pair) bool {
	for _, b := range c.p.Doc.Blanked {
		if b.Start >= ap.Key.Range.Start {
			return true
		}
	}
	return false
}

func (c *checker) action(a *Action) {
	k := a.Key
	if k.Kind != KindScalar || k.Tag != "str" {
		c.add(CodeActionIDType, k.Range, fmt.Sprintf("action id %s is a %s: `needs` entries are strings, so it can never be needed; quote it", c.src(k.Range), kindName(k)))
	}
	if a.ID == "run_all" {
		if c.versionAtLeast(5) {
			c.add(CodeReservedRunAll, k.Range, "`run_all` is a reserved action name and is not allowed for user-defined actions.")
		} else {
			c.addSev(CodeReservedRunAll, SeverityWarning, k.Range, "`run_all` is a reserved action name; user-defined actions with this name are ignored and will raise an error in later versions.")
		}
	}
	if k.Kind == KindScalar && !plainID(a.ID) {
		what := "characters other than letters, digits, `_`, `-` and `.`"
		if strings.ContainsAny(a.ID, " \t") {
			what = "spaces"
		}
		c.add(CodeActionIDChars, k.Range, fmt.Sprintf("action id %q contains %s: ids become file names (metadata/<id>.log) and command-line arguments", a.ID, what))
	}
	m := a.Value
	if m.Kind != KindMapping {
		c.add(CodeActionType, rangeOr(m.Range, k.Range), fmt.Sprintf("Configuration for action %s must be a dictionary of key/value pairs", a.ID))
		return
	}
	if m.Get("run") == nil {
		c.add(CodeActionMissingRun, k.Range, fmt.Sprintf("Action %s must contain a configuration for 'run'", a.ID))
	}
	if m.Get("outputs") == nil {
		msg := fmt.Sprintf("Action %s must contain a configuration for 'outputs'", a.ID)
		if m.Get("output") != nil {
			msg += " (the key is `outputs`, with an s)"
		}
		c.add(CodeActionMissingOut, k.Range, msg)
	}
	c.unknownKeys(CodeActionUnknownKey, m, actionKeys, "action "+a.ID)
	c.actionTypes(a)
	c.outputs(a)
	c.runLine(a)
	c.needs(a)
	c.ehrql(a)
	c.cohortextractor(a)
	c.extras(a)
}

func (c *checker) actionTypes(a *Action) {
	if a.OutputsNode != nil && a.OutputsNode.Kind != KindMapping {
		c.add(CodeActionType, rangeOr(a.OutputsNode.Range, a.Key.Range), fmt.Sprintf("`outputs` section for action %s must be a dictionary of key/value pairs", a.ID))
	}
	if a.RunNode != nil && !(a.RunNode.Kind == KindScalar) {
		c.add(CodeActionType, rangeOr(a.RunNode.Range, a.Key.Range), fmt.Sprintf("`run` section for action %s must be a string", a.ID))
	}
	if a.NeedsNode != nil && !a.NeedsNode.IsNull() && a.NeedsNode.Kind != KindSequence {
		msg := fmt.Sprintf("`needs` section for action %s must be a list", a.ID)
		var fixes []Fix
		if a.NeedsNode.Kind == KindScalar {
			parts := strings.FieldsFunc(a.NeedsNode.Value, func(r rune) bool { return r == ',' || r == ' ' })
			if len(parts) > 0 {
				msg += fmt.Sprintf(": write `needs: [%s]`", strings.Join(parts, ", "))
				fixes = append(fixes, Fix{Title: "Make it a list", Edits: []TextEdit{{Range: a.NeedsNode.Range, NewText: "[" + strings.Join(parts, ", ") + "]"}}})
			}
		}
		c.add(CodeActionType, rangeOr(a.NeedsNode.Range, a.Key.Range), msg, fixes...)
	}
	if a.Config != nil && !a.Config.IsNull() && a.Config.Kind != KindMapping {
		c.add(CodeActionType, a.Config.Range, fmt.Sprintf("`config` section for action %s must be a dictionary of key/value pairs", a.ID))
	}
	if a.DummyDataFile != nil && !a.DummyDataFile.IsNull() && a.DummyDataFile.Kind != KindScalar {
		c.add(CodeActionType, a.DummyDataFile.Range, fmt.Sprintf("`dummy_data_file` for action %s must be a string", a.ID))
	}
}

func (c *checker) outputs(a *Action) {
	o := a.OutputsNode
	if o == nil || o.Kind != KindMapping {
		return
	}
	present := 0
	for _, lvl := range schema.PrivacyLevels {
		if p := o.Get(lvl); p != nil && !p.Value.IsNull() {
			present++
		}
	}
	if present == 0 {
		c.add(CodeOutputsNone, rangeOr(o.Range, a.Key.Range), fmt.Sprintf("Action %s must specify at least one output of: %s", a.ID, strings.Join(schema.PrivacyLevels, ", ")))
	}
	c.unknownKeys(CodeOutputsUnknownLvl, o, schema.PrivacyLevels, fmt.Sprintf("`outputs` section for action %s", a.ID))
	files := 0
	for _, lp := range o.Pairs {
		lvl := lp.Key.Value
		if !isPrivacyLevel(lvl) || lp.Value.IsNull() {
			continue
		}
		if lp.Value.Kind != KindMapping {
			c.add(CodeOutputsLevelType, lp.Value.Range, fmt.Sprintf("`%s` section for action %s must be a dictionary of key/value pairs (name: path)", lvl, a.ID))
			continue
		}
		if lvl == "minimally_sensitive" && len(lp.Value.Pairs) > 0 {
			c.add(CodeOutputsMinimally, lp.Key.Range, "minimally_sensitive outputs are not released; use moderately_sensitive for files you want to review")
		}
		for _, op := range lp.Value.Pairs {
			files++
			if !op.Value.IsString() {
				c.add(CodeOutputsPathType, rangeOr(op.Value.Range, op.Key.Range), fmt.Sprintf("`%s` output for action %s must be a string", op.Key.Value, a.ID))
				continue
			}
			c.outputPath(lvl, op.Value)
		}
	}
	if present > 0 && files == 0 {
		c.add(CodeOutputsEmpty, rangeOr(o.Range, a.Key.Range), fmt.Sprintf("action %s declares no output files: nothing it writes will be kept", a.ID))
	}
}

func isPrivacyLevel(s string) bool {
	for _, l := range schema.PrivacyLevels {
		if s == l {
			return true
		}
	}
	return false
}

// suffix returns Python's PurePath(p).suffix: the last dot-part of the final component,
// ignoring a leading dot and a trailing dot.
func suffix(p string) string {
	base := p
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || i == len(base)-1 {
		return ""
	}
	return base[i:]
}

func (c *checker) outputPath(level string, n *Node) {
	p := n.Value
	bad := func(code Code, reason string, fixes ...Fix) {
		c.add(code, n.Range, fmt.Sprintf("Output path %s is invalid: %s", p, reason), fixes...)
	}
	switch {
	case strings.Contains(p, `\`):
		fixed := strings.ReplaceAll(p, `\`, "/")
		bad(CodePathBackslash, "contains back slashes (use forward slashes only)", c.replaceScalar(n, fixed, "Use forward slashes"))
		return
	case strings.Contains(p, "**"):
		bad(CodePathWildcard, "contains '**' (only the * wildcard character is supported)")
		return
	case strings.Contains(p, "?"):
		bad(CodePathWildcard, "contains '?' (only the * wildcard character is supported)")
		return
	case strings.Contains(p, "["):
		bad(CodePathWildcard, "contains '[' (only the * wildcard character is supported)")
		return
	}
	ext := suffix(p)
	if ext == "" || strings.HasSuffix(ext, "*") {
		bad(CodePathExtension, "output paths must have a file type extension at the end")
		return
	}
	if level == "moderately_sensitive" && !schema.IsLevel4Extension(ext) {
		msg := fmt.Sprintf("%s is not an allowed file type for moderately_sensitive outputs (allowed: %s)", p, strings.Join(schema.Level4Extensions, " "))
		var fixes []Fix
		switch ext {
		case ".gz":
			if strings.HasSuffix(p, ".csv.gz") {
				fixes = append(fixes, c.replaceScalar(n, strings.TrimSuffix(p, ".gz"), "Write an uncompressed .csv"))
			}
		case ".pdf":
			fixes = append(fixes, c.replaceScalar(n, strings.TrimSuffix(p, ext)+".png", "Change to .png"), c.replaceScalar(n, strings.TrimSuffix(p, ext)+".svg", "Change to .svg"))
		case ".tsv":
			fixes = append(fixes, c.replaceScalar(n, strings.TrimSuffix(p, ext)+".csv", "Change to .csv"))
		}
		c.add(CodePathL4Type, n.Range, msg+"; or declare the file as highly_sensitive", fixes...)
		return
	}
	if strings.HasPrefix(p, "..") && (len(p) == 2 || p[2] == '/') {
		bad(CodePathParent, "must not start with '..' (paths are relative to the repository root)")
		return
	}
	if path.Clean(p) != p {
		bad(CodePathNotNormal, "is not in standard form (contains double slashes or '..' elements)", c.replaceScalar(n, path.Clean(p), "Use "+path.Clean(p)))
		return
	}
	if p == "metadata" || strings.HasPrefix(p, "metadata/") {
		bad(CodePathMetadata, "should not include the metadata directory")
		return
	}
	if strings.HasPrefix(p, "/") || (len(p) >= 2 && p[1] == ':' && isLetter(p[0])) {
		bad(CodePathAbsolute, "is an absolute path")
	}
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// replaceScalar is a fix that replaces a scalar's text with v, quoting it when needed.
func (c *checker) replaceScalar(n *Node, v, title string) Fix {
	return Fix{Title: title, Edits: []TextEdit{{Range: n.Range, NewText: quoteLike(n, v)}}}
}

// quoteLike writes v in the scalar style of n (quotes kept as they were).
func quoteLike(n *Node, v string) string {
	switch n.Style {
	case StyleSingle:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case StyleDouble:
		return fmt.Sprintf("%q", v)
	}
	return v
}

// validTag reports whether an image tag has the form pipeline accepts:
// ^(v[0-9.]+(-pre)?|dev|latest)$.
func validTag(t string) bool {
	if t == "dev" || t == "latest" {
		return true
	}
	t = strings.TrimSuffix(t, "-pre")
	if len(t) < 2 || t[0] != 'v' {
		return false
	}
	for i := 1; i < len(t); i++ {
		if (t[i] < '0' || t[i] > '9') && t[i] != '.' {
			return false
		}
	}
	return true
}

func (c *checker) runLine(a *Action) {
	rn := a.RunNode
	if rn == nil || rn.Kind != KindScalar {
		return
	}
	if strings.TrimSpace(a.Run) == "" {
		c.add(CodeRunEmpty, rangeOr(rn.Range, a.Key.Range), fmt.Sprintf("run must have a value, %s has an empty run key", a.ID))
		return
	}
	if a.SplitErr != nil {
		c.add(CodeRunUnparseable, rn.Range, fmt.Sprintf("`run` of action %s cannot be split into words: %v (check the quotes)", a.ID, a.SplitErr))
		return
	}
	imgR := a.WordRange(c.text, 0)
	name := a.Image
	if !validTag(a.Tag) {
		msg := fmt.Sprintf("Action command %s must have a version specified in the form :vN (e.g. %s:v2)", name, name)
		var fixes []Fix
		if img, ok := schema.LookupImage(name); ok && img.Recommended != "" {
			fixes = append(fixes, Fix{Title: "Use " + name + ":" + img.Recommended, Edits: []TextEdit{{Range: imgR, NewText: name + ":" + img.Recommended}}})
		}
		c.add(CodeRunVersionFormat, imgR, msg, fixes...)
		return
	}
	if a.Tag == "latest" {
		fixes := c.pinFixes(a, imgR)
		if c.versionAtLeast(5) {
			c.add(CodeRunLatestTag, imgR, fmt.Sprintf("Action %s uses `%s:latest`, which is not supported. Provide a version e.g. `:v2` instead", a.ID, name), fixes...)
		} else {
			c.addSev(CodeRunLatestTag, SeverityHint, imgR, fmt.Sprintf("`%s:latest` means the oldest image (v1), not the newest; pin a version (`:latest` is an error from version 5)", name), fixes...)
		}
	}
	if strings.HasPrefix(name, "cohortextractor") {
		if c.versionAtLeast(4) {
			c.add(CodeRunCohortextractor, imgR, fmt.Sprintf("Action %s uses cohortextractor actions, which are not supported in this version.", a.ID))
		} else {
			c.addSev(CodeRunCohortextractor, SeverityWarning, imgR, "cohortextractor can no longer run on OpenSAFELY; migrate to ehrQL")
		}
		return
	}
	if a.Tag == "dev" {
		c.add(CodeRunDevTag, imgR, fmt.Sprintf("`%s:dev` is for images built locally; pin a released version before committing", name))
	}
	if img, ok := schema.LookupImage(name); ok {
		if img.Deprecated != "" {
			c.add(CodeImageDeprecated, imgR, img.Deprecated)
		}
		if a.Tag != "latest" && a.Tag != "dev" && !contains(img.Tags, a.Tag) {
			c.add(CodeImageUnknownTag, imgR, fmt.Sprintf("%s has no tag %q; known tags: %s", name, a.Tag, strings.Join(img.Tags, ", ")))
		}
		if name == "sqlrunner" {
			c.add(CodeSQLRunnerPolicy, imgR, "sqlrunner needs a per-project permission on the jobs site before it can run")
		}
		return
	}
	if ra, ok := schema.LookupReusableAction(name); ok {
		if a.Tag != "dev" && !contains(ra.Tags, a.Tag) {
			c.add(CodeImageUnknownTag, imgR, fmt.Sprintf("reusable action %s has no release %q; known releases: %s (latest %s)", name, a.Tag, strings.Join(ra.Tags, ", "), ra.Latest))
		}
		c.reusableConfig(a, ra)
		return
	}
	msg := fmt.Sprintf("%q is neither a built-in image nor a known reusable action: the job will fail when it is submitted", name)
	var fixes []Fix
	cands := []string{}
	for _, img := range schema.Images() {
		cands = append(cands, img.Name)
	}
	for _, ra := range schema.ReusableActions() {
		cands = append(cands, ra.Name)
	}
	alias := map[string]string{"Rscript": "r", "R": "r", "rscript": "r", "python3": "python", "stata": "stata-mp", "Python": "python", "ehrQL": "ehrql"}
	s := alias[name]
	if s == "" {
		s = suggest(name, cands)
	}
	if s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
		fixes = append(fixes, Fix{Title: fmt.Sprintf("Change to %s:%s", s, a.Tag), Edits: []TextEdit{{Range: imgR, NewText: s + ":" + a.Tag}}})
	}
	c.add(CodeImageUnknown, imgR, msg, fixes...)
}

// pinFixes offers the tags a `:latest` image can be pinned to: v1 (what latest means), and
// the recommended tag when it differs.
func (c *checker) pinFixes(a *Action, r Range) []Fix {
	img, ok := schema.LookupImage(a.Image)
	if !ok {
		return nil
	}
	var fixes []Fix
	seen := map[string]bool{}
	for _, t := range []string{"v1", img.Recommended} {
		if t == "" || seen[t] || !contains(img.Tags, t) {
			continue
		}
		seen[t] = true
		title := fmt.Sprintf("Pin to %s:%s", a.Image, t)
		if t == "v1" {
			title += " (the image :latest means)"
		}
		fixes = append(fixes, Fix{Title: title, Edits: []TextEdit{{Range: r, NewText: a.Image + ":" + t}}})
	}
	return fixes
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (c *checker) needs(a *Action) {
	seen := map[string]bool{}
	for _, n := range a.Needs {
		if n.Kind != KindScalar || n.Tag != "str" {
			if n.Kind == KindScalar && c.p.ActionByID(n.Value) != nil {
				// `needs: [123]` naming an action `"123"`: still a type error, but say why.
				c.add(CodeNeedsType, n.Range, fmt.Sprintf("`needs` entries must be action names (strings); quote %s", c.src(n.Range)))
				continue
			}
			c.add(CodeNeedsType, rangeOr(n.Range, a.NeedsNode.Range), fmt.Sprintf("`needs` entries must be action names (strings), not a %s", kindName(n)))
			continue
		}
		id := n.Value
		if strings.Contains(id, " ") {
			parts := strings.Fields(id)
			c.add(CodeNeedsSpace, n.Range, fmt.Sprintf("`needs` actions should be separated with commas, but %s needs `%s`", a.ID, id),
				Fix{Title: "Separate with commas", Edits: []TextEdit{{Range: n.Range, NewText: strings.Join(parts, ", ")}}})
			continue
		}
		if seen[id] {
			c.add(CodeNeedsDuplicate, n.Range, fmt.Sprintf("%s is already listed in `needs`", id))
		}
		seen[id] = true
		if c.p.ActionByID(id) == nil && !c.blankedKey(id) {
			msg := fmt.Sprintf("Action `%s` references an unknown action in its `needs` list: %s", a.ID, id)
			var fixes []Fix
			ids := make([]string, 0, len(c.p.Actions))
			for _, o := range c.p.Actions {
				if o != a {
					ids = append(ids, o.ID)
				}
			}
			if s := suggest(id, ids); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
				fixes = append(fixes, Fix{Title: fmt.Sprintf("Change to %q", s), Edits: []TextEdit{{Range: n.Range, NewText: quoteLike(n, s)}}})
			}
			c.add(CodeNeedsUnknown, n.Range, msg, fixes...)
		}
	}
}

// argValue returns the value of a flag in args (`--flag value` or `--flag=value`), the index
// of the word holding it, and whether the flag was present.
func argValue(args []Word, flag string) (string, int, bool) {
	for i, w := range args {
		if w.Text == flag {
			if i+1 < len(args) {
				return args[i+1].Text, i + 1, true
			}
			return "", -1, true
		}
		if strings.HasPrefix(w.Text, flag+"=") {
			return w.Text[len(flag)+1:], i, true
		}
	}
	return "", -1, false
}

// ehrqlCommand returns the ehrQL subcommand of an ehrql/databuilder action, or "".
func ehrqlCommand(a *Action) string {
	if a.Image != "ehrql" && a.Image != "databuilder" {
		return ""
	}
	args := a.Args()
	if len(args) == 0 {
		return ""
	}
	return args[0].Text
}

var ehrqlFormats = []string{".arrow", ".csv", ".csv.gz"}
var ehrqlOldFormats = []string{".dta", ".dta.gz", ".feather"}

func (c *checker) ehrql(a *Action) {
	cmd := ehrqlCommand(a)
	dataset := cmd == "generate-dataset" || (a.Image == "databuilder" && cmd == "generate_dataset")
	if !dataset && cmd != "generate-measures" {
		return
	}
	args := a.Args()
	dest, idx, has := argValue(args, "--output")
	if dataset {
		if o := a.OutputsNode; o != nil && o.Kind == KindMapping {
			for _, lvl := range []string{"moderately_sensitive", "minimally_sensitive"} {
				if lp := o.Get(lvl); lp != nil && lp.Value.Kind == KindMapping && len(lp.Value.Pairs) > 0 {
					c.add(CodeEhrQLPrivacy, lp.Key.Range, fmt.Sprintf("`%s` action uses `generate-dataset` and so all outputs must be labelled `highly_sensitive`", a.ID))
				}
			}
		}
		if !has || dest == "" {
			c.add(CodeEhrQLNoOutput, a.WordRange(c.text, 1), fmt.Sprintf("`%s` action does not provide an `--output` argument specifying where the results of `generate-dataset` should be stored", a.ID))
			return
		}
	}
	if !has || dest == "" {
		return
	}
	destR := a.WordRange(c.text, idx+1)
	dir, ext, isDir := splitDirOutput(dest)
	if isDir {
		if !contains(ehrqlFormats, "."+ext) && !contains(ehrqlOldFormats, "."+ext) {
			c.add(CodeEhrQLOutputFormat, destR, fmt.Sprintf("ehrQL cannot write %q files; use :arrow, :csv or :csv.gz", ext))
		}
	} else {
		c.outputFormat(dest, destR)
	}
	if !dataset {
		return
	}
	var hs []Output
	for _, o := range a.Outputs {
		if o.Level == "highly_sensitive" && o.Node.IsString() {
			hs = append(hs, o)
		}
	}
	if isDir {
		pattern := strings.TrimSuffix(dir, "/") + "/*." + ext
		var bad []string
		for _, o := range hs {
			if !matchStar(pattern, o.Path, true) {
				bad = append(bad, o.Path)
			}
		}
		if len(bad) > 0 || len(hs) == 0 {
			c.add(CodeEhrQLOutputMatch, destR, fmt.Sprintf("output specification must match the `--output` argument in the `run` command; got: %s but was expecting: %s", strings.Join(bad, ", "), strings.TrimSuffix(dir, "/")+"/:"+ext))
		}
		return
	}
	for _, o := range hs {
		if o.Path == dest {
			return
		}
	}
	var got []string
	for _, o := range hs {
		got = append(got, o.Path)
	}
	msg := fmt.Sprintf("output specification must match the `--output` argument in the `run` command: `%s` is not declared under highly_sensitive", dest)
	if len(got) > 0 {
		msg += fmt.Sprintf(" (got: %s)", strings.Join(got, ", "))
	}
	c.add(CodeEhrQLOutputMatch, destR, msg, c.declareOutputFix(a, dest)...)
}

// splitDirOutput recognises ehrQL's directory form DIR:EXT.
func splitDirOutput(dest string) (dir, ext string, ok bool) {
	i := strings.LastIndexByte(dest, ':')
	if i <= 0 || strings.Contains(dest[i+1:], "/") {
		return "", "", false
	}
	return dest[:i], dest[i+1:], true
}

func (c *checker) outputFormat(dest string, r Range) {
	lower := strings.ToLower(dest)
	for _, f := range ehrqlFormats {
		if strings.HasSuffix(lower, f) {
			return
		}
	}
	for _, f := range ehrqlOldFormats {
		if strings.HasSuffix(lower, f) {
			c.addSev(CodeEhrQLOutputFormat, SeverityWarning, r, fmt.Sprintf("%s files are only written by older ehrQL versions; use .arrow, .csv or .csv.gz", f))
			return
		}
	}
	if suffix(dest) == "" {
		// A bare directory: ehrQL asks for DIR:EXT; leave it to the output checks.
		return
	}
	c.add(CodeEhrQLOutputFormat, r, fmt.Sprintf("ehrQL cannot write %s files; use .arrow, .csv or .csv.gz", suffix(dest)))
}

// declareOutputFix inserts `dataset: <dest>` under the action's highly_sensitive outputs.
func (c *checker) declareOutputFix(a *Action, dest string) []Fix {
	o := a.OutputsNode
	if o == nil || o.Kind != KindMapping || o.Flow {
		return nil
	}
	name := "dataset"
	lines := c.p.Doc.Lines
	if hp := o.Get("highly_sensitive"); hp != nil {
		m := hp.Value
		if m.Kind != KindMapping || m.Flow || len(m.Pairs) == 0 {
			return nil
		}
		for m.Get(name) != nil {
			name += "_"
		}
		last := m.Pairs[len(m.Pairs)-1]
		first := m.Pairs[0].Key.Range.Start
		indent := first - lines.Start(lines.Line(first))
		at := lines.End(lines.Line(last.Value.Range.End))
		return []Fix{{Title: "Declare " + dest + " as a highly_sensitive output", Edits: []TextEdit{{Range: Range{at, at}, NewText: "\n" + strings.Repeat(" ", indent) + name + ": " + dest}}}}
	}
	if len(o.Pairs) == 0 {
		return nil
	}
	first := o.Pairs[0].Key.Range.Start
	indent := first - lines.Start(lines.Line(first))
	step := indent - (a.Key.Range.Start - lines.Start(lines.Line(a.Key.Range.Start)))
	if step <= 0 {
		step = 2
	}
	at := lines.Start(lines.Line(first))
	text := strings.Repeat(" ", indent) + "highly_sensitive:\n" + strings.Repeat(" ", indent+step/2+step/2) + name + ": " + dest + "\n"
	return []Fix{{Title: "Declare " + dest + " as a highly_sensitive output", Edits: []TextEdit{{Range: Range{at, at}, NewText: text}}}}
}

func (c *checker) cohortextractor(a *Action) {
	if a.Image != "cohortextractor" || ehrqlCommandLike(a) != "generate_cohort" || c.versionAtLeast(4) {
		return
	}
	o := a.OutputsNode
	if o == nil || o.Kind != KindMapping {
		return
	}
	levels := 0
	for _, lp := range o.Pairs {
		if isPrivacyLevel(lp.Key.Value) {
			levels++
		}
	}
	if levels > 1 {
		c.add(CodeCohortOneLevel, o.Range, fmt.Sprintf("A `generate_cohort` action must have exactly one output; %s had %d", a.ID, levels))
	}
	if _, _, ok := argValue(a.Args(), "--output-dir"); ok {
		return
	}
	dirs := map[string]bool{}
	var list []string
	for _, out := range a.Outputs {
		d := path.Dir(out.Path)
		if !dirs[d] {
			dirs[d] = true
			list = append(list, d)
		}
	}
	if len(list) > 1 {
		sort.Strings(list)
		c.add(CodeCohortOneDir, o.Range, fmt.Sprintf("generate_cohort command should produce output in only one directory, found %d: %s", len(list), strings.Join(list, ", ")))
	}
}

func ehrqlCommandLike(a *Action) string {
	if args := a.Args(); len(args) > 0 {
		return args[0].Text
	}
	return ""
}

func (c *checker) extras(a *Action) {
	if cfg := a.Config; cfg != nil && cfg.Kind == KindMapping {
		if _, builtin := schema.LookupImage(a.Image); builtin {
			c.add(CodeConfigBuiltin, cfg.Range, "`config` is passed to the script as `--config '<json>'`; make sure the script reads it")
		}
	}
	if d := a.DummyDataFile; d != nil && d.Kind == KindScalar {
		if !(a.Image == "cohortextractor" && ehrqlCommandLike(a) == "generate_cohort") {
			msg := "`dummy_data_file` is only used by cohort-extractor's generate_cohort; it has no effect here"
			if ehrqlCommand(a) != "" {
				msg += ": pass `--dummy-data-file " + d.Value + "` in `run` instead"
			}
			c.add(CodeDummyDataIgnored, d.Range, msg)
		}
		c.fileExists(d.Value, d.Range, "dummy data file")
	}
}
