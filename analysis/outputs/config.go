package outputs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/invopop/jsonschema"

	"github.com/opensafely-core/osls/analysis"
)

// ConfigFileNames are the files, at the study root, that may hold osls's own settings; the
// first that exists is read. project.yaml cannot carry them: the pipeline rejects unknown keys.
var ConfigFileNames = []string{"osls.yaml", ".osls.yaml"}

// ConfigSchemaID is the $id of the generated osls.yaml schema.
const ConfigSchemaID = "https://github.com/opensafely-core/osls/schema/osls.json"

// Settings is the whole osls.yaml file. Only the `outputs` section is defined here; other
// top-level sections belong to other parts of osls and are ignored by this package.
type Settings struct {
	Outputs Config `json:"outputs,omitempty" yaml:"outputs" jsonschema_description:"How osls checks moderately_sensitive outputs for disclosure control (osls outputs check)."`
}

// Config tells the output checks what the columns of a study's tables are, where the name and
// content of a column are not enough. Column patterns are matched case-insensitively against
// the header and may use * for any run of characters.
type Config struct {
	ColumnRules `yaml:",inline"`
	// Files refines the rules for the output files whose paths match a pattern.
	Files []FileConfig `json:"files,omitempty" yaml:"files" jsonschema_description:"Settings for particular output files, matched by path pattern (the * wildcard as in project.yaml). Every entry whose path matches applies, before the top-level settings."`
}

// ColumnRules marks columns as counts or not, and names the rounding their counts use.
type ColumnRules struct {
	CountColumns            []string `json:"count_columns,omitempty" yaml:"count_columns" jsonschema_description:"Columns that hold counts of patients or events, whatever their name or content: they must have no unredacted values of 1 to 7 and be rounded."`
	NotCountColumns         []string `json:"not_count_columns,omitempty" yaml:"not_count_columns" jsonschema_description:"Columns that are not counts even though their name or whole-number content suggests it (years, codes, ages, identifiers of categories)."`
	Midpoint6Columns        []string `json:"midpoint6_columns,omitempty" yaml:"midpoint6_columns" jsonschema_description:"Count columns rounded with midpoint-6 rounding (every value 0 or 3 more than a multiple of 6), like columns named *_midpoint6."`
	Midpoint6DerivedColumns []string `json:"midpoint6_derived_columns,omitempty" yaml:"midpoint6_derived_columns" jsonschema_description:"Columns computed from midpoint-6 rounded counts, whose values are multiples of 6, like columns named *_midpoint6_derived."`
}

// FileConfig is the settings for the output files matching Path.
type FileConfig struct {
	Path        string `json:"path" yaml:"path" jsonschema:"required" jsonschema_description:"An output path pattern, relative to the study root, e.g. output/tables/*.csv."`
	ColumnRules `yaml:",inline"`
	Ignore      []string `json:"ignore,omitempty" yaml:"ignore" jsonschema_description:"Rule ids (e.g. SDC011) not to report for these files: an exception agreed with the output checkers, which the release request must explain."`
	Description string   `json:"description,omitempty" yaml:"description" jsonschema_description:"What these files are, used in the release-request draft of osls outputs check --summary."`
}

// fileRules is the configuration that applies to one file.
type fileRules struct {
	rules       []ColumnRules // file-specific first, then the top level
	ignore      map[string]bool
	description string
}

// forFile collects the settings that apply to the file at name.
func (c Config) forFile(name string) fileRules {
	fr := fileRules{ignore: map[string]bool{}}
	for _, f := range c.Files {
		if f.Path == "" || !analysis.MatchOutput(f.Path, name) {
			continue
		}
		fr.rules = append(fr.rules, f.ColumnRules)
		for _, id := range f.Ignore {
			fr.ignore[strings.ToUpper(strings.TrimSpace(id))] = true
		}
		if fr.description == "" {
			fr.description = f.Description
		}
	}
	fr.rules = append(fr.rules, c.ColumnRules)
	return fr
}

// column returns what the settings say about a column: whether they decide it is a count
// (decided false means no setting names it) and the rounding they declare.
func (fr fileRules) column(name string) (decided, count bool, rounding Rounding) {
	for _, r := range fr.rules {
		switch {
		case matchAny(r.Midpoint6DerivedColumns, name):
			return true, true, RoundMidpoint6Derived
		case matchAny(r.Midpoint6Columns, name):
			return true, true, RoundMidpoint6
		case matchAny(r.NotCountColumns, name):
			return true, false, RoundNone
		case matchAny(r.CountColumns, name):
			return true, true, RoundNone
		}
	}
	return false, false, RoundNone
}

// filter drops the findings of ignored rules.
func (fr fileRules) filter(fs []Finding) []Finding {
	if len(fr.ignore) == 0 {
		return fs
	}
	out := fs[:0]
	for _, f := range fs {
		if !fr.ignore[f.Code] {
			out = append(out, f)
		}
	}
	return out
}

func matchAny(patterns []string, name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range patterns {
		if matchStar(strings.ToLower(strings.TrimSpace(p)), n) {
			return true
		}
	}
	return false
}

// matchStar matches s against p, where * in p matches any run of characters.
func matchStar(p, s string) bool {
	star := strings.IndexByte(p, '*')
	if star < 0 {
		return p == s
	}
	if !strings.HasPrefix(s, p[:star]) {
		return false
	}
	s, p = s[star:], p[star+1:]
	for i := 0; i <= len(s); i++ {
		if matchStar(p, s[i:]) {
			return true
		}
	}
	return false
}

// ParseConfig reads the outputs section of an osls.yaml file. Unknown keys inside the section
// are errors (a typo would otherwise silently do nothing); other top-level sections are left
// to their owners.
func ParseConfig(text []byte) (Config, error) {
	var top map[string]any
	if err := yaml.Unmarshal(text, &top); err != nil {
		return Config{}, err
	}
	sec, ok := top["outputs"]
	if !ok || sec == nil {
		return Config{}, nil
	}
	b, err := yaml.Marshal(sec)
	if err != nil {
		return Config{}, err
	}
	var c Config
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.DisallowUnknownField()); err != nil {
		return Config{}, fmt.Errorf("outputs section: %s", yaml.FormatError(err, false, false))
	}
	for i, f := range c.Files {
		if f.Path == "" {
			return Config{}, fmt.Errorf("outputs section: files entry %d has no path", i+1)
		}
	}
	return c, nil
}

// LoadConfig reads the outputs settings from the first of ConfigFileNames in fsys. A study
// without one gets the zero Config; the returned name is the file read ("" when none).
func LoadConfig(fsys fs.FS) (Config, string, error) {
	for _, name := range ConfigFileNames {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Config{}, name, fmt.Errorf("reading %s: %w", name, err)
		}
		c, err := ParseConfig(b)
		if err != nil {
			return Config{}, name, fmt.Errorf("%s: %w", name, err)
		}
		return c, name, nil
	}
	return Config{}, "", nil
}

// ConfigJSONSchema returns the JSON Schema (draft 2020-12) of osls.yaml, as indented JSON, for
// `osls schema outputs-config` and editors that use yaml-language-server.
func ConfigJSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{ExpandedStruct: true, RequiredFromJSONSchemaTags: true}
	s := r.Reflect(&Settings{})
	s.ID = ConfigSchemaID
	s.Title = "osls.yaml"
	s.Description = "Settings for osls, the OpenSAFELY language server and study checker. Kept beside project.yaml (which must not contain unknown keys)."
	s.AdditionalProperties = nil // other sections belong to other osls features
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<"))
	b = bytes.ReplaceAll(b, []byte(`\u003e`), []byte(">"))
	return b, nil
}
