package schema

import (
	"fmt"
	"slices"
)

// ReusableAction describes a registered reusable action: a repository in
// the opensafely-actions GitHub organisation that a `run:` line names
// instead of an image (`cox-ipw:v0.0.41 --df_input=...`). The runner
// replaces the name and tag with the action's own command and appends the
// user's arguments and `--config` JSON.
type ReusableAction struct {
	Name    string
	Tags    []string      // known release tags, oldest first
	Latest  string        // the newest release tag
	Runtime string        // the image the action runs in, e.g. "python:v2"
	Doc     string        // markdown: what the action does and how it is called
	Args    []Flag        // documented arguments (not necessarily complete)
	Config  *ConfigSchema // the keys `config:` may hold; nil when they are not known
}

// ConfigSchema lists the keys a reusable action reads from `config:`.
// When it is non-nil the action rejects keys that are not listed.
type ConfigSchema struct {
	Keys []ConfigKey
}

// ConfigKey documents one key of a reusable action's `config:`.
type ConfigKey struct {
	Name     string
	Type     string // "int", "string", "bool", "mapping", "list" or "any"
	Doc      string // markdown
	Required bool
	Enum     []string // allowed values when the key takes one of a fixed set of strings
}

// HasTag reports whether tag is a known release tag of the action.
func (a ReusableAction) HasTag(tag string) bool {
	return slices.Contains(a.Tags, tag)
}

// LookupKey finds a config key by name.
func (c *ConfigSchema) LookupKey(name string) (ConfigKey, bool) {
	if c == nil {
		return ConfigKey{}, false
	}
	for _, k := range c.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return ConfigKey{}, false
}

// patchTags returns v0.0.first ... v0.0.last, the tag series most actions use.
func patchTags(first, last int) []string {
	tags := make([]string, 0, last-first+1)
	for i := first; i <= last; i++ {
		tags = append(tags, fmt.Sprintf("v0.0.%d", i))
	}
	return tags
}

// valueFlags builds flags written as --name=value from their names and docs.
func valueFlags(pairs ...string) []Flag {
	flags := make([]Flag, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		flags = append(flags, Flag{Name: pairs[i], Doc: pairs[i+1], TakesValue: true})
	}
	return flags
}

// reusableActions is the catalogue, in alphabetical order. Tags were read
// from the actions' repositories (junk tags such as "vnull" left out); the
// runtimes come from each action's action.yaml.
var reusableActions = []ReusableAction{
	{
		Name:    "cohort-joiner",
		Tags:    patchTags(1, 58),
		Latest:  "v0.0.58",
		Runtime: "python:latest",
		Doc: "Left-joins several cohort files (for example monthly extracts) to one cohort of " +
			"variables that do not change, writing the joined files to a new folder. Written for " +
			"cohort-extractor outputs.",
		Args: valueFlags(
			"--lhs", "Glob of the left-hand cohort files, e.g. `output/input_2021-*.csv`.",
			"--rhs", "The right-hand cohort file joined to each of them.",
			"--output-dir", "The folder to write the joined files to (same file names as `--lhs`).",
		),
	},
	{
		Name:    "cohort-report",
		Tags:    []string{"v2.0.0", "v2.0.1", "v2.0.2", "v2.1.0", "v3.0.0"},
		Latest:  "v3.0.0",
		Runtime: "python:latest",
		Doc: "Writes an HTML report with a table and a chart for each variable of the input " +
			"files given as arguments (`cohort-report:v3.0.0 output/input.csv`). `config` takes " +
			"`variable_types` (needed for CSV input) and `output_path`. The tables are not " +
			"disclosure-safe; check them before release.",
	},
	{
		Name:    "cox-ipw",
		Tags:    patchTags(1, 41),
		Latest:  "v0.0.41",
		Runtime: "r:v2",
		Doc: "Fits a Cox model, optionally after sampling controls and applying inverse " +
			"probability weights. Options are given as `--name=value` arguments or under `config` " +
			"(config wins). Besides `df_output` it writes `args-<df_output>`, a record of the " +
			"options; declare both.",
		Args: valueFlags(
			"--df_input", "Input dataset in `output/` (csv, csv.gz, rds, arrow or feather).",
			"--ipw", "TRUE/FALSE: sample and apply inverse probability weights.",
			"--sample_exposed", "TRUE/FALSE: also sample exposed individuals.",
			"--exposure", "Name of the exposure date variable.",
			"--outcome", "Name of the outcome date variable.",
			"--strata", "Semicolon-separated strata variables.",
			"--covariate_sex", "Sex covariate, or NULL to leave it out.",
			"--covariate_age", "Age covariate, or NULL to leave it out.",
			"--covariate_other", "Semicolon-separated other covariates (or a .txt file listing them), or NULL.",
			"--cox_start", "Variable(s) defining the start of follow-up.",
			"--cox_stop", "Variable(s) defining the end of follow-up.",
			"--study_start", "Study start date, YYYY-MM-DD.",
			"--study_stop", "Study end date, YYYY-MM-DD.",
			"--cut_points", "Semicolon-separated cut points for time since exposure.",
			"--controls_per_case", "Number of controls kept per case.",
			"--total_event_threshold", "Events needed for any model to run.",
			"--episode_event_threshold", "Events needed per time period before periods are merged.",
			"--covariate_threshold", "Minimum people per covariate level for the covariate to be kept.",
			"--age_spline", "TRUE/FALSE: model age as a spline.",
			"--df_output", "Output CSV name in `output/`.",
			"--seed", "Random seed for sampling.",
			"--save_analysis_ready", "Also save the analysis-ready data as this Stata file.",
			"--run_analysis", "TRUE/FALSE: fit the model.",
		),
	},
	{
		Name:    "dataset-report",
		Tags:    patchTags(1, 29),
		Latest:  "v0.0.29",
		Runtime: "python:latest",
		Doc: "Writes a self-contained HTML report for each input dataset, named like the dataset " +
			"with an `.html` extension. Counts are rounded and small ones redacted.",
		Args: valueFlags(
			"--input-files", "Glob of the dataset files to report on.",
			"--output-dir", "The folder to write the reports to.",
		),
	},
	{
		Name:    "deciles-charts",
		Tags:    patchTags(1, 47),
		Latest:  "v0.0.47",
		Runtime: "python:latest",
		Doc: "Draws a deciles chart (and table) for each measure table: " +
			"`deciles_chart_<measure>.png` and `deciles_table_<measure>.csv` in the output " +
			"folder. `config` may set `show_outer_percentiles`, `tables.output` and " +
			"`charts.output`.",
		Args: valueFlags(
			"--input-files", "Glob of the measure tables, e.g. `output/measure_*.csv`.",
			"--output-dir", "The folder to write the charts and tables to.",
		),
	},
	{
		Name:    "demographic-standardisation",
		Tags:    []string{"v0.0.1"},
		Latest:  "v0.0.1",
		Runtime: "r:latest",
		Doc:     "Direct standardisation of event rates to a reference population. Its interface is not documented.",
	},
	{
		Name:    "diabetes-algo",
		Tags:    patchTags(1, 13),
		Latest:  "v0.0.13",
		Runtime: "r:v2",
		Doc: "Applies the diabetes adjudication algorithm to a dataset, deriving the diabetes type " +
			"(`cat_diabetes`) and a diagnosis date for each type. Each input variable is mapped " +
			"with a `--name=value` argument.",
		Args: valueFlags(
			"--df_input", "Input dataset in `output/` (csv, csv.gz, rds, arrow or feather).",
			"--remove_helper", "TRUE/FALSE: drop the helper (`tmp_`, `step_`) variables.",
			"--birth_date", "Birth date variable.",
			"--ethnicity_cat", "Ethnicity variable (6 categories).",
			"--t1dm_date", "First type 1 diabetes diagnosis date (primary and secondary care).",
			"--tmp_t1dm_primarycare_date", "First type 1 diagnosis date in primary care.",
			"--tmp_t1dm_count_num", "Count of type 1 diagnosis codes.",
			"--t2dm_date", "First type 2 diabetes diagnosis date (primary and secondary care).",
			"--tmp_t2dm_primarycare_date", "First type 2 diagnosis date in primary care.",
			"--tmp_t2dm_count_num", "Count of type 2 diagnosis codes.",
			"--otherdm_date", "First other or unspecified diabetes diagnosis date.",
			"--tmp_otherdm_count_num", "Count of other or unspecified diabetes codes.",
			"--gestationaldm_date", "First gestational diabetes diagnosis date.",
			"--tmp_poccdm_date", "First non-diagnostic diabetes code date.",
			"--tmp_poccdm_primarycare_count_num", "Count of non-diagnostic diabetes codes.",
			"--tmp_max_hba1c_mmol_mol_num", "Highest HbA1c value (mmol/mol).",
			"--tmp_max_hba1c_date", "Date of the highest HbA1c value.",
			"--tmp_insulin_dmd_date", "First insulin prescription date.",
			"--tmp_antidiabetic_drugs_dmd_date", "First non-insulin antidiabetic prescription date.",
			"--tmp_nonmetform_drugs_dmd_date", "First antidiabetic prescription date other than insulin or metformin.",
			"--tmp_diabetes_medication_date", "First antidiabetic prescription date of any kind.",
			"--tmp_first_diabetes_diag_date", "First diabetes diagnosis date of any kind.",
			"--gestationaldm_date_sources", "Comma-separated dates that define the gestational diabetes date.",
			"--t1dm_date_sources", "Comma-separated dates that define the type 1 date.",
			"--t2dm_date_sources", "Comma-separated dates that define the type 2 date.",
			"--otherdm_date_sources", "Comma-separated dates that define the other diabetes date.",
			"--df_output", "Output dataset in `output/` (csv.gz or rds).",
		),
	},
	{
		Name:    "kaplan-meier-function",
		Tags:    patchTags(1, 18),
		Latest:  "v0.0.18",
		Runtime: "r:v2",
		Doc: "Estimates cumulative incidence with the Kaplan-Meier method, optionally by exposure " +
			"and subgroups, with rounding for disclosure control (experimental). Arguments are " +
			"written `--name=value`.",
		Args: valueFlags(
			"--df_input", "Input dataset (.arrow).",
			"--dir_output", "Folder for the outputs.",
			"--exposure", "Binary exposure variable to stratify by.",
			"--subgroups", "Subgroup variables, separated by `-`.",
			"--origin_date", "Variable holding the start of follow-up.",
			"--event_date", "Variable holding the event date.",
			"--censor_date", "Variable holding the censoring date.",
			"--weight", "Variable holding weights.",
			"--min_count", "Minimum event and censor count per step (default 6).",
			"--method", "Interpolation after rounding: `constant` or `linear`.",
			"--max_fup", "Maximum follow-up time (days for dates).",
			"--smooth", "TRUE/FALSE: smooth the estimates.",
			"--smooth_df", "Degrees of freedom for smoothing.",
			"--concise", "TRUE/FALSE: report only the core columns.",
			"--plot", "TRUE/FALSE: also draw plots.",
			"--contrast", "TRUE/FALSE: compare the exposure groups.",
			"--filename_suffix", "Text appended to every output file name.",
		),
	},
	{
		Name: "matching",
		Tags: []string{
			"v0.1.1", "v0.1.2", "v0.2.0", "v0.2.1", "v0.2.2", "v0.2.3", "v0.2.4", "v0.2.5", "v0.2.6",
			"v1.0.0", "v1.1.0", "v1.2.0", "v1.2.1", "v1.2.2", "v1.2.3", "v1.2.4",
		},
		Latest:  "v1.2.4",
		Runtime: "python:v2",
		Doc: "Matches each case to controls on categorical and scalar variables, without " +
			"replacement. Writes `matched_cases`, `matched_matches` and `matched_combined` " +
			"(in `output_path`, default `output`, format `arrow` unless changed) and " +
			"`matching_report.txt`. The settings go under `config` (or in a JSON file produced " +
			"by an earlier action, passed with `--config-file`). Study files are not visible to " +
			"the action: its inputs must be outputs of actions in `needs`.",
		Args: []Flag{
			{Name: "--cases", Doc: "The cases dataset (.csv, .csv.gz or .arrow, with `patient_id`).", TakesValue: true},
			{Name: "--controls", Doc: "The dataset to draw matches from.", TakesValue: true},
			{Name: "--config-file", Doc: "A JSON file with the settings, instead of `config`.", TakesValue: true},
			{Name: "--output-format", Doc: "`arrow`, `csv.gz` or `csv`; overrides `output_format`.", TakesValue: true},
		},
		Config: &ConfigSchema{Keys: []ConfigKey{
			{Name: "matches_per_case", Type: "int", Required: true,
				Doc: "How many matches to find for each case."},
			{Name: "match_variables", Type: "mapping", Required: true,
				Doc: "Variables to match on, each mapped to `category`, `month_only` or a whole " +
					"number giving the allowed difference (0 for an exact match)."},
			{Name: "index_date_variable", Type: "string", Required: true,
				Doc: "The column holding each case's index date (YYYY-MM-DD)."},
			{Name: "closest_match_variables", Type: "list",
				Doc: "Variables on which to prefer the closest match, highest priority first."},
			{Name: "date_exclusion_variables", Type: "mapping",
				Doc: "Date variables mapped to `before` or `after`: exclude patients with such a " +
					"date before or after the index date."},
			{Name: "min_matches_per_case", Type: "int",
				Doc: "Drop cases with fewer matches than this (default 0; at most `matches_per_case`)."},
			{Name: "generate_match_index_date", Type: "string",
				Doc: "Give matches the index date of their case: `no_offset`, or an offset such as " +
					"`1_year_earlier` (`<n>_<year|month|day>_<earlier|later>`)."},
			{Name: "indicator_variable_name", Type: "string",
				Doc: "Name of the 0/1 column marking cases (default `case`)."},
			{Name: "output_suffix", Type: "string",
				Doc: "Text added to the output file names, to keep several matchings apart."},
			{Name: "output_path", Type: "string",
				Doc: "Folder for the outputs (default `output`)."},
			{Name: "output_format", Type: "string", Enum: []string{"arrow", "csv.gz", "csv"},
				Doc: "Format of the matched datasets (default `arrow`)."},
			{Name: "drop_cases_from_matches", Type: "bool",
				Doc: "Remove the cases' patient ids from the controls before matching."},
		}},
	},
	{
		Name:    "project-dag",
		Tags:    []string{"v0.0.1"},
		Latest:  "v0.0.1",
		Runtime: "python:v2",
		Doc:     "Draws the project's actions and their `needs` as a Mermaid diagram in a markdown file.",
		Args: valueFlags(
			"--yaml-path", "The project file to read (default `project.yaml`).",
			"--output-path", "The markdown file to write (default `project.dag.md`).",
		),
	},
	{
		Name:    "safetab",
		Tags:    []string{"v1.0", "v2.0", "v3.0.0", "v3.0.1", "v3.0.2"},
		Latest:  "v3.0.2",
		Runtime: "python:latest",
		Doc: "Writes two-way tables of an input file with small-number suppression. `config` " +
			"takes `output_path`, `redaction_limit` (default 5, below today's threshold) and " +
			"`tables`.",
	},
}

// ReusableActions returns the known reusable actions in alphabetical order.
// The slice is a copy; the actions' own slices are shared and must not be
// modified.
func ReusableActions() []ReusableAction {
	return slices.Clone(reusableActions)
}

// LookupReusableAction finds a reusable action by its exact name.
func LookupReusableAction(name string) (ReusableAction, bool) {
	for _, a := range reusableActions {
		if a.Name == name {
			return a, true
		}
	}
	return ReusableAction{}, false
}
