package analysis

// Code describes one stable diagnostic code. The table below is the single list of codes:
// the README's table is checked against it, and every check refers to its entries.
type Code struct {
	ID       string   // stable code shown to users, e.g. "PY061"
	Name     string   // rule name from the spec, e.g. "needs.unknown"
	Severity Severity // usual severity (some rules depend on the project version)
	Summary  string   // one line for the README
}

// Project.yaml diagnostic codes.
var (
	CodeYAMLSyntax         = Code{"PY001", "yaml.syntax", SeverityError, "YAML syntax error (the rest of the file is still checked)"}
	CodeYAMLDuplicateKey   = Code{"PY002", "yaml.duplicate-key", SeverityError, "the same key appears twice in one mapping"}
	CodeProjectNotMapping  = Code{"PY003", "project.not-mapping", SeverityError, "the file is empty or not a mapping"}
	CodeProjectUnknownKey  = Code{"PY004", "project.unknown-key", SeverityError, "unknown top-level key (did you mean …?)"}
	CodeProjectKeyType     = Code{"PY005", "project.key-type", SeverityError, "a top-level key that is not a string"}
	CodeVersionMissing     = Code{"PY010", "version.missing", SeverityError, "no `version`"}
	CodeVersionNotNumber   = Code{"PY011", "version.not-number", SeverityError, "`version` is not a number"}
	CodeVersionTooNew      = Code{"PY012", "version.too-new", SeverityError, "`version` is newer than the latest (5)"}
	CodeVersionRange       = Code{"PY013", "version.range", SeverityError, "`version` below 1"}
	CodeVersionOld         = Code{"PY014", "version.old", SeverityWarning, "an old project format version (quick fix: update to 5 where valid)"}
	CodeVersionNonInteger  = Code{"PY015", "version.non-integer", SeverityWarning, "`version` is not a whole number"}
	CodeActionsType        = Code{"PY020", "actions.type", SeverityError, "`actions` missing or not a mapping"}
	CodeActionsEmpty       = Code{"PY021", "actions.empty", SeverityHint, "`actions` has no actions"}
	CodeReservedRunAll     = Code{"PY022", "action.reserved-run-all", SeverityError, "an action named `run_all` (error from version 5, warning before)"}
	CodeActionType         = Code{"PY023", "action.type", SeverityError, "an action or one of its keys has the wrong type"}
	CodeActionMissingRun   = Code{"PY024", "action.missing-run", SeverityError, "an action without `run`"}
	CodeActionMissingOut   = Code{"PY025", "action.missing-outputs", SeverityError, "an action without `outputs`"}
	CodeActionUnknownKey   = Code{"PY026", "action.unknown-key", SeverityError, "unknown key in an action (did you mean …?)"}
	CodeActionIDChars      = Code{"PY027", "action.id-chars", SeverityWarning, "an action id with spaces or characters unsafe in file names"}
	CodeActionIDType       = Code{"PY028", "action.id-type", SeverityWarning, "an action id that is not a string"}
	CodeRunEmpty           = Code{"PY030", "run.empty", SeverityError, "empty `run`"}
	CodeRunUnparseable     = Code{"PY031", "run.unparseable", SeverityError, "unbalanced quotes in `run`"}
	CodeRunVersionFormat   = Code{"PY032", "run.version-format", SeverityError, "the image has no valid `:vN` tag"}
	CodeRunLatestTag       = Code{"PY033", "run.latest-tag", SeverityError, "`:latest` tag (error from version 5, hint before; quick fix: pin)"}
	CodeRunCohortextractor = Code{"PY034", "run.cohortextractor", SeverityError, "cohort-extractor (error from version 4, warning before)"}
	CodeRunDuplicate       = Code{"PY035", "run.duplicate", SeverityError, "two actions with the same `run` command"}
	CodeImageUnknown       = Code{"PY036", "image.unknown", SeverityWarning, "neither a built-in image nor a known reusable action"}
	CodeImageDeprecated    = Code{"PY037", "image.deprecated", SeverityWarning, "a legacy image (databuilder)"}
	CodeImageUnknownTag    = Code{"PY038", "image.unknown-tag", SeverityWarning, "a tag that the image or reusable action does not have"}
	CodeRunDevTag          = Code{"PY039", "run.dev-tag", SeverityWarning, "`:dev` tag in a committed project"}
	CodeOutputsNone        = Code{"PY040", "outputs.none", SeverityError, "`outputs` names no privacy level"}
	CodeOutputsUnknownLvl  = Code{"PY041", "outputs.unknown-level", SeverityError, "unknown key in `outputs` (did you mean …?)"}
	CodeOutputsLevelType   = Code{"PY042", "outputs.level-type", SeverityError, "a privacy level that is not a mapping"}
	CodeOutputsPathType    = Code{"PY043", "outputs.path-type", SeverityError, "an output path that is not a string"}
	CodePathBackslash      = Code{"PY044", "outputs.path.backslash", SeverityError, "back slash in an output path"}
	CodePathWildcard       = Code{"PY045", "outputs.path.wildcard", SeverityError, "`**`, `?` or `[` in an output path"}
	CodePathExtension      = Code{"PY046", "outputs.path.extension", SeverityError, "an output path without a file type extension"}
	CodePathL4Type         = Code{"PY047", "outputs.path.l4-type", SeverityError, "a file type not allowed for moderately_sensitive outputs"}
	CodePathNotNormal      = Code{"PY048", "outputs.path.not-normal", SeverityError, "an output path not in standard form (`./`, `//`, `..`)"}
	CodePathParent         = Code{"PY049", "outputs.path.parent", SeverityError, "an output path starting with `..`"}
	CodePathMetadata       = Code{"PY050", "outputs.path.metadata", SeverityError, "an output path in `metadata/`"}
	CodePathAbsolute       = Code{"PY051", "outputs.path.absolute", SeverityError, "an absolute output path"}
	CodeOutputsDuplicate   = Code{"PY052", "outputs.duplicate", SeverityError, "the same output path declared twice (version 2 on)"}
	CodeOutputsEmpty       = Code{"PY053", "outputs.empty", SeverityWarning, "an action that declares no output files"}
	CodeOutputsMinimally   = Code{"PY054", "outputs.minimally-unused", SeverityHint, "minimally_sensitive outputs are never released"}
	CodeOutputsOverlap     = Code{"PY055", "outputs.overlap", SeverityHint, "output patterns of two unrelated actions overlap"}
	CodeOutputsCapturesDep = Code{"PY056", "outputs.captures-dependency", SeverityWarning, "an output pattern that also matches an output of a needed action"}
	CodeNeedsSpace         = Code{"PY060", "needs.space", SeverityError, "a `needs` entry with a space (use commas)"}
	CodeNeedsUnknown       = Code{"PY061", "needs.unknown", SeverityError, "`needs` names an action that does not exist (did you mean …?)"}
	CodeNeedsType          = Code{"PY062", "needs.type", SeverityError, "a `needs` entry that is not a string"}
	CodeNeedsCycle         = Code{"PY063", "needs.cycle", SeverityError, "a circular dependency in `needs`"}
	CodeNeedsDuplicate     = Code{"PY064", "needs.duplicate", SeverityHint, "the same action listed twice in `needs`"}
	CodeNeedsMissingInput  = Code{"PY065", "needs.missing-input", SeverityWarning, "`run` reads another action's output without needing it"}
	CodeNeedsTransitive    = Code{"PY066", "needs.transitive-input", SeverityWarning, "`run` reads an output of an action it needs only indirectly"}
	CodeEhrQLPrivacy       = Code{"PY070", "ehrql.privacy", SeverityError, "generate-dataset outputs must be highly_sensitive"}
	CodeEhrQLNoOutput      = Code{"PY071", "ehrql.no-output", SeverityError, "generate-dataset without `--output`"}
	CodeEhrQLOutputMatch   = Code{"PY072", "ehrql.output-mismatch", SeverityError, "`--output` not declared in `outputs` (quick fix: declare it)"}
	CodeEhrQLOutputFormat  = Code{"PY073", "ehrql.output-format", SeverityError, "`--output` with a file type ehrQL cannot write"}
	CodeFileMissing        = Code{"PY074", "file.missing", SeverityWarning, "a file named in `run` is not in the repository"}
	CodeDummyDataIgnored   = Code{"PY075", "dummy-data-file.ignored", SeverityWarning, "`dummy_data_file` has no effect on this action"}
	CodeCohortOneLevel     = Code{"PY080", "cohortextractor.one-level", SeverityError, "generate_cohort with more than one privacy level"}
	CodeCohortOneDir       = Code{"PY081", "cohortextractor.one-dir", SeverityError, "generate_cohort writing to several directories"}
	CodeExpectForbidden    = Code{"PY090", "expectations.forbidden", SeverityError, "`expectations` in version 4 or later (quick fix: remove)"}
	CodeExpectRequired     = Code{"PY091", "expectations.required", SeverityError, "no `expectations` in version 3"}
	CodeExpectType         = Code{"PY092", "expectations.type", SeverityError, "`expectations` is not a mapping"}
	CodeExpectPopSize      = Code{"PY093", "expectations.population-size", SeverityError, "`population_size` missing or not a whole number"}
	CodeExpectUnknownKey   = Code{"PY094", "expectations.unknown-key", SeverityError, "unknown key in `expectations`"}
	CodeReusableConfig     = Code{"PY100", "reusable.config", SeverityError, "a reusable action's `config` with an unknown, missing or mistyped key"}
	CodeSQLRunnerPolicy    = Code{"PY101", "jobserver.sqlrunner", SeverityHint, "sqlrunner needs a per-project permission on the jobs site"}
	CodeConfigBuiltin      = Code{"PY102", "config.builtin", SeverityInformation, "`config` on a built-in image is passed as `--config` JSON"}
)

// Dataset definition (ehrQL) diagnostic codes.
var (
	CodeEQUnknownName      = Code{"EQ001", "ehrql.unknown-name", SeverityError, "a name that the ehrQL module does not have (cannot import name …)"}
	CodeEQUnknownColumn    = Code{"EQ002", "ehrql.unknown-column", SeverityError, "a table or frame has no such column or method (did you mean …?)"}
	CodeEQUnknownMethod    = Code{"EQ003", "ehrql.unknown-method", SeverityError, "a series has no such method or property (did you mean …?)"}
	CodeEQSyntax           = Code{"EQ000", "python.syntax", SeverityError, "a Python syntax error in a dataset definition or a module it imports"}
	CodeEQOtherVersion     = Code{"EQ004", "ehrql.other-version", SeverityError, "a name that exists only in the other ehrQL version (v0 or v1) than the action's image"}
	CodeEQNotPatientLevel  = Code{"EQ010", "ehrql.not-patient-level", SeverityError, "a series with many values per patient used as a dataset column"}
	CodeEQFrameAsValue     = Code{"EQ011", "ehrql.frame-as-value", SeverityError, "a frame where a series is expected (missing column name?)"}
	CodeEQNotASeries       = Code{"EQ012", "ehrql.not-a-series", SeverityError, "a value that is not an ehrQL series (a date difference without units, a tuple, an uncalled method)"}
	CodeEQPopulationType   = Code{"EQ013", "ehrql.population-type", SeverityError, "the population is not a boolean patient-level series"}
	CodeEQPopulationTwice  = Code{"EQ014", "ehrql.population-twice", SeverityError, "define_population called more than once"}
	CodeEQPopulationNone   = Code{"EQ015", "ehrql.population-missing", SeverityError, "the dataset has no population (define_population never called)"}
	CodeEQPopulationNull   = Code{"EQ016", "ehrql.population-null", SeverityError, "the population is true for patients with no data at all"}
	CodeEQNoDataset        = Code{"EQ017", "ehrql.no-dataset", SeverityError, "a definition run by generate-dataset defines no `dataset` (or generate-measures no `measures`)"}
	CodeEQDomain           = Code{"EQ020", "ehrql.domain", SeverityError, "event-level series from different tables or filters combined"}
	CodeEQTypeMismatch     = Code{"EQ021", "ehrql.type-mismatch", SeverityError, "values of incompatible types (date and int, bool and int, …)"}
	CodeEQIntFloat         = Code{"EQ022", "ehrql.int-float", SeverityError, "an int series combined with a float"}
	CodeEQInvalidCode      = Code{"EQ023", "ehrql.invalid-code", SeverityError, "a code that is not valid for the column's coding system"}
	CodeEQBadDate          = Code{"EQ024", "ehrql.bad-date", SeverityError, "a date string that is not YYYY-MM-DD or not a real date"}
	CodeEQBoolKeyword      = Code{"EQ025", "ehrql.bool-keyword", SeverityError, "`and`, `or`, `not`, `if` or a chained comparison on a series"}
	CodeEQUnsortedPick     = Code{"EQ026", "ehrql.unsorted-pick", SeverityError, "first_for_patient/last_for_patient without sort_by"}
	CodeEQPatientAggregate = Code{"EQ027", "ehrql.patient-aggregate", SeverityError, "an aggregation of a series that already has one value per patient"}
	CodeEQOperator         = Code{"EQ028", "ehrql.operator", SeverityError, "an operator ehrQL does not support for these operands (with a precedence hint for `a == b | c`)"}
	CodeEQArgument         = Code{"EQ029", "ehrql.argument", SeverityError, "a wrong argument to an ehrQL function or method (is_in of one value, sort_by of a string, case without then, …)"}
	CodeEQInvalidName      = Code{"EQ030", "ehrql.invalid-name", SeverityError, "a dataset column name that is reserved or not a valid variable name"}
	CodeEQReassigned       = Code{"EQ031", "ehrql.reassigned", SeverityError, "a dataset column set twice"}
	CodeEQWhenNoThen       = Code{"EQ032", "ehrql.when-without-then", SeverityError, "`when(...)` without `.then(...)`, or `when().then()` without `.otherwise()`"}
	CodeEQCodelistColumn   = Code{"EQ040", "ehrql.codelist-column", SeverityError, "codelist_from_csv without `column=`, or with a column the CSV does not have"}
	CodeEQCodelistSystem   = Code{"EQ041", "ehrql.codelist-system", SeverityError, "a codelist whose codes do not fit the coding system of the column it is tested against"}
	CodeEQPermission       = Code{"EQ050", "ehrql.permission", SeverityWarning, "a table that needs a permission, used without claim_permissions"}
)

// Diagnostic codes of local runs (osls run, and Run in the editor), shown on project.yaml.
var (
	CodeRunFailed    = Code{"RUN001", "run.failed", SeverityError, "the action's last local run failed"}
	CodeRunUnmatched = Code{"RUN002", "run.unmatched-output", SeverityError, "an output pattern matched no file in the last local run (did you mean …?)"}
	CodeRunFinding   = Code{"RUN003", "run.finding", SeverityWarning, "the last local run wrote undeclared files, escaped the workspace or failed a level-4 check"}
)

// Codes lists every diagnostic code osls can report, in code order.
var Codes = []Code{
	CodeYAMLSyntax, CodeYAMLDuplicateKey, CodeProjectNotMapping, CodeProjectUnknownKey, CodeProjectKeyType,
	CodeVersionMissing, CodeVersionNotNumber, CodeVersionTooNew, CodeVersionRange, CodeVersionOld, CodeVersionNonInteger,
	CodeActionsType, CodeActionsEmpty, CodeReservedRunAll, CodeActionType, CodeActionMissingRun, CodeActionMissingOut,
	CodeActionUnknownKey, CodeActionIDChars, CodeActionIDType,
	CodeRunEmpty, CodeRunUnparseable, CodeRunVersionFormat, CodeRunLatestTag, CodeRunCohortextractor, CodeRunDuplicate,
	CodeImageUnknown, CodeImageDeprecated, CodeImageUnknownTag, CodeRunDevTag,
	CodeOutputsNone, CodeOutputsUnknownLvl, CodeOutputsLevelType, CodeOutputsPathType,
	CodePathBackslash, CodePathWildcard, CodePathExtension, CodePathL4Type, CodePathNotNormal, CodePathParent,
	CodePathMetadata, CodePathAbsolute, CodeOutputsDuplicate, CodeOutputsEmpty, CodeOutputsMinimally,
	CodeOutputsOverlap, CodeOutputsCapturesDep,
	CodeNeedsSpace, CodeNeedsUnknown, CodeNeedsType, CodeNeedsCycle, CodeNeedsDuplicate, CodeNeedsMissingInput, CodeNeedsTransitive,
	CodeEhrQLPrivacy, CodeEhrQLNoOutput, CodeEhrQLOutputMatch, CodeEhrQLOutputFormat, CodeFileMissing, CodeDummyDataIgnored,
	CodeCohortOneLevel, CodeCohortOneDir,
	CodeExpectForbidden, CodeExpectRequired, CodeExpectType, CodeExpectPopSize, CodeExpectUnknownKey,
	CodeReusableConfig, CodeSQLRunnerPolicy, CodeConfigBuiltin,
	CodeEQSyntax, CodeEQUnknownName, CodeEQUnknownColumn, CodeEQUnknownMethod, CodeEQOtherVersion,
	CodeEQNotPatientLevel, CodeEQFrameAsValue, CodeEQNotASeries, CodeEQPopulationType, CodeEQPopulationTwice,
	CodeEQPopulationNone, CodeEQPopulationNull, CodeEQNoDataset, CodeEQDomain, CodeEQTypeMismatch, CodeEQIntFloat,
	CodeEQInvalidCode, CodeEQBadDate, CodeEQBoolKeyword, CodeEQUnsortedPick, CodeEQPatientAggregate, CodeEQOperator,
	CodeEQArgument, CodeEQInvalidName, CodeEQReassigned, CodeEQWhenNoThen, CodeEQCodelistColumn, CodeEQCodelistSystem,
	CodeEQPermission,
	CodeRunFailed, CodeRunUnmatched, CodeRunFinding,
}

// LookupCode finds a code by its ID.
func LookupCode(id string) (Code, bool) {
	for _, c := range Codes {
		if c.ID == id {
			return c, true
		}
	}
	return Code{}, false
}
