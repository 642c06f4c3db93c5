package dummy

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/opensafely-core/osls/dummy/engine"
	"github.com/opensafely-core/osls/schema"
)

// inlineFiles reads the files of the program's table_from_file tables that exist (paths
// relative to the study folder, as ehrQL resolves them from its working directory), by
// table index, for the generator to use their rows and patient ids. A missing file keeps
// generated rows, with a note naming the file and the action of project.yaml that
// should produce it.
func (o *Options) inlineFiles(p *engine.Program) (map[int]*engine.Table, error) {
	var files map[int]*engine.Table
	for ti, ts := range p.Tables {
		if ts.Inline == nil {
			continue
		}
		display := ts.Inline.Path
		full := o.abs(filepath.FromSlash(display))
		if _, err := os.Stat(full); err != nil {
			if !os.IsNotExist(err) {
				return nil, err
			}
			msg := "table_from_file: " + display + " does not exist yet, so its table gets generated rows"
			if a := o.producingAction(display); a != "" {
				msg += "; run the action " + a + " to make it"
			} else {
				msg += "; no action in project.yaml declares it as an output"
			}
			o.logf("osls: note: %s", msg)
			continue
		}
		t, err := engine.ReadTableFile(full, display, ts)
		if err != nil {
			return nil, err
		}
		if files == nil {
			files = map[int]*engine.Table{}
		}
		files[ti] = t
		o.logf("osls: note: table_from_file: using the %d rows of %s; generated patients take its patient ids", len(t.IDs), display)
	}
	return files, nil
}

// producingAction returns the actions of the study's project.yaml whose outputs match a
// file (comma-separated), or "" when none does or there is no readable project.yaml.
func (o *Options) producingAction(file string) string {
	src, err := os.ReadFile(o.abs("project.yaml"))
	if err != nil {
		return ""
	}
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		return ""
	}
	var proj schema.Project
	if err := json.Unmarshal(js, &proj); err != nil {
		return ""
	}
	file = path.Clean(filepath.ToSlash(file))
	var names []string
	for name, a := range proj.Actions {
		found := false
		for _, level := range schema.PrivacyLevels {
			for _, pat := range a.Outputs.Level(level) {
				pat = path.Clean(filepath.ToSlash(pat))
				if ok, _ := path.Match(pat, file); ok || pat == file {
					found = true
				}
			}
		}
		if found {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
