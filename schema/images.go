package schema

import "slices"

// Image describes a built-in OpenSAFELY image usable as the first word of
// `run:`. Any other name is treated as a reusable action.
type Image struct {
	Name        string    // "ehrql", "python", "r", "stata-mp", "jupyter", "sqlrunner", "cohortextractor", "databuilder"
	Tags        []string  // known tags, newest last; "latest" (an alias of v1) sorts first where it exists
	Recommended string    // the tag to suggest, e.g. "v2" for python, "v1" for ehrql
	Doc         string    // markdown: what the image runs and how its arguments are read
	Production  bool      // allowed by the production job-runner
	Deprecated  string    // non-empty reason when the image should no longer be used
	Commands    []Command // subcommands worth completing (first argument after the image)
	Flags       []Flag    // options taken directly after the image, for images without subcommands (sqlrunner)
}

// Command is a subcommand of a built-in image, such as ehrQL's
// generate-dataset.
type Command struct {
	Name  string // as written after the image, e.g. "generate-dataset"
	Doc   string // markdown, shown on hover and in completion details
	DB    bool   // the command reads the database, so it gets real data on the server
	Flags []Flag // options worth completing
}

// Flag is a command-line option of a command or reusable action.
type Flag struct {
	Name       string // with its dashes, e.g. "--output" or "--df_input"
	Doc        string // markdown
	TakesValue bool   // the option is followed by a value (or written --name=value)
}

// HasTag reports whether tag is one of the image's known tags.
func (img Image) HasTag(tag string) bool {
	for _, t := range img.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// LookupCommand finds a subcommand of the image by exact name.
func (img Image) LookupCommand(name string) (Command, bool) {
	for _, c := range img.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// DBAction reports whether running the image with these arguments (the
// words after `image:tag`) reads the database. sqlrunner always does;
// ehrql, cohortextractor and databuilder do when their first argument is a
// database command; nothing else does. Only the first argument is looked
// at, as the runners do.
func (img Image) DBAction(args []string) bool {
	if img.Name == "sqlrunner" {
		return true
	}
	if len(args) == 0 {
		return false
	}
	c, ok := img.LookupCommand(args[0])
	return ok && c.DB
}

var (
	flagOutput = Flag{
		Name:       "--output",
		Doc:        "Where to write the results. The path must also be declared under `outputs`.",
		TakesValue: true,
	}
	flagDummyDataFile = Flag{
		Name: "--dummy-data-file",
		Doc: "Use this ready-made file as the dummy output when running locally, instead of " +
			"generating dummy data. Ignored on the real server.",
		TakesValue: true,
	}
	flagDummyTables = Flag{
		Name: "--dummy-tables",
		Doc: "A folder of dummy tables (one file per table) to run the query against locally. " +
			"`create-dummy-tables` writes a starting set. Ignored on the real server.",
		TakesValue: true,
	}
)

// images is the built-in image catalogue, in the order Images returns it.
var images = []Image{
	{
		Name:        "ehrql",
		Tags:        []string{"v0", "v1"},
		Recommended: "v1",
		Production:  true,
		Doc: "ehrQL, OpenSAFELY's query language for electronic health records. The first " +
			"argument is a subcommand, usually `generate-dataset` or `generate-measures`, " +
			"followed by the definition file:\n\n" +
			"`ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.arrow`\n\n" +
			"Locally no database is available, so ehrQL writes dummy data. Arguments after `--` " +
			"are passed to the definition (read them with `get_parameter`).",
		Commands: []Command{
			{
				Name: "generate-dataset",
				Doc: "Runs a dataset definition and writes one row per patient. Pass `--output` with a " +
					"`.arrow`, `.csv` or `.csv.gz` file (or `dir/:arrow` for several tables) and " +
					"declare that path under `highly_sensitive`.",
				DB: true,
				Flags: []Flag{
					flagOutput, flagDummyDataFile, flagDummyTables,
					{
						Name:       "--test-data-file",
						Doc:        "A Python file with assurance tests (`test_data`) to check before running.",
						TakesValue: true,
					},
				},
			},
			{
				Name: "generate-measures",
				Doc: "Runs a measures definition and writes aggregate counts per interval. " +
					"Small numbers are suppressed and counts rounded by default; the output is " +
					"usually a `moderately_sensitive` CSV.",
				DB:    true,
				Flags: []Flag{flagOutput, flagDummyDataFile, flagDummyTables},
			},
			{
				Name: "create-dummy-tables",
				Doc: "Writes the dummy tables a definition would be evaluated against, as a " +
					"starting point for hand-edited `--dummy-tables`. Takes the definition and an " +
					"output folder (`dir` for CSV, `dir:arrow` for Arrow).",
			},
			{
				Name: "assure",
				Doc:  "Runs the assurance tests in a `test_data` file against the dataset definition.",
			},
			{
				Name:  "dump-dataset-sql",
				Doc:   "Prints the SQL a dataset definition would run, without running it.",
				Flags: []Flag{flagOutput},
			},
			{
				Name: "debug",
				Doc: "Evaluates a definition against dummy tables and prints the values passed to " +
					"`show()`. Meant for interactive use with `opensafely exec`.",
				Flags: []Flag{
					flagDummyTables,
					{Name: "--display-format", Doc: "How `show()` prints tables: `ascii` or `html`.", TakesValue: true},
				},
			},
			{
				Name: "dump-example-data",
				Doc:  "Copies a small set of example tables into the current folder, for trying ehrQL out.",
			},
		},
	},
	{
		Name:        "python",
		Tags:        []string{"latest", "v1", "v2"},
		Recommended: "v2",
		Production:  true,
		Doc: "Python with the OpenSAFELY analysis libraries (pandas, numpy, matplotlib, ...). " +
			"Give the script to run, with or without the interpreter's name:\n\n" +
			"`python:v2 python analysis/process.py` or `python:v2 analysis/process.py`\n\n" +
			"`v2` is current; `latest` means `v1`, not the newest version.",
		Commands: []Command{
			{Name: "python", Doc: "The Python interpreter; follow it with a script path or `-m module`."},
		},
	},
	{
		Name:        "r",
		Tags:        []string{"latest", "v1", "v2"},
		Recommended: "v2",
		Production:  true,
		Doc: "R with the packages OpenSAFELY provides. The first argument is the script, which " +
			"the image runs with Rscript:\n\n`r:v2 analysis/model.R`\n\n" +
			"`v2` is current; `latest` means `v1`, not the newest version.",
	},
	{
		Name:        "stata-mp",
		Tags:        []string{"latest", "v1"},
		Recommended: "v1",
		Production:  true,
		Doc: "Stata MP. The first argument is the do-file to run:\n\n`stata-mp:v1 analysis/model.do`\n\n" +
			"Running it locally needs a Stata licence. `latest` means `v1`.",
	},
	{
		Name:        "jupyter",
		Tags:        []string{"latest", "v1"},
		Recommended: "v1",
		Production:  true,
		Doc: "Jupyter, for running notebooks non-interactively, for example:\n\n" +
			"`jupyter:v1 jupyter nbconvert /workspace/analysis/report.ipynb --execute --to html " +
			"--output-dir=/workspace/output`\n\n`/workspace` is the repository root inside the " +
			"container. `latest` means `v1`.",
		Commands: []Command{
			{Name: "jupyter", Doc: "The Jupyter command line; `nbconvert --execute` runs a notebook and saves the result."},
		},
	},
	{
		Name:        "sqlrunner",
		Tags:        []string{"latest", "v1"},
		Recommended: "v1",
		Production:  true,
		Doc: "Runs one SQL query file against the database and writes the rows as CSV:\n\n" +
			"`sqlrunner:v1 analysis/query.sql --output output/rows.csv`\n\n" +
			"Every sqlrunner action reads the database, and on the jobs site a project needs " +
			"special permission to use it. Locally it writes `--dummy-data-file` (or an empty " +
			"table) instead.",
		Flags: []Flag{
			{Name: "--output", Doc: "The CSV file to write (`.csv` or `.csv.gz`). Declare it under `outputs`.", TakesValue: true},
			{Name: "--dummy-data-file", Doc: "A CSV to copy to `--output` when running locally, instead of querying.", TakesValue: true},
			{Name: "--log-file", Doc: "Also write the log to this file.", TakesValue: true},
		},
	},
	{
		Name:        "cohortextractor",
		Tags:        []string{"latest"},
		Recommended: "latest",
		Deprecated: "cohort-extractor has been replaced by ehrQL: it can no longer run on OpenSAFELY, " +
			"and project versions 4 and later reject it. Rewrite the study definition in ehrQL " +
			"(`ehrql:v1`).",
		Doc: "cohort-extractor, the study-definition tool that ehrQL replaced:\n\n" +
			"`cohortextractor:latest generate_cohort --study-definition study_definition`",
		Commands: []Command{
			{
				Name: "generate_cohort",
				Doc:  "Extracts a cohort from a study definition (dummy data when run locally).",
				DB:   true,
				Flags: []Flag{
					{Name: "--study-definition", Doc: "The study definition module in `analysis/` (without `.py`).", TakesValue: true},
					{Name: "--index-date-range", Doc: "Extract once per date, e.g. `\"2021-01-01 to 2021-06-30 by month\"`.", TakesValue: true},
					{Name: "--output-dir", Doc: "The folder to write the cohort files to.", TakesValue: true},
					{Name: "--output-format", Doc: "The file format, for example `csv.gz` or `feather`.", TakesValue: true},
					{Name: "--output-file", Doc: "A single output file name.", TakesValue: true},
					{Name: "--param", Doc: "A `key=value` parameter for the study definition.", TakesValue: true},
					{Name: "--skip-existing", Doc: "Skip index dates whose output already exists."},
				},
			},
			{
				Name: "generate_measures",
				Doc:  "Computes the measures of a study definition from already extracted cohorts.",
				Flags: []Flag{
					{Name: "--study-definition", Doc: "The study definition module in `analysis/` (without `.py`).", TakesValue: true},
					{Name: "--output-dir", Doc: "The folder holding the cohorts and receiving the measures.", TakesValue: true},
					{Name: "--skip-existing", Doc: "Skip measures whose output already exists."},
				},
			},
			{
				Name: "generate_codelist_report",
				Doc:  "Reports how often the codes of a codelist occur in the database.",
				DB:   true,
			},
		},
	},
	{
		Name:        "databuilder",
		Tags:        []string{"v0", "latest"},
		Recommended: "v0",
		Deprecated: "databuilder is ehrQL's old name and is not available in production. " +
			"Use `ehrql:v1` instead.",
		Doc: "The early name of ehrQL:\n\n" +
			"`databuilder:v0 generate-dataset analysis/dataset_definition.py --output output/dataset.csv`",
		Commands: []Command{
			{
				Name:  "generate-dataset",
				Doc:   "Runs a dataset definition and writes one row per patient.",
				DB:    true,
				Flags: []Flag{flagOutput, flagDummyDataFile},
			},
		},
	},
}

// Images returns the built-in images in a stable order: ehrql first, the
// legacy images last. The slice is a copy; the images' own slices are
// shared and must not be modified.
func Images() []Image {
	return slices.Clone(images)
}

// LookupImage finds a built-in image by its exact name (no tag).
func LookupImage(name string) (Image, bool) {
	for _, img := range images {
		if img.Name == name {
			return img, true
		}
	}
	return Image{}, false
}
