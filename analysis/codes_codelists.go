package analysis

// Codelist diagnostic codes: codelists/codelists.txt, its manifest codelists/codelists.json
// and the CSVs downloaded from OpenCodelists.
var (
	CodeCodelistSyntax       = Code{"CL001", "codelists.syntax", SeverityError, "a line that is not `org/codelist/version` or `user/name/codelist/version`"}
	CodeCodelistPattern      = Code{"CL002", "codelists.pattern", SeverityError, "a line that OpenCodelists rejects (four parts without `user/`, empty part, bad characters)"}
	CodeCodelistInline       = Code{"CL003", "codelists.inline-comment", SeverityWarning, "a space or `#` inside a line: there are no inline comments (quick fix: own line)"}
	CodeCodelistDuplicate    = Code{"CL010", "codelists.duplicate", SeverityError, "the same codelist version listed twice (quick fix: remove)"}
	CodeCodelistConflict     = Code{"CL011", "codelists.conflict", SeverityError, "two versions of one codelist (quick fix: keep one)"}
	CodeCodelistFilename     = Code{"CL012", "codelists.filename-collision", SeverityError, "two codelists that would be downloaded to the same CSV file"}
	CodeCodelistNoManifest   = Code{"CL020", "codelists.manifest-missing", SeverityError, "no codelists/codelists.json (run `osls codelists update`)"}
	CodeCodelistBadManifest  = Code{"CL021", "codelists.manifest-invalid", SeverityError, "codelists/codelists.json is not a valid manifest"}
	CodeCodelistCSVMissing   = Code{"CL022", "codelists.csv-missing", SeverityError, "a listed codelist whose CSV has not been downloaded"}
	CodeCodelistNotInManif   = Code{"CL023", "codelists.not-in-manifest", SeverityError, "a listed codelist that codelists.json does not record (run `osls codelists update`)"}
	CodeCodelistSHAMismatch  = Code{"CL024", "codelists.sha-mismatch", SeverityError, "a CSV changed since it was downloaded (its SHA-1 differs from codelists.json)"}
	CodeCodelistStaleEntry   = Code{"CL025", "codelists.manifest-stale", SeverityError, "codelists.json records a codelist that codelists.txt no longer lists"}
	CodeCodelistUnlistedCSV  = Code{"CL026", "codelists.unlisted-csv", SeverityWarning, "a CSV in codelists/ that codelists.txt does not list (`update` deletes it)"}
	CodeCodelistNotListed    = Code{"CL030", "codelists.not-listed", SeverityWarning, "codelist_from_csv reads a codelists/ CSV that codelists.txt does not list"}
	CodeCodelistNotFetched   = Code{"CL031", "codelists.not-downloaded", SeverityError, "codelist_from_csv reads a listed codelist that has not been downloaded"}
	CodeCodelistFileNotFound = Code{"CL032", "codelists.file-missing", SeverityError, "codelist_from_csv reads a CSV that does not exist (quick fix: import)"}
)

// CodelistCodes lists the codelist codes in code order; init appends them to Codes.
var CodelistCodes = []Code{
	CodeCodelistSyntax, CodeCodelistPattern, CodeCodelistInline,
	CodeCodelistDuplicate, CodeCodelistConflict, CodeCodelistFilename,
	CodeCodelistNoManifest, CodeCodelistBadManifest, CodeCodelistCSVMissing, CodeCodelistNotInManif,
	CodeCodelistSHAMismatch, CodeCodelistStaleEntry, CodeCodelistUnlistedCSV,
	CodeCodelistNotListed, CodeCodelistNotFetched, CodeCodelistFileNotFound,
}

func init() { Codes = append(Codes, CodelistCodes...) }
