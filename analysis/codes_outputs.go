package analysis

// Output-checking codes: statistical disclosure control (SDC) rules applied to the files an
// action writes as moderately_sensitive, before they are requested for release. The checks
// themselves live in analysis/outputs, which refers to these entries; keeping the table here
// lets Codes (and so the README and SARIF rules) list them without an import cycle.
var (
	CodeSDCFileType         = Code{"SDC001", "outputs.file-type", SeverityError, "a file type Level 4 does not accept (it is not copied for review)"}
	CodeSDCHiddenFile       = Code{"SDC002", "outputs.hidden-file", SeverityError, "a file whose name starts with `.`, which Airlock refuses"}
	CodeSDCFileSize         = Code{"SDC003", "outputs.file-size", SeverityError, "a file larger than 16 MiB (not copied to Level 4)"}
	CodeSDCCSVRows          = Code{"SDC004", "outputs.csv-rows", SeverityError, "a CSV with more than 5000 data rows (not copied to Level 4)"}
	CodeSDCPatientID        = Code{"SDC005", "outputs.patient-id", SeverityError, "a CSV with a `patient_id` column (patient-level data; not copied to Level 4)"}
	CodeSDCEncoding         = Code{"SDC006", "outputs.encoding", SeverityWarning, "a CSV that is not UTF-8 (Latin-1, UTF-16 or invalid bytes)"}
	CodeSDCRagged           = Code{"SDC007", "outputs.ragged-rows", SeverityWarning, "CSV rows with more or fewer fields than the header"}
	CodeSDCUnreadable       = Code{"SDC008", "outputs.unreadable", SeverityWarning, "a CSV that could not be read to the end (empty, a line too long, an I/O error)"}
	CodeSDCSmallCount       = Code{"SDC010", "outputs.small-count", SeverityError, "a count of 1 to 7 that is not redacted (a warning when the column is a count only by its content)"}
	CodeSDCUnrounded        = Code{"SDC011", "outputs.unrounded", SeverityWarning, "a count that is not a multiple of 5"}
	CodeSDCMidpoint6        = Code{"SDC012", "outputs.midpoint6", SeverityWarning, "a midpoint-6 column with a value that is neither 0 nor 3 more than a multiple of 6"}
	CodeSDCMidpoint6Derived = Code{"SDC013", "outputs.midpoint6-derived", SeverityWarning, "a `_midpoint6_derived` column with a value that is not a multiple of 6"}
	CodeSDCRedactionMarker  = Code{"SDC014", "outputs.redaction-marker", SeverityWarning, "a count column with text Airlock does not recognise as redacted (use `[REDACTED]`)"}
	CodeSDCTotalMismatch    = Code{"SDC015", "outputs.total-mismatch", SeverityWarning, "a total that is not the sum of the published cells"}
	CodeSDCTotalRecovers    = Code{"SDC016", "outputs.total-recovers", SeverityWarning, "a total that reveals the one redacted cell it covers"}
	CodeSDCMinMax           = Code{"SDC017", "outputs.min-max", SeverityWarning, "a minimum or maximum column (usually describes one or two people)"}
	CodeSDCGeography        = Code{"SDC018", "outputs.geography", SeverityWarning, "a column naming practices, ICBs/STPs/CCGs, local authorities or MSOAs/LSOAs"}
	CodeSDCRateNoCounts     = Code{"SDC019", "outputs.rate-without-counts", SeverityInformation, "a percentage or rate with no count columns in the same file"}
	CodeSDCManualReview     = Code{"SDC020", "outputs.manual-review", SeverityInformation, "an image or text file: checked for type and size only, needs a careful manual review"}
	CodeSDCLogFile          = Code{"SDC021", "outputs.log-file", SeverityWarning, "a log file requested for release (only in exceptional cases)"}
	CodeSDCImageNoData      = Code{"SDC022", "outputs.image-without-data", SeverityWarning, "an image whose action releases no CSV with the underlying counts"}
	CodeSDCTextSmallCount   = Code{"SDC023", "outputs.text-small-count", SeverityWarning, "text that reports a count of 1 to 7 (`n = 3`, `5 patients`)"}
)

// OutputCodes lists the output-checking codes in code order; init appends them to Codes.
var OutputCodes = []Code{
	CodeSDCFileType, CodeSDCHiddenFile, CodeSDCFileSize, CodeSDCCSVRows, CodeSDCPatientID,
	CodeSDCEncoding, CodeSDCRagged, CodeSDCUnreadable,
	CodeSDCSmallCount, CodeSDCUnrounded, CodeSDCMidpoint6, CodeSDCMidpoint6Derived, CodeSDCRedactionMarker,
	CodeSDCTotalMismatch, CodeSDCTotalRecovers, CodeSDCMinMax, CodeSDCGeography, CodeSDCRateNoCounts,
	CodeSDCManualReview, CodeSDCLogFile, CodeSDCImageNoData, CodeSDCTextSmallCount,
}

func init() { Codes = append(Codes, OutputCodes...) }
