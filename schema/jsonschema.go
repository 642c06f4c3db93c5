package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// SchemaID is the $id of the generated project.yaml schema.
const SchemaID = "https://github.com/opensafely-core/osls/schema/project.json"

// Regular expressions used by the schema. They are written in the common
// subset of RE2 (Go, used by osls and its tests) and ECMA-262 (used by
// yaml-language-server): no look-around, no escapes inside classes other
// than `\\` and `\[`.
const (
	// tagPattern is the pipeline's rule for the tag after `image:`.
	tagPattern = `^(v[0-9.]+(-pre)?|dev|latest)$`

	// runPattern checks the first word of `run`: `name:tag`, split at the
	// first colon. Leading whitespace is allowed (the value is split like a
	// shell command line), and a quote may close the first word.
	runPattern = `^\s*[^\s:]*:(v[0-9.]+(-pre)?|dev|latest)["']?(\s|$)`

	// cohortextractorPattern matches a first word naming cohort-extractor
	// (including cohortextractor-v2), forbidden from version 4.
	cohortextractorPattern = `^\s*["']?cohortextractor`

	// latestPattern matches a first word ending in `:latest`, forbidden
	// from version 5.
	latestPattern = `^\s*\S*:latest["']?(\s|$)`

	// generateDatasetPattern is the pipeline's own test for an ehrQL
	// generate-dataset action, applied to the raw `run` string.
	generateDatasetPattern = `^(ehrql|databuilder):\S+ generate[-_]dataset`

	// versionStringPattern accepts the strings Python's float() turns into
	// a number between 1 and 5.
	versionStringPattern = `^\s*\+?0*([1-4](\.[0-9]*)?|5(\.0*)?)\s*$`
	version3Pattern      = `^\s*\+?0*3(\.0*)?\s*$`
	version4UpPattern    = `^\s*\+?0*([4-9]|[1-9][0-9])`
	version5UpPattern    = `^\s*\+?0*([5-9]|[1-9][0-9])`

	// populationSizeStringPattern accepts the strings Python's int() turns
	// into a number.
	populationSizeStringPattern = `^\s*[+-]?[0-9]+\s*$`

	// pathComponent is one element of a normalised relative path: not
	// empty, not "." and not "..".
	pathComponent = `([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+)`
	// normalPathPattern is a relative path in POSIX normal form that does
	// not climb out of the repository: no leading "/", no "//", no "." or
	// ".." element, no trailing "/". (The pipeline accepts a leading "..";
	// osls rejects it because such a path can never match a produced file.)
	normalPathPattern = `^` + pathComponent + `(/` + pathComponent + `)*$`
	// extensionPattern requires the last path element to have a file
	// extension, in the sense of Python's PurePath.suffix, that does not
	// end in "*".
	extensionPattern = `^(.*/)?[^/]+\.[^/.]*[^/.*]$`
)

var tagRegexp = regexp.MustCompile(tagPattern)

// ValidTag reports whether tag (the text after the first colon of the
// image word in `run`) has the form the pipeline accepts: vN, vN.N...,
// either with an optional "-pre", "dev" or "latest".
func ValidTag(tag string) bool {
	return tagRegexp.MatchString(tag)
}

// level4Pattern matches a path whose last suffix is a level-4 extension.
func level4Pattern() string {
	exts := make([]string, len(Level4Extensions))
	for i, e := range Level4Extensions {
		exts[i] = regexp.QuoteMeta(strings.TrimPrefix(e, "."))
	}
	return `\.(` + strings.Join(exts, "|") + `)$`
}

// JSONSchema describes `version`: a number from 1 to 5, or a string that
// reads as one.
func (Version) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "number", Minimum: "1", Maximum: json.Number(fmt.Sprint(LatestVersion))},
		{Type: "string", Pattern: versionStringPattern},
	}}
}

// JSONSchema describes `population_size`: a whole number, possibly quoted.
func (PopulationSize) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "number"},
		{Type: "string", Pattern: populationSizeStringPattern},
	}}
}

// JSONSchema describes `run`: a string starting with `image:tag`.
func (Run) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: runPattern}
}

// JSONSchema describes `needs`: a list of action names, none containing a
// space.
func (Needs) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type: "array",
		Items: &jsonschema.Schema{
			Type:        "string",
			Pattern:     `^[^ ]*$`,
			Description: "An action name. Separate names with commas: `needs: [a, b]`.",
		},
	}
}

// JSONSchema describes an output path pattern of any privacy level.
func (OutputPath) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", AllOf: outputPathRules()}
}

// JSONSchema describes a moderately_sensitive output path pattern.
func (Level4OutputPath) JSONSchema() *jsonschema.Schema {
	rules := append(outputPathRules(), &jsonschema.Schema{
		Pattern: level4Pattern(),
		Description: "moderately_sensitive outputs must be one of these file types: " +
			strings.Join(Level4Extensions, " "),
	})
	return &jsonschema.Schema{Type: "string", AllOf: rules}
}

// outputPathRules are the pipeline's checks on every output path, one
// subschema per rule so that a validator's message points at the rule.
func outputPathRules() []*jsonschema.Schema {
	return []*jsonschema.Schema{
		{Not: &jsonschema.Schema{Pattern: `\\`}, Description: "Use forward slashes only."},
		{Not: &jsonschema.Schema{Pattern: `\*\*|\?|\[`}, Description: "Only the * wildcard is supported."},
		{Pattern: extensionPattern, Description: "The path must end in a file type extension."},
		{Pattern: normalPathPattern, Description: "The path must be relative and in standard form (no //, ./, .. or trailing /)."},
		{Not: &jsonschema.Schema{Pattern: `^metadata(/|$)`}, Description: "Outputs may not be written to metadata/."},
		{Not: &jsonschema.Schema{Pattern: `^[A-Za-z]:/`}, Description: "The path must not be absolute."},
	}
}

// ProjectJSONSchema returns the JSON Schema (draft 2020-12) for
// project.yaml, as indented JSON.
//
// It accepts what the pipeline library accepts, except where osls is
// deliberately stricter (a version below 1, output paths starting with
// ".."). It cannot check cross-references: `needs` targets, cycles,
// duplicate output paths or `run` commands, and `--output` matching are left
// to osls itself.
func ProjectJSONSchema() ([]byte, error) {
	b, err := generatedSchema()
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// generatedSchema builds the schema once; ProjectJSONSchema hands out copies.
var generatedSchema = sync.OnceValues(func() ([]byte, error) {
	s, err := projectSchema()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return unescapeHTML(b), nil
})

// unescapeHTML undoes encoding/json's escaping of <, > and & inside
// strings, which is valid JSON but makes the descriptions hard to read.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if i+6 <= len(b) {
			switch string(b[i : i+6]) {
			case `\u003c`:
				out, i = append(out, '<'), i+5
				continue
			case `\u003e`:
				out, i = append(out, '>'), i+5
				continue
			case `\u0026`:
				out, i = append(out, '&'), i+5
				continue
			}
		}
		// Any other escape: copy it whole so an escaped backslash is not
		// mistaken for the start of another escape.
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

// projectSchema reflects the Go types and adds the rules they cannot carry.
func projectSchema() (*jsonschema.Schema, error) {
	r := &jsonschema.Reflector{
		ExpandedStruct:             true,
		RequiredFromJSONSchemaTags: true, // required keys come from the key table
	}
	root := r.Reflect(&Project{})
	root.ID = SchemaID
	root.Title = "OpenSAFELY project.yaml"
	root.Description = "The pipeline of an OpenSAFELY study: the actions to run, in which images, " +
		"and the files each one produces."

	defs := root.Definitions
	for _, name := range []string{"Action", "Outputs", "Expectations"} {
		if defs[name] == nil {
			return nil, fmt.Errorf("schema: reflected schema has no %s definition", name)
		}
	}
	objects := []struct {
		s    *jsonschema.Schema
		path []string
	}{
		{root, nil},
		{defs["Action"], []string{"actions", "*"}},
		{defs["Outputs"], []string{"actions", "*", "outputs"}},
		{defs["Expectations"], []string{"expectations"}},
	}
	for _, o := range objects {
		if err := applyDocs(o.s, o.path); err != nil {
			return nil, err
		}
	}
	if d, ok := Doc([]string{"actions", "*"}); ok {
		describe(defs["Action"], d.Doc)
	}
	if d, ok := Doc([]string{"actions", "*", "outputs", "*", "*"}); ok {
		describe(defs["OutputPath"], d.Doc)
		describe(defs["Level4OutputPath"], d.Doc)
	}

	addOutputsRules(defs["Outputs"])
	addActionRules(defs["Action"])
	addVersionRules(root)
	return root, nil
}

// applyDocs copies the key table's text and required flags onto the
// properties of one object schema, and checks that the Go type and the
// table list the same keys.
func applyDocs(s *jsonschema.Schema, path []string) error {
	want := map[string]bool{}
	for _, k := range Keys(path) {
		want[k.Key] = true
	}
	s.Required = nil
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		key := pair.Key
		doc, ok := Doc(append(append([]string(nil), path...), key))
		if !ok || !want[key] {
			return fmt.Errorf("schema: property %q at %v has no entry in the key table", key, path)
		}
		delete(want, key)
		describe(pair.Value, doc.Doc)
		if doc.Required {
			s.Required = append(s.Required, key)
		}
	}
	for key := range want {
		return fmt.Errorf("schema: key %q at %v is documented but not in the Go types", key, path)
	}
	return nil
}

// describe sets a schema's description, also as markdownDescription, which
// VS Code's YAML extension renders.
func describe(s *jsonschema.Schema, doc string) {
	if s == nil || doc == "" {
		return
	}
	s.Description = doc
	if s.Extras == nil {
		s.Extras = map[string]any{}
	}
	s.Extras["markdownDescription"] = doc
}

// addOutputsRules requires at least one privacy level with a mapping.
func addOutputsRules(s *jsonschema.Schema) {
	for _, level := range PrivacyLevels {
		s.AnyOf = append(s.AnyOf, &jsonschema.Schema{
			Required:   []string{level},
			Properties: props(level, &jsonschema.Schema{Type: "object"}),
		})
	}
}

// addActionRules adds the rule for ehrQL's generate-dataset: its outputs
// are all highly_sensitive.
func addActionRules(s *jsonschema.Schema) {
	empty := &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "null"},
		{Type: "object", MaxProperties: ptr(uint64(0))},
	}}
	outputs := &jsonschema.Schema{Properties: props("moderately_sensitive", empty)}
	outputs.Properties.Set("minimally_sensitive", empty)
	s.If = &jsonschema.Schema{
		Required:   []string{"run"},
		Properties: props("run", &jsonschema.Schema{Type: "string", Pattern: generateDatasetPattern}),
	}
	s.Then = &jsonschema.Schema{
		Description: "generate-dataset writes patient-level data: all its outputs must be highly_sensitive.",
		Properties:  props("outputs", outputs),
	}
}

// addVersionRules makes `expectations` depend on the version and adds the
// rules that later versions introduced.
func addVersionRules(root *jsonschema.Schema) {
	expectations, _ := root.Properties.Get("expectations")
	// Before version 3 (and between 3 and 4) expectations is ignored, so
	// the property itself accepts anything; the rules below narrow it.
	root.Properties.Set("expectations", &jsonschema.Schema{
		Description: expectations.Description,
		Extras:      expectations.Extras,
	})

	versionIs := func(number *jsonschema.Schema, pattern string) *jsonschema.Schema {
		return &jsonschema.Schema{
			Required: []string{"version"},
			Properties: props("version", &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
				number,
				{Type: "string", Pattern: pattern},
			}}),
		}
	}
	eachRun := func(not string) *jsonschema.Schema {
		return &jsonschema.Schema{
			AdditionalProperties: &jsonschema.Schema{
				Properties: props("run", &jsonschema.Schema{Not: &jsonschema.Schema{Pattern: not}}),
			},
		}
	}

	v3 := &jsonschema.Schema{
		If: versionIs(&jsonschema.Schema{Type: "number", Const: 3}, version3Pattern),
		Then: &jsonschema.Schema{
			Description: "Version 3 requires an expectations section with population_size.",
			Required:    []string{"expectations"},
			Properties:  props("expectations", &jsonschema.Schema{Ref: "#/$defs/Expectations"}),
		},
	}

	v4Then := &jsonschema.Schema{
		Description: "From version 4, cohortextractor and the expectations section are not supported.",
		Properties:  props("expectations", &jsonschema.Schema{Type: "null"}),
	}
	v4Then.Properties.Set("actions", eachRun(cohortextractorPattern))
	v4 := &jsonschema.Schema{
		If:   versionIs(&jsonschema.Schema{Type: "number", Minimum: "4"}, version4UpPattern),
		Then: v4Then,
	}

	actions5 := eachRun(latestPattern)
	actions5.PropertyNames = &jsonschema.Schema{
		Not:         &jsonschema.Schema{Const: "run_all"},
		Description: "run_all is reserved for running every action.",
	}
	v5 := &jsonschema.Schema{
		If: versionIs(&jsonschema.Schema{Type: "number", Minimum: "5"}, version5UpPattern),
		Then: &jsonschema.Schema{
			Description: "From version 5, :latest image tags and an action named run_all are not allowed.",
			Properties:  props("actions", actions5),
		},
	}
	root.AllOf = append(root.AllOf, v3, v4, v5)
}

// props builds a one-entry properties map.
func props(key string, s *jsonschema.Schema) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	p := jsonschema.NewProperties()
	p.Set(key, s)
	return p
}

func ptr[T any](v T) *T { return &v }
