package schema

// KeyDoc documents one key of project.yaml.
type KeyDoc struct {
	Key      string // the key as written in the file, e.g. "needs"; "*" for a user-chosen name
	Doc      string // markdown, a few sentences, shown on hover and copied into the JSON Schema
	Snippet  string // LSP snippet text inserted on completion, e.g. "needs: [$1]"
	Required bool   // the pipeline rejects the enclosing mapping without this key
}

// keyEntry places a KeyDoc in the tree of project.yaml. Path is the full
// path of the key, with "*" standing for any action id or output name.
type keyEntry struct {
	path []string
	doc  KeyDoc
}

// keyTable is the single list of project.yaml keys. Keys, Doc and the JSON
// Schema generator all read it; the order within a mapping is the order in
// which completion offers the keys.
var keyTable = []keyEntry{
	// Top level.
	{[]string{"version"}, KeyDoc{
		Key: "version",
		Doc: "The project.yaml format version, currently **5**. It may be written as a number or a " +
			"quoted string (`'5.0'`). The version switches rules on and off: 3 requires an " +
			"`expectations` section, 4 drops cohort-extractor and `expectations`, and 5 forbids " +
			"`:latest` image tags and an action named `run_all`.",
		Snippet:  "version: '${1:5.0}'",
		Required: true,
	}},
	{[]string{"actions"}, KeyDoc{
		Key: "actions",
		Doc: "The steps of the study, as a mapping from action name to action. Each action runs one " +
			"command in an OpenSAFELY image and declares the files it produces. Run one with " +
			"`opensafely run <name>`, or every action with `opensafely run run_all`.",
		Snippet:  "actions:\n  ${1:action_name}:\n    run: ${2:python:v2 python analysis/script.py}\n    outputs:\n      ${3:moderately_sensitive}:\n        ${4:name}: ${5:output/file.csv}",
		Required: true,
	}},
	{[]string{"expectations"}, KeyDoc{
		Key: "expectations",
		Doc: "Settings for cohort-extractor's dummy data. Required (with `population_size`) when " +
			"`version` is exactly 3, ignored before that, and not allowed from version 4 on: ehrQL " +
			"configures dummy data in the dataset definition instead, so delete this section when " +
			"you upgrade.",
		Snippet: "expectations:\n  population_size: ${1:1000}",
	}},
	{[]string{"expectations", "population_size"}, KeyDoc{
		Key: "population_size",
		Doc: "How many dummy patients cohort-extractor generates when the study runs locally. A " +
			"whole number (a quoted whole number is accepted too).",
		Snippet:  "population_size: ${1:1000}",
		Required: true,
	}},

	// One action.
	{[]string{"actions", "*"}, KeyDoc{
		Key: "*",
		Doc: "An action: one command run in an OpenSAFELY image. Other actions refer to it by this " +
			"name in `needs`. Letters, digits and underscores are the safest characters, because " +
			"the name also becomes a log file name (`metadata/<name>.log`) and a command-line " +
			"argument.",
	}},
	{[]string{"actions", "*", "run"}, KeyDoc{
		Key: "run",
		Doc: "The command to run: an image with a version tag, then its arguments, for example " +
			"`ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow` " +
			"or `r:v2 analysis/model.R`. The tag is required (`:v1`, `:v2`, ...). A name that is " +
			"not a built-in image is looked up as a reusable action in opensafely-actions. The " +
			"value is split like a shell command line, so quote arguments that contain spaces.",
		Snippet:  "run: ${1:python:v2} ${2:python analysis/script.py}",
		Required: true,
	}},
	{[]string{"actions", "*", "needs"}, KeyDoc{
		Key: "needs",
		Doc: "The actions that must finish before this one, as a list of action names " +
			"(`needs: [a, b]` or one `- name` per line; never `needs: a b`). Their output files are " +
			"copied into this action's working directory; outputs of actions needed only " +
			"indirectly are not.",
		Snippet: "needs: [$1]",
	}},
	{[]string{"actions", "*", "outputs"}, KeyDoc{
		Key: "outputs",
		Doc: "The files this action produces, grouped by privacy level. Each entry is a name and a " +
			"path pattern relative to the repository root, in which `*` matches any run of " +
			"characters within one folder. Files the action writes but does not declare here are " +
			"thrown away, and a pattern that matches nothing fails the action.",
		Snippet:  "outputs:\n  ${1:moderately_sensitive}:\n    ${2:name}: ${3:output/file.csv}",
		Required: true,
	}},
	{[]string{"actions", "*", "config"}, KeyDoc{
		Key: "config",
		Doc: "Settings passed to the action as JSON: the runner appends `--config '<json>'` to the " +
			"command. Mostly used by reusable actions (for example `matching`); the pipeline does " +
			"not check what is inside.",
		Snippet: "config:\n  ${1:key}: ${2:value}",
	}},
	{[]string{"actions", "*", "dummy_data_file"}, KeyDoc{
		Key: "dummy_data_file",
		Doc: "A file of dummy data for cohort-extractor's `generate_cohort` when it runs locally. " +
			"It has no effect on any other action; ehrQL takes `--dummy-data-file` in `run` instead.",
		Snippet: "dummy_data_file: ${1:analysis/dummy_data.csv}",
	}},

	// Privacy levels.
	{[]string{"actions", "*", "outputs", "highly_sensitive"}, KeyDoc{
		Key: "highly_sensitive",
		Doc: "Patient-level or otherwise disclosive files. They stay on the secure server and are " +
			"never released; any file type is allowed. Datasets from ehrQL's `generate-dataset` " +
			"must be declared here.",
		Snippet: "highly_sensitive:\n  ${1:dataset}: ${2:output/dataset.arrow}",
	}},
	{[]string{"actions", "*", "outputs", "moderately_sensitive"}, KeyDoc{
		Key: "moderately_sensitive",
		Doc: "Aggregate results that may be released after output checking. They are copied to the " +
			"level 4 review area, so only these file types are allowed: `.csv`, `.jpg`, `.jpeg`, " +
			"`.png`, `.svg`, `.svgz`, `.html`, `.txt`, `.log`, `.json` and `.md`. Apply " +
			"disclosure control (rounding, suppression) before writing them.",
		Snippet: "moderately_sensitive:\n  ${1:table}: ${2:output/table.csv}",
	}},
	{[]string{"actions", "*", "outputs", "minimally_sensitive"}, KeyDoc{
		Key: "minimally_sensitive",
		Doc: "Accepted for compatibility, but the runners treat these files like " +
			"`highly_sensitive` ones: they are not copied to level 4 for release. Use " +
			"`moderately_sensitive` for files you want to review.",
		Snippet: "minimally_sensitive:\n  ${1:name}: ${2:output/file.csv}",
	}},
	{[]string{"actions", "*", "outputs", "*", "*"}, KeyDoc{
		Key: "*",
		Doc: "One declared output: a label of your choice and a path pattern relative to the " +
			"repository root. Use forward slashes, end the pattern in a file extension, and use " +
			"only `*` as a wildcard (it does not cross `/`). Paths may not be absolute, contain " +
			"`..` or `./`, or point into `metadata/`.",
	}},
}

// Keys returns the keys that may appear in the mapping at path, in the
// order completion should offer them. Paths name the mapping by its keys:
// nil or [] is the top level, ["expectations"] the expectations section,
// ["actions", "*"] any action and ["actions", "*", "outputs"] an action's
// outputs (whose keys are the privacy levels). An actual action id may be
// used in place of "*". Mappings whose keys are chosen by the user
// (["actions"], a privacy level, `config`) return nil.
func Keys(path []string) []KeyDoc {
	var keys []KeyDoc
	for _, e := range keyTable {
		if len(e.path) != len(path)+1 || e.doc.Key == "*" {
			continue
		}
		if pathMatches(e.path[:len(path)], path) {
			keys = append(keys, e.doc)
		}
	}
	return keys
}

// Doc returns the documentation of the key at path, for example
// ["actions", "*", "run"] or ["actions", "generate_dataset", "outputs",
// "highly_sensitive"]. Paths that end at a user-chosen name (an action id,
// an output name) return the generic documentation for such names, whose
// Key is "*".
func Doc(path []string) (KeyDoc, bool) {
	for _, e := range keyTable {
		if len(e.path) == len(path) && pathMatches(e.path, path) {
			return e.doc, true
		}
	}
	return KeyDoc{}, false
}

// pathMatches reports whether a concrete or wildcarded path matches a table
// path. A "*" in the table path matches any element; a "*" in the query
// matches only a "*" in the table.
func pathMatches(table, query []string) bool {
	for i := range table {
		if table[i] != "*" && table[i] != query[i] {
			return false
		}
	}
	return true
}
