package schema

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Project is the whole of project.yaml. The types in this file follow the
// file's structure so that the JSON Schema can be reflected from them (see
// ProjectJSONSchema); they can also be filled with encoding/json from the
// YAML converted to JSON. Descriptions and required keys come from the key
// table in keys.go, not from struct tags.
type Project struct {
	Version      Version           `json:"version"`
	Actions      map[string]Action `json:"actions"`
	Expectations *Expectations     `json:"expectations,omitempty"`
}

// Action is one entry of `actions`.
type Action struct {
	Run           Run            `json:"run"`
	Needs         Needs          `json:"needs,omitempty" jsonschema:"nullable"`
	Outputs       Outputs        `json:"outputs"`
	Config        map[string]any `json:"config,omitempty" jsonschema:"nullable"`
	DummyDataFile string         `json:"dummy_data_file,omitempty" jsonschema:"nullable"`
}

// Outputs is an action's `outputs`: for each privacy level, a mapping from
// output name to path pattern. At least one level must be present.
type Outputs struct {
	HighlySensitive     map[string]OutputPath       `json:"highly_sensitive,omitempty" jsonschema:"nullable"`
	ModeratelySensitive map[string]Level4OutputPath `json:"moderately_sensitive,omitempty" jsonschema:"nullable"`
	MinimallySensitive  map[string]OutputPath       `json:"minimally_sensitive,omitempty" jsonschema:"nullable"`
}

// Level returns the outputs declared at a privacy level (one of
// PrivacyLevels), or nil.
func (o Outputs) Level(level string) map[string]string {
	var m map[string]string
	add := func(name, path string) {
		if m == nil {
			m = map[string]string{}
		}
		m[name] = path
	}
	switch level {
	case "highly_sensitive":
		for k, v := range o.HighlySensitive {
			add(k, string(v))
		}
	case "moderately_sensitive":
		for k, v := range o.ModeratelySensitive {
			add(k, string(v))
		}
	case "minimally_sensitive":
		for k, v := range o.MinimallySensitive {
			add(k, string(v))
		}
	}
	return m
}

// Expectations is the legacy `expectations` section (required in version
// 3, forbidden from version 4).
type Expectations struct {
	PopulationSize PopulationSize `json:"population_size"`
}

// Version is the value of `version` as written in the file: a number (5,
// 5.0) or a string ("5.0"). The pipeline converts it with Python's float().
type Version string

// UnmarshalJSON accepts a JSON number or string.
func (v *Version) UnmarshalJSON(b []byte) error {
	return unmarshalNumberOrString((*string)(v), b)
}

// Number returns the version as a number, if it is one.
func (v Version) Number() (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	return f, err == nil
}

// PopulationSize is `expectations.population_size`: a whole number, which
// may be written as a string ("1000").
type PopulationSize string

// UnmarshalJSON accepts a JSON number or string.
func (p *PopulationSize) UnmarshalJSON(b []byte) error {
	return unmarshalNumberOrString((*string)(p), b)
}

// Run is an action's `run` command line, starting with `image:tag`.
type Run string

// Needs is an action's `needs` list of action names.
type Needs []string

// OutputPath is an output path pattern of any privacy level.
type OutputPath string

// Level4OutputPath is a moderately_sensitive output path pattern, which must
// also end in one of the Level4Extensions.
type Level4OutputPath string

// unmarshalNumberOrString stores a JSON string's value, or a JSON number's
// text, in dst. null leaves dst empty.
func unmarshalNumberOrString(dst *string, b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*dst = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, dst)
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*dst = n.String()
	return nil
}
