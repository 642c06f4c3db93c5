package analysis

import (
	"fmt"
	"strings"

	"github.com/opensafely-core/osls/schema"
)

// Hover is the documentation shown for the thing under the cursor.
type Hover struct {
	Range    Range  // what the hover is about
	Markdown string // its text
}

// maxHoverFiles bounds the list of files an output pattern matches.
const maxHoverFiles = 20

// HoverProject explains what is at byte offset off of a project.yaml: the documentation of a
// key; for an action id, its run line, needs and outputs; for an image, what it is and its
// tags; for an output path, the files it matches now. snap may be nil.
func HoverProject(snap Snapshot, p *Project, off int) (Hover, bool) {
	text := p.Doc.Text
	loc, ok := locate(p, off)
	if !ok {
		return Hover{}, false
	}
	if loc.key != nil {
		return hoverKey(p, loc)
	}
	if loc.value == nil {
		return Hover{}, false
	}
	v := loc.value
	path := loc.path
	switch {
	case loc.action != nil && len(path) == 3 && path[2] == "needs":
		if t := p.ActionByID(v.Value); t != nil {
			return Hover{v.Range, actionSummary(p, t)}, true
		}
		return Hover{v.Range, fmt.Sprintf("There is no action named `%s`.", v.Value)}, true
	case loc.action != nil && len(path) == 3 && path[2] == "run" && loc.action.RunNode == v:
		return hoverRun(snap, p, loc.action, text, off)
	case loc.action != nil && len(path) == 5 && path[2] == "outputs":
		return Hover{v.Range, outputMatches(snap, v.Value)}, true
	}
	if d, ok := schema.Doc(normalisePath(path)); ok {
		return Hover{v.Range, keyTitle(path[len(path)-1]) + d.Doc}, true
	}
	return Hover{}, false
}

func keyTitle(k string) string { return "**" + k + "**\n\n" }

func hoverKey(p *Project, loc located) (Hover, bool) {
	k := loc.key
	path := loc.path
	if len(path) == 2 && path[0] == "actions" && loc.action != nil {
		return Hover{k.Range, actionSummary(p, loc.action)}, true
	}
	if len(path) == 4 && path[0] == "actions" && path[2] == "config" && loc.action != nil {
		if ra, ok := schema.LookupReusableAction(loc.action.Image); ok {
			if ck, ok := ra.Config.LookupKey(path[3]); ok {
				return Hover{k.Range, fmt.Sprintf("**%s** (%s)\n\n%s", ck.Name, ck.Type, ck.Doc)}, true
			}
		}
	}
	d, ok := schema.Doc(normalisePath(path))
	if !ok {
		return Hover{}, false
	}
	title := path[len(path)-1]
	if d.Key == "*" && len(path) == 5 {
		title = "output " + title
	}
	return Hover{k.Range, keyTitle(title) + d.Doc}, true
}

// actionSummary describes an action in markdown: its run line, needs, outputs and the actions
// that need it.
func actionSummary(p *Project, a *Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**action `%s`**\n\n", a.ID)
	if a.Run != "" {
		fmt.Fprintf(&b, "```sh\n%s\n```\n\n", a.Run)
	}
	if ids := a.NeedIDs(); len(ids) > 0 {
		fmt.Fprintf(&b, "needs: %s\n\n", strings.Join(backquote(ids), ", "))
	}
	if len(a.Outputs) > 0 {
		b.WriteString("outputs:\n")
		for _, o := range a.Outputs {
			fmt.Fprintf(&b, "- %s `%s`: `%s`\n", o.Level, o.NameNode.Value, o.Path)
		}
		b.WriteString("\n")
	}
	var by []string
	for _, x := range p.Actions {
		for _, id := range x.NeedIDs() {
			if id == a.ID {
				by = append(by, x.ID)
				break
			}
		}
	}
	if len(by) > 0 {
		fmt.Fprintf(&b, "needed by: %s\n", strings.Join(backquote(by), ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

func backquote(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return out
}

// hoverRun explains the run-line word under the cursor.
func hoverRun(snap Snapshot, p *Project, a *Action, text []byte, off int) (Hover, bool) {
	i := runWord(a, text, off)
	if i < 0 {
		d, _ := schema.Doc([]string{"actions", "*", "run"})
		return Hover{a.RunNode.Range, keyTitle("run") + d.Doc}, true
	}
	r := a.WordRange(text, i)
	w := a.Words[i].Text
	if i == 0 {
		return Hover{r, imageDoc(a.Image, a.Tag)}, true
	}
	img, builtin := schema.LookupImage(a.Image)
	if builtin && i == 1 {
		if cmd, ok := img.LookupCommand(w); ok {
			return Hover{r, fmt.Sprintf("**%s %s**\n\n%s", img.Name, cmd.Name, cmd.Doc)}, true
		}
	}
	if strings.HasPrefix(w, "-") {
		name, _, _ := strings.Cut(w, "=")
		for _, f := range flagsOf(a) {
			if f.Name == name {
				return Hover{r, fmt.Sprintf("**%s**\n\n%s", f.Name, f.Doc)}, true
			}
		}
	}
	path := runWordPath(w)
	if path == "" {
		return Hover{}, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`", path)
	var producers []string
	for _, x := range p.Actions {
		for _, o := range x.Outputs {
			if o.Path != "" && x != a && MatchOutput(o.Path, path) {
				producers = append(producers, x.ID)
				break
			}
		}
	}
	switch {
	case len(producers) > 0:
		fmt.Fprintf(&b, ": an output of %s", strings.Join(backquote(producers), ", "))
	case snap != nil && snap.Exists(path):
		b.WriteString(": in the repository")
	case snap != nil:
		b.WriteString(": not in the repository")
	}
	return Hover{r, b.String()}, true
}

// flagsOf lists the options an action's image (and subcommand) documents.
func flagsOf(a *Action) []schema.Flag {
	if img, ok := schema.LookupImage(a.Image); ok {
		if len(img.Commands) > 0 && len(a.Words) > 1 {
			if cmd, ok := img.LookupCommand(a.Words[1].Text); ok {
				return cmd.Flags
			}
		}
		return img.Flags
	}
	if ra, ok := schema.LookupReusableAction(a.Image); ok {
		return ra.Args
	}
	return nil
}

// imageDoc describes an image or a reusable action and its tags.
func imageDoc(name, tag string) string {
	var b strings.Builder
	if img, ok := schema.LookupImage(name); ok {
		fmt.Fprintf(&b, "**%s** (OpenSAFELY image)\n\n%s\n\n", img.Name, img.Doc)
		fmt.Fprintf(&b, "Tags: %s (recommended: `%s`)", strings.Join(backquote(img.Tags), ", "), img.Recommended)
		if tag != "" && !img.HasTag(tag) {
			fmt.Fprintf(&b, "\n\n`%s` is not a known tag of %s.", tag, img.Name)
		}
		if img.Deprecated != "" {
			fmt.Fprintf(&b, "\n\n**Deprecated:** %s", img.Deprecated)
		}
		return b.String()
	}
	if ra, ok := schema.LookupReusableAction(name); ok {
		fmt.Fprintf(&b, "**%s** (reusable action, runs in `%s`)\n\n%s\n\n", ra.Name, ra.Runtime, ra.Doc)
		tags := ra.Tags
		if len(tags) > 8 {
			tags = tags[len(tags)-8:]
		}
		fmt.Fprintf(&b, "Latest release: `%s`; recent: %s", ra.Latest, strings.Join(backquote(tags), ", "))
		return b.String()
	}
	return fmt.Sprintf("`%s` is neither a built-in image nor a known reusable action.", name)
}

// outputMatches lists the files an output pattern matches now.
func outputMatches(snap Snapshot, pattern string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**output** `%s`\n\n", pattern)
	if snap == nil {
		return strings.TrimSpace(b.String())
	}
	var matched []string
	for _, f := range snap.Files() {
		if MatchOutput(pattern, f) {
			matched = append(matched, f)
		}
	}
	switch {
	case len(matched) == 0:
		b.WriteString("No file matches it yet: it is written when the action runs.")
	default:
		fmt.Fprintf(&b, "Matches %s now:\n", plural(len(matched), "file"))
		for i, f := range matched {
			if i == maxHoverFiles {
				fmt.Fprintf(&b, "- … and %d more\n", len(matched)-maxHoverFiles)
				break
			}
			fmt.Fprintf(&b, "- `%s`\n", f)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
