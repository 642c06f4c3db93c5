package analysis

// Codes of the dummy-data sidecar file (<definition>.dummy.yaml, see dummyspec.go): its
// syntax, its keys, and its agreement with the definition's variables. They continue the
// ehrQL (EQ) series from 100.
var (
	CodeDummySyntax          = Code{"EQ100", "dummy.syntax", SeverityError, "YAML syntax error in a dummy-data expectations file"}
	CodeDummyUnknownKey      = Code{"EQ101", "dummy.unknown-key", SeverityError, "unknown key in a dummy-data expectations file (did you mean …?)"}
	CodeDummyUnknownVariable = Code{"EQ102", "dummy.unknown-variable", SeverityError, "expectations for a variable the dataset does not define"}
	CodeDummyWrongKind       = Code{"EQ103", "dummy.wrong-kind", SeverityError, "a setting that does not fit the variable's type (true_proportion for a date, …)"}
	CodeDummyValue           = Code{"EQ104", "dummy.value", SeverityError, "a value out of range or of the wrong form (a proportion above 1, min above max, …)"}
	CodeDummyUnknownCategory = Code{"EQ105", "dummy.unknown-category", SeverityError, "a category weight for a value the variable never takes"}
)

// DummyCodes lists the sidecar's codes in code order; init appends them to Codes.
var DummyCodes = []Code{
	CodeDummySyntax, CodeDummyUnknownKey, CodeDummyUnknownVariable, CodeDummyWrongKind, CodeDummyValue, CodeDummyUnknownCategory,
}

func init() { Codes = append(Codes, DummyCodes...) }
