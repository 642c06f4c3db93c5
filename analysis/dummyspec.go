package analysis

// Expected distributions for dummy data. A study's protocol states how its variables are
// expected to be distributed; ehrQL has no place for that, so osls reads it from a sidecar
// file beside the dataset definition: analysis/dataset_definition.py has
// analysis/dataset_definition.dummy.yaml (or .dummy.json). Per variable it says how often
// the value is NULL, how often a bool is True, the weights of categories, a numeric
// distribution, or a range of dates:
//
//	variables:
//	  has_asthma:
//	    true_proportion: 0.12
//	  sex:
//	    categories: {female: 51, male: 49}
//	  age:
//	    distribution: {kind: normal, mean: 52, sd: 18, min: 18, max: 100}
//	  bmi:
//	    null_proportion: 0.3
//	    distribution: {kind: uniform, min: 16, max: 45}
//	  first_vaccination:
//	    null_proportion: 0.2
//	    dates: {from: 2020-12-08, to: 2022-06-30}
//
// The generator (dummy/generate) turns each patient's draw from these distributions into
// conditions on the variable's definition, which steer the source rows it makes; the
// dataset is then computed from those rows, so variables derived from the same rows stay
// consistent with each other. This file holds the model (with its JSON Schema), the checks
// against the definition's variables, and completion.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/opensafely-core/osls/analysis/qm"
)

// DummySpec is the content of a dummy-data sidecar file.
type DummySpec struct {
	Variables map[string]DummyVariable `json:"variables,omitempty" jsonschema_description:"Expected distributions of the dataset's variables, by variable name (as assigned in the dataset definition). Variables not listed get osls's usual dummy values."`
}

// DummyVariable is the expected distribution of one variable. Only the settings that fit
// the variable's type apply: TrueProportion for bools, Categories for strings, codes and
// ints, Distribution for ints and floats, Dates for dates; NullProportion for any.
type DummyVariable struct {
	NullProportion *float64           `json:"null_proportion,omitempty" jsonschema:"minimum=0,maximum=1" jsonschema_description:"Share of patients (0 to 1) for whom the variable is NULL (missing)."`
	TrueProportion *float64           `json:"true_proportion,omitempty" jsonschema:"minimum=0,maximum=1" jsonschema_description:"Bool variables: share of patients (0 to 1) for whom it is True. The rest are False, apart from those null_proportion makes NULL."`
	Categories     map[string]float64 `json:"categories,omitempty" jsonschema_description:"Relative weights of the values among patients with a value, e.g. {female: 51, male: 49}. Values not listed do not occur."`
	Distribution   *DummyDistribution `json:"distribution,omitempty" jsonschema_description:"Int and float variables: the distribution of the values among patients with a value."`
	Dates          *DummyDates        `json:"dates,omitempty" jsonschema_description:"Date variables: the values are spread evenly over this range."`
}

// DummyDistribution is a numeric distribution.
type DummyDistribution struct {
	Kind string   `json:"kind" jsonschema:"required,enum=normal,enum=uniform,enum=poisson" jsonschema_description:"normal (mean, sd; optional min and max cut it off), uniform (min, max) or poisson (mean; counts)."`
	Mean *float64 `json:"mean,omitempty" jsonschema_description:"Mean (normal, poisson)."`
	SD   *float64 `json:"sd,omitempty" jsonschema:"exclusiveMinimum=0" jsonschema_description:"Standard deviation (normal)."`
	Min  *float64 `json:"min,omitempty" jsonschema_description:"Smallest value (required for uniform; a cut-off for normal and poisson)."`
	Max  *float64 `json:"max,omitempty" jsonschema_description:"Largest value (required for uniform; a cut-off for normal and poisson)."`
}

// DummyDates is a range of dates.
type DummyDates struct {
	From string `json:"from" jsonschema:"required,format=date" jsonschema_description:"First date (YYYY-MM-DD)."`
	To   string `json:"to" jsonschema:"required,format=date" jsonschema_description:"Last date (YYYY-MM-DD)."`
}

// DummySpecSchemaID identifies the sidecar's JSON Schema.
const DummySpecSchemaID = "https://github.com/opensafely-core/osls/schema/dummy-data.json"

// DummySpecJSONSchema returns the JSON Schema of the sidecar file (osls schema dummy-data).
func DummySpecJSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{ExpandedStruct: true, RequiredFromJSONSchemaTags: true}
	s := r.Reflect(&DummySpec{})
	s.ID = DummySpecSchemaID
	s.Title = "osls dummy-data expectations"
	s.Description = "Expected distributions of a dataset definition's variables, used by osls when it generates dummy data. Kept beside the definition as <definition>.dummy.yaml."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<"))
	b = bytes.ReplaceAll(b, []byte(`\u003e`), []byte(">"))
	return b, nil
}

// dummySpecSuffixes are the sidecar names, in order of preference.
var dummySpecSuffixes = []string{".dummy.yaml", ".dummy.yml", ".dummy.json"}

// DummySpecPaths returns the sidecar paths of a definition, preferred first.
func DummySpecPaths(definition string) []string {
	stem := strings.TrimSuffix(definition, ".py")
	out := make([]string, len(dummySpecSuffixes))
	for i, s := range dummySpecSuffixes {
		out[i] = stem + s
	}
	return out
}

// FindDummySpec returns the first sidecar of a definition that exists in snap ("" when
// there is none).
func FindDummySpec(snap Snapshot, definition string) string {
	for _, p := range DummySpecPaths(definition) {
		if _, err := snap.ReadFile(p); err == nil {
			return p
		}
	}
	return ""
}

// DefinitionOfDummySpec returns the definition a sidecar belongs to, and whether the path
// is a sidecar's.
func DefinitionOfDummySpec(p string) (string, bool) {
	for _, s := range dummySpecSuffixes {
		if stem, ok := strings.CutSuffix(p, s); ok && path.Base(stem) != "" && !strings.HasSuffix(stem, "/") {
			return stem + ".py", true
		}
	}
	return "", false
}

// DummyVarInfo is what the checks need to know about a dataset variable.
type DummyVarInfo struct {
	Name       string
	Type       qm.Type
	Categories []string // its possible values, when known
}

// DummyVariablesOf lists the variables of a definition's dataset (nil when it has none).
func DummyVariablesOf(def *Definition) []DummyVarInfo {
	if def == nil || def.Dataset == nil {
		return nil
	}
	var out []DummyVarInfo
	for _, v := range def.Dataset.Variables {
		info := DummyVarInfo{Name: v.Name}
		if v.Series != nil {
			info.Type = v.Series.Type()
			info.Categories = seriesCategories(v.Series)
		}
		out = append(out, info)
	}
	return out
}

// seriesCategories returns the values a series can take when it is a categorical column,
// min/max of one, or a case of literals (nil when unknown).
func seriesCategories(s qm.Series) []string {
	switch x := s.(type) {
	case *qm.SelectColumn:
		if t := x.Source.Table(); t != nil {
			if c, ok := t.Column(x.Name); ok {
				return c.Categories
			}
		}
	case *qm.Aggregate:
		if (x.Op == qm.AggMin || x.Op == qm.AggMax) && x.Arg != nil {
			return seriesCategories(x.Arg)
		}
	case *qm.Value:
		if x.V == nil {
			return nil
		}
		if _, isSet := x.V.([]any); isSet {
			return nil
		}
		return []string{literalText(x.V)}
	case *qm.Case:
		var out []string
		seen := map[string]bool{}
		outs := []qm.Series{}
		for _, b := range x.Branches {
			outs = append(outs, b.Value)
		}
		if x.Default != nil {
			outs = append(outs, x.Default)
		}
		for _, o := range outs {
			if o == nil {
				return nil
			}
			cs := seriesCategories(o)
			if cs == nil {
				return nil
			}
			for _, c := range cs {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		return out
	}
	return nil
}

func literalText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "T"
		}
		return "F"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case qm.Date:
		return x.String()
	}
	return fmt.Sprint(v)
}

// Keys of the sidecar.
var (
	dummyTopKeys   = []string{"variables"}
	dummyVarKeys   = []string{"null_proportion", "true_proportion", "categories", "distribution", "dates"}
	dummyDistKeys  = []string{"kind", "mean", "sd", "min", "max"}
	dummyDateKeys  = []string{"from", "to"}
	dummyDistKinds = []string{"normal", "uniform", "poisson"}
)

// dummyKeyFits reports whether a variable setting applies to a type (Unknown: all do).
func dummyKeyFits(key string, t qm.Type) bool {
	if t.Kind == qm.Unknown {
		return true
	}
	switch key {
	case "true_proportion":
		return t.Kind == qm.Bool
	case "categories":
		return t.Kind == qm.Str || t.Kind == qm.Code || t.Kind == qm.Int
	case "distribution":
		return t.Kind == qm.Int || t.Kind == qm.Float
	case "dates":
		return t.Kind == qm.DateKind
	}
	return true
}

// AnalyzeDummySpec parses a sidecar file and checks it against the definition's variables
// (vars nil: the definition is unknown, and only the file's own shape is checked). It
// returns what it could read of the spec, with the problems found.
func AnalyzeDummySpec(file string, text []byte, vars []DummyVarInfo) (*DummySpec, []Diagnostic) {
	c := &dummyChecker{file: file}
	spec := &DummySpec{Variables: map[string]DummyVariable{}}
	doc := ParseYAML(text)
	for _, e := range doc.Errors {
		c.add(CodeDummySyntax, e.Range, e.Message)
	}
	root := doc.Root
	if root.IsNull() {
		return spec, c.diags
	}
	if root.Kind != KindMapping {
		c.add(CodeDummyValue, root.Range, "the file must be a mapping with a `variables` key")
		return spec, c.diags
	}
	c.unknownKeys(root, dummyTopKeys, "at the top level")
	vp := root.Get("variables")
	if vp == nil || vp.Value.IsNull() {
		return spec, c.diags
	}
	if vp.Value.Kind != KindMapping {
		c.add(CodeDummyValue, vp.Value.Range, "`variables` must map variable names to their expected distributions")
		return spec, c.diags
	}
	byName := map[string]DummyVarInfo{}
	var names []string
	for _, v := range vars {
		byName[v.Name] = v
		names = append(names, v.Name)
	}
	seen := map[string]bool{}
	for _, p := range vp.Value.Pairs {
		name := p.Key.Value
		if seen[name] {
			c.add(CodeDummyValue, p.Key.Range, fmt.Sprintf("`%s` is listed twice", name))
			continue
		}
		seen[name] = true
		info, known := byName[name]
		if vars != nil && !known {
			msg := fmt.Sprintf("the dataset has no variable `%s`", name)
			var fixes []Fix
			if s := suggest(name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean `%s`?)", s)
				fixes = []Fix{{Title: "Change to " + s, Edits: []TextEdit{{Range: p.Key.Range, NewText: s}}}}
			}
			c.diags = append(c.diags, Diagnostic{File: file, Range: p.Key.Range, Severity: CodeDummyUnknownVariable.Severity, Code: CodeDummyUnknownVariable.ID, Message: msg, Fixes: fixes})
		}
		if !known {
			info = DummyVarInfo{Name: name, Type: qm.TUnknown}
		}
		if v, ok := c.variable(p, info); ok {
			spec.Variables[name] = v
		}
	}
	return spec, c.diags
}

type dummyChecker struct {
	file  string
	diags []Diagnostic
}

func (c *dummyChecker) add(code Code, r Range, msg string) {
	c.diags = append(c.diags, Diagnostic{File: c.file, Range: r, Severity: code.Severity, Code: code.ID, Message: msg})
}

func (c *dummyChecker) unknownKeys(m *Node, allowed []string, where string) {
	for _, p := range m.Pairs {
		k := p.Key.Value
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if ok {
			continue
		}
		msg := fmt.Sprintf("unknown key `%s` %s", k, where)
		var fixes []Fix
		if s := suggest(k, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean `%s`?)", s)
			fixes = []Fix{{Title: "Change to " + s, Edits: []TextEdit{{Range: p.Key.Range, NewText: s}}}}
		} else {
			msg += "; expected one of " + strings.Join(allowed, ", ")
		}
		c.diags = append(c.diags, Diagnostic{File: c.file, Range: p.Key.Range, Severity: CodeDummyUnknownKey.Severity, Code: CodeDummyUnknownKey.ID, Message: msg, Fixes: fixes})
	}
}

// number reads a numeric scalar.
func (c *dummyChecker) number(n *Node, what string) (float64, bool) {
	if n.Kind == KindScalar && (n.Tag == "int" || n.Tag == "float") {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	c.add(CodeDummyValue, n.Range, fmt.Sprintf("%s must be a number", what))
	return 0, false
}

func (c *dummyChecker) proportion(n *Node, what string) (*float64, bool) {
	f, ok := c.number(n, what)
	if !ok {
		return nil, false
	}
	if f < 0 || f > 1 {
		c.add(CodeDummyValue, n.Range, fmt.Sprintf("%s must be between 0 and 1 (a share of patients), not %s", what, n.Value))
		return nil, false
	}
	return &f, true
}

func (c *dummyChecker) variable(p *Pair, info DummyVarInfo) (DummyVariable, bool) {
	var v DummyVariable
	m := p.Value
	if m.IsNull() {
		return v, false
	}
	if m.Kind != KindMapping {
		c.add(CodeDummyValue, m.Range, fmt.Sprintf("the expectations of `%s` must be a mapping of %s", info.Name, strings.Join(dummyVarKeys, ", ")))
		return v, false
	}
	c.unknownKeys(m, dummyVarKeys, "for a variable")
	good := true
	for _, kp := range m.Pairs {
		key := kp.Key.Value
		if !dummyKeyFits(key, info.Type) {
			c.add(CodeDummyWrongKind, kp.Key.Range, fmt.Sprintf("`%s` does not apply to `%s`, a %s variable; %s", key, info.Name, info.Type.Kind, dummyKindHint(info.Type)))
			good = false
			continue
		}
		val := kp.Value
		switch key {
		case "null_proportion":
			v.NullProportion, good = c.proportion(val, "null_proportion")
		case "true_proportion":
			v.TrueProportion, good = c.proportion(val, "true_proportion")
		case "categories":
			v.Categories, good = c.categories(val, info)
		case "distribution":
			v.Distribution, good = c.distribution(val, info)
		case "dates":
			v.Dates, good = c.dates(val)
		default:
			continue
		}
		if !good {
			return v, false
		}
	}
	if v.NullProportion != nil && v.TrueProportion != nil && *v.NullProportion+*v.TrueProportion > 1+1e-9 {
		c.add(CodeDummyValue, m.Range, fmt.Sprintf("null_proportion and true_proportion of `%s` add up to more than 1", info.Name))
		return v, false
	}
	return v, true
}

func dummyKindHint(t qm.Type) string {
	switch t.Kind {
	case qm.Bool:
		return "use true_proportion and null_proportion"
	case qm.Str, qm.Code:
		return "use categories and null_proportion"
	case qm.Int:
		return "use distribution (or categories) and null_proportion"
	case qm.Float:
		return "use distribution and null_proportion"
	case qm.DateKind:
		return "use dates and null_proportion"
	}
	return "use null_proportion"
}

func (c *dummyChecker) categories(n *Node, info DummyVarInfo) (map[string]float64, bool) {
	if n.Kind != KindMapping || len(n.Pairs) == 0 {
		c.add(CodeDummyValue, n.Range, "categories must map each value to its weight, e.g. {female: 51, male: 49}")
		return nil, false
	}
	out := map[string]float64{}
	total := 0.0
	for _, p := range n.Pairs {
		w, ok := c.number(p.Value, fmt.Sprintf("the weight of `%s`", p.Key.Value))
		if !ok {
			return nil, false
		}
		if w < 0 {
			c.add(CodeDummyValue, p.Value.Range, "a weight cannot be negative")
			return nil, false
		}
		if info.Type.Kind == qm.Int {
			if _, err := strconv.ParseInt(p.Key.Value, 10, 64); err != nil {
				c.add(CodeDummyWrongKind, p.Key.Range, fmt.Sprintf("`%s` is an int variable; `%s` is not a whole number", info.Name, p.Key.Value))
				return nil, false
			}
		}
		if info.Categories != nil && !containsString(info.Categories, p.Key.Value) {
			c.add(CodeDummyUnknownCategory, p.Key.Range, fmt.Sprintf("`%s` is never `%s`: its values are %s", info.Name, p.Key.Value, strings.Join(info.Categories, ", ")))
			return nil, false
		}
		out[p.Key.Value] = w
		total += w
	}
	if total <= 0 {
		c.add(CodeDummyValue, n.Range, "the weights add up to 0")
		return nil, false
	}
	return out, true
}

func (c *dummyChecker) distribution(n *Node, info DummyVarInfo) (*DummyDistribution, bool) {
	if n.Kind != KindMapping {
		c.add(CodeDummyValue, n.Range, "distribution must be a mapping, e.g. {kind: normal, mean: 50, sd: 15}")
		return nil, false
	}
	c.unknownKeys(n, dummyDistKeys, "in a distribution")
	d := &DummyDistribution{}
	for _, p := range n.Pairs {
		if p.Key.Value == "kind" {
			d.Kind = p.Value.Value
			if !containsString(dummyDistKinds, d.Kind) {
				c.add(CodeDummyValue, p.Value.Range, fmt.Sprintf("unknown kind of distribution `%s`; use %s", d.Kind, strings.Join(dummyDistKinds, ", ")))
				return nil, false
			}
			continue
		}
		if !containsString(dummyDistKeys, p.Key.Value) {
			continue
		}
		f, ok := c.number(p.Value, p.Key.Value)
		if !ok {
			return nil, false
		}
		switch p.Key.Value {
		case "mean":
			d.Mean = &f
		case "sd":
			d.SD = &f
		case "min":
			d.Min = &f
		case "max":
			d.Max = &f
		}
	}
	missing := func(what string) (*DummyDistribution, bool) {
		c.add(CodeDummyValue, n.Range, fmt.Sprintf("a %s distribution needs %s", d.Kind, what))
		return nil, false
	}
	switch d.Kind {
	case "":
		return missing("a kind (normal, uniform or poisson)")
	case "normal":
		if d.Mean == nil || d.SD == nil {
			return missing("mean and sd")
		}
		if *d.SD <= 0 {
			c.add(CodeDummyValue, n.Range, "sd must be more than 0")
			return nil, false
		}
	case "uniform":
		if d.Min == nil || d.Max == nil {
			return missing("min and max")
		}
	case "poisson":
		if d.Mean == nil || *d.Mean <= 0 {
			return missing("a mean above 0")
		}
		if info.Type.Kind == qm.Float {
			c.add(CodeDummyWrongKind, n.Range, fmt.Sprintf("a poisson distribution makes whole numbers; `%s` is a float variable (use normal or uniform)", info.Name))
			return nil, false
		}
	}
	if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
		c.add(CodeDummyValue, n.Range, "min is more than max")
		return nil, false
	}
	return d, true
}

func (c *dummyChecker) dates(n *Node) (*DummyDates, bool) {
	if n.Kind != KindMapping {
		c.add(CodeDummyValue, n.Range, "dates must be a mapping, e.g. {from: 2020-01-01, to: 2022-12-31}")
		return nil, false
	}
	c.unknownKeys(n, dummyDateKeys, "in dates")
	d := &DummyDates{}
	var lo, hi qm.Date
	for _, p := range n.Pairs {
		if !containsString(dummyDateKeys, p.Key.Value) {
			continue
		}
		t, err := qm.ParseDate(p.Value.Value)
		if err != nil || p.Value.Kind != KindScalar {
			c.add(CodeDummyValue, p.Value.Range, fmt.Sprintf("%s must be a date, YYYY-MM-DD", p.Key.Value))
			return nil, false
		}
		if p.Key.Value == "from" {
			d.From, lo = t.String(), t
		} else {
			d.To, hi = t.String(), t
		}
	}
	if d.From == "" || d.To == "" {
		c.add(CodeDummyValue, n.Range, "dates needs both from and to")
		return nil, false
	}
	if hi.Before(lo) {
		c.add(CodeDummyValue, n.Range, "from is after to")
		return nil, false
	}
	return d, true
}

// DummySpecCompletions proposes what can be typed at offset in a sidecar file: the
// top-level key, the names of the dataset's variables not listed yet, the settings that fit
// a variable's type, the keys of a distribution or a date range, kinds of distribution, and
// a categorical variable's values.
func DummySpecCompletions(text []byte, offset int, vars []DummyVarInfo) []Completion {
	offset = max(0, min(offset, len(text)))
	lineStart := bytes.LastIndexByte(text[:offset], '\n') + 1
	line := string(text[lineStart:offset])
	indent := len(line) - len(strings.TrimLeft(line, " "))
	body := strings.TrimLeft(line, " -")
	var parents []string
	// Inside a flow mapping ({kind: normal, mean: ...}) the entry after the last { or , is
	// completed, below the key that opened it.
	if i := strings.LastIndexAny(body, "{,"); i >= 0 {
		head := body[:i]
		if j := strings.IndexByte(head, '{'); j >= 0 {
			head = head[:j]
		}
		body = strings.TrimLeft(body[i+1:], " ")
		parents = dummyParents(text, lineStart, indent+1)
		if k, _, ok := strings.Cut(head, ":"); ok {
			parents = append(parents, strings.TrimSpace(k))
		}
	} else {
		parents = dummyParents(text, lineStart, indent)
	}
	// After "kind:" the value is completed.
	if k, rest, ok := strings.Cut(body, ":"); ok {
		if strings.TrimSpace(k) != "kind" {
			return nil
		}
		typed := strings.TrimSpace(rest)
		r := Range{Start: offset - len(typed), End: offset}
		var out []Completion
		for _, kd := range dummyDistKinds {
			if strings.HasPrefix(kd, typed) {
				out = append(out, Completion{Label: kd, Kind: CompleteValue, Insert: kd, Replace: r})
			}
		}
		return out
	}
	return dummyKeyCompletions(parents, body, Range{Start: offset - len(body), End: offset}, vars, text)
}

// dummyParents lists the keys above a line, outermost first, found by indentation.
func dummyParents(text []byte, lineStart, indent int) []string {
	var out []string
	end := lineStart
	for end > 0 && indent > 0 {
		start := bytes.LastIndexByte(text[:end-1], '\n') + 1
		l := string(text[start : end-1])
		end = start
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		ind := len(l) - len(trimmed)
		if ind < indent {
			k, _, _ := strings.Cut(trimmed, ":")
			out = append([]string{strings.Trim(strings.TrimSpace(k), `"'`)}, out...)
			indent = ind
		}
		if start == 0 {
			break
		}
	}
	return out
}

func dummyKeyCompletions(parents []string, typed string, r Range, vars []DummyVarInfo, text []byte) []Completion {
	mk := func(labels []string, detail func(string) string) []Completion {
		var out []Completion
		for _, l := range labels {
			if !strings.HasPrefix(l, typed) {
				continue
			}
			c := Completion{Label: l, Kind: CompleteKey, Insert: l + ": ", Replace: r}
			if detail != nil {
				c.Detail = detail(l)
			}
			out = append(out, c)
		}
		return out
	}
	var info *DummyVarInfo
	if len(parents) >= 2 && parents[0] == "variables" {
		for i := range vars {
			if vars[i].Name == parents[1] {
				info = &vars[i]
			}
		}
	}
	switch {
	case len(parents) == 0:
		return mk(dummyTopKeys, func(string) string { return "expected distributions, by variable" })
	case len(parents) == 1 && parents[0] == "variables":
		listed := map[string]bool{}
		for _, l := range strings.Split(string(text), "\n") {
			if t := strings.TrimLeft(l, " "); len(l)-len(t) > 0 {
				k, _, _ := strings.Cut(t, ":")
				listed[strings.TrimSpace(k)] = true
			}
		}
		var names []string
		types := map[string]string{}
		for _, v := range vars {
			if !listed[v.Name] {
				names = append(names, v.Name)
				types[v.Name] = v.Type.Kind.String() + " variable"
			}
		}
		out := mk(names, func(n string) string { return types[n] })
		for i := range out {
			out[i].Insert = out[i].Label + ":\n"
		}
		return out
	case len(parents) == 2 && parents[0] == "variables":
		t := qm.TUnknown
		if info != nil {
			t = info.Type
		}
		var keys []string
		for _, k := range dummyVarKeys {
			if dummyKeyFits(k, t) {
				keys = append(keys, k)
			}
		}
		return mk(keys, dummyKeyDetail)
	case len(parents) == 3 && parents[2] == "distribution":
		return mk(dummyDistKeys, nil)
	case len(parents) == 3 && parents[2] == "dates":
		return mk(dummyDateKeys, func(string) string { return "YYYY-MM-DD" })
	case len(parents) == 3 && parents[2] == "categories" && info != nil:
		cats := append([]string(nil), info.Categories...)
		sort.Strings(cats)
		return mk(cats, func(string) string { return "weight" })
	}
	return nil
}

func dummyKeyDetail(k string) string {
	switch k {
	case "null_proportion":
		return "share of patients with NULL (0 to 1)"
	case "true_proportion":
		return "share of patients with True (0 to 1)"
	case "categories":
		return "weight of each value"
	case "distribution":
		return "normal, uniform or poisson"
	case "dates":
		return "from and to"
	}
	return ""
}
