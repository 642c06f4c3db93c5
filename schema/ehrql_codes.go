package schema

import (
	"regexp"
	"strings"
)

// CodeSystem is a clinical coding system whose codes ehrQL validates.
type CodeSystem struct {
	Name  string // "SNOMEDCT", "CTV3", "ICD10", "OPCS4", "DMD" or "BNF"
	Class string // the ehrql.codes class, e.g. "SNOMEDCTCode"
	Doc   string
	// Pattern must match a whole code. ehrQL raises "Invalid <Class>: <code>"
	// when a literal (or a codelist entry) that fails it meets a column of
	// this system.
	Pattern string
	// PrefixPattern, for systems with multi-code string columns (ICD10,
	// OPCS4), must match a whole argument of contains(): a code or the
	// start of one.
	PrefixPattern string

	re, prefixRE *regexp.Regexp
}

var eqCodeSystems = []*CodeSystem{
	{Name: "SNOMEDCT", Class: "SNOMEDCTCode", Doc: "SNOMED CT concept id: 6 to 18 digits, not starting with 0.",
		Pattern: `[1-9][0-9]{5,17}`},
	{Name: "CTV3", Class: "CTV3Code", Doc: "CTV3 (Read v3) code: five characters, letters and digits, right-padded with dots (e.g. `XaBVJ`, `G30..`).",
		Pattern: `[0-9A-Za-z]{5}|[0-9A-Za-z]{4}\.|[0-9A-Za-z]{3}\.{2}|[0-9A-Za-z]{2}\.{3}`},
	{Name: "ICD10", Class: "ICD10Code", Doc: "ICD-10 code without a dot: a capital letter, two digits, then an optional X with an optional digit, or up to two more digits (e.g. `I21`, `I219`, `A01X`).",
		Pattern: `[A-Z][0-9]{2}(?:X[0-9]?|[0-9]{0,2})`, PrefixPattern: `[A-Z](?:[0-9]{0,4}|[0-9]{2}X[0-9]?)`},
	{Name: "OPCS4", Class: "OPCS4Code", Doc: "OPCS-4 code without a dot: a capital letter other than I, then 2 or 3 digits (e.g. `K40`, `K401`).",
		Pattern: `[A-HJ-Z][0-9]{2,3}`, PrefixPattern: `[A-HJ-Z][0-9]{0,3}`},
	{Name: "DMD", Class: "DMDCode", Doc: "dm+d (Dictionary of Medicines and Devices) id: 6 to 18 digits, not starting with 0.",
		Pattern: `[1-9][0-9]{5,17}`},
	{Name: "BNF", Class: "BNFCode", Doc: "BNF code: 15 characters for products (chapter to generic equivalent) or 11 digits starting 20–23 for appliances.",
		Pattern: `[01][0-9]{6}[0-9A-Z]{2}(?:[A-Z][0-9A-Z]){3}|2[0-3][0-9]{9}`},
}

var eqCodeSystemAliases = map[string]string{
	"snomed": "SNOMEDCT", "snomedct": "SNOMEDCT", "snomed-ct": "SNOMEDCT", "snomedctcode": "SNOMEDCT",
	"ctv3": "CTV3", "read3": "CTV3", "ctv3code": "CTV3",
	"icd10": "ICD10", "icd-10": "ICD10", "icd10code": "ICD10", "icd10multicodestring": "ICD10",
	"opcs4": "OPCS4", "opcs-4": "OPCS4", "opcs4code": "OPCS4", "opcs4multicodestring": "OPCS4",
	"dmd": "DMD", "dmdcode": "DMD",
	"bnf": "BNF", "bnfcode": "BNF",
}

func init() {
	for _, cs := range eqCodeSystems {
		cs.re = regexp.MustCompile(`^(?:` + cs.Pattern + `)$`)
		if cs.PrefixPattern != "" {
			cs.prefixRE = regexp.MustCompile(`^(?:` + cs.PrefixPattern + `)$`)
		}
	}
}

// CodeSystems returns the coding systems ehrQL knows.
func CodeSystems() []CodeSystem {
	out := make([]CodeSystem, len(eqCodeSystems))
	for i, cs := range eqCodeSystems {
		out[i] = *cs
	}
	return out
}

// LookupCodeSystem finds a coding system by name ("SNOMEDCT"), class
// ("SNOMEDCTCode", "ICD10MultiCodeString") or OpenCodelists coding-system
// id ("snomedct", "ctv3", "icd10", "opcs4", "dmd", "bnf"), ignoring case.
func LookupCodeSystem(name string) (CodeSystem, bool) {
	key := strings.ToLower(name)
	if canon, ok := eqCodeSystemAliases[key]; ok {
		key = strings.ToLower(canon)
	}
	for _, cs := range eqCodeSystems {
		if strings.ToLower(cs.Name) == key {
			return *cs, true
		}
	}
	return CodeSystem{}, false
}

// ValidCode reports whether code is a valid code of system (any name
// [LookupCodeSystem] accepts), exactly as ehrQL checks it: no trimming, no
// case folding. An unknown system gives false.
func ValidCode(system, code string) bool {
	cs, ok := LookupCodeSystem(system)
	return ok && cs.re.MatchString(code)
}

// ValidCodePrefix reports whether s may be passed to contains() on a
// multi-code string column of system (ICD10 or OPCS4): a whole code or the
// start of one. Systems without multi-code columns give false.
func ValidCodePrefix(system, s string) bool {
	cs, ok := LookupCodeSystem(system)
	return ok && cs.prefixRE != nil && cs.prefixRE.MatchString(s)
}

// CodeSystemsMatching returns the names of the systems for which code is
// valid, in catalogue order; it helps explain a mismatch ("this looks like
// a CTV3 code").
func CodeSystemsMatching(code string) []string {
	var out []string
	for _, cs := range eqCodeSystems {
		if cs.re.MatchString(code) {
			out = append(out, cs.Name)
		}
	}
	return out
}
