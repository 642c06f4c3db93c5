package dummy

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opensafely-core/osls/analysis"
	"github.com/opensafely-core/osls/dummy/engine"
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
// file (comma-separated), or "" when none does or there is no readable project.yaml. It reads
// the project and matches outputs as the checker and the runner do.
func (o *Options) producingAction(file string) string {
	src, err := os.ReadFile(o.abs(analysis.ProjectFile))
	if err != nil {
		return ""
	}
	proj := analysis.ParseProject(analysis.ProjectFile, src)
	file = path.Clean(filepath.ToSlash(file))
	var names []string
	for _, a := range proj.Actions {
		for _, out := range a.Outputs {
			if analysis.MatchOutput(out.Path, file) {
				names = append(names, a.ID)
				break
			}
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
