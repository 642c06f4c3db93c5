package outputs

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// valueClass is how a cell is read, following Airlock's CSV summary so that what osls
// reports matches what output checkers see.
type valueClass int

const (
	classMissing  valueClass = iota // "", null, none, nan
	classRedacted                   // [redacted], redacted, na, n/a, <=7
	classNumber
	classText
)

// airlockNormal normalises a cell as Airlock does before classifying it: spaces removed,
// lower-cased.
func airlockNormal(s string) string {
	if strings.IndexByte(s, ' ') >= 0 {
		s = strings.ReplaceAll(s, " ", "")
	}
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
	}
	return s
}

// Airlock's token lists (airlock/utils.py), after normalisation.
var (
	missingTokens  = map[string]bool{"": true, "null": true, "none": true, "nan": true}
	redactedTokens = map[string]bool{"[redacted]": true, "redacted": true, "na": true, "n/a": true, "<=7": true}
)

// RedactionMarkers lists, normalised, the cell values Airlock counts as redacted. Write
// `[REDACTED]` in new code.
func RedactionMarkers() []string {
	return []string{"[redacted]", "redacted", "na", "n/a", "<=7"}
}

// classify reads one cell; for numbers it returns the value and whether it is whole.
func classify(cell string) (valueClass, float64, bool) {
	s := airlockNormal(cell)
	if missingTokens[s] {
		return classMissing, 0, false
	}
	if redactedTokens[s] {
		return classRedacted, 0, false
	}
	if allDigits(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return classNumber, float64(i), true
		}
	}
	if !looksNumeric(s) {
		return classText, 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return classText, 0, false
	}
	// pandas writes whole numbers as 5.0 once a column holds a missing value.
	return classNumber, f, f == math.Trunc(f) && math.Abs(f) < 1<<53
}

// allDigits reports whether s is an optionally signed run of ASCII digits.
func allDigits(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// looksNumeric cheaply rejects text before ParseFloat (which also accepts "inf", "0x1p3").
func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e') {
			return false
		}
	}
	return true
}

// redactionLike reports whether an unrecognised text cell looks like an attempt at redaction
// (`<8`, `*`, `-`, `suppressed`, `≤7`), as opposed to a label.
func redactionLike(norm string) bool {
	switch norm {
	case "*", "**", "***", "-", "--", "x", "xx", "~", "c", "s", "supp", "suppressed", "masked", "hidden", "small",
		"smallnumber", "[redacted", "redacted]", "[r]", "<redacted>", "(redacted)", "redact", "[suppressed]":
		return true
	}
	if strings.HasPrefix(norm, "<") || strings.HasPrefix(norm, "≤") || strings.HasPrefix(norm, "&lt;") {
		return true
	}
	return strings.Contains(norm, "redact") || strings.Contains(norm, "suppress")
}

// nameTokens splits a column name into lower-case words at `_`, spaces, dots and hyphens.
func nameTokens(name string) []string {
	return strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == '_' || r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '/'
	})
}

// Words that make a column name a count, a statistic, or a label.
var (
	countWords = set("n", "count", "counts", "num", "number", "total", "totals", "numerator", "denominator",
		"events", "event", "patients", "population", "cases", "deaths", "freq", "frequency", "people", "persons",
		"individuals", "admissions", "registered", "size", "nobs", "obs", "tally")
	countLeadWords = set("n", "num", "count", "number", "total", "events", "patients", "cases", "deaths")
	statWords      = set("percent", "percentage", "pct", "perc", "prop", "proportion", "rate", "rates", "ratio",
		"mean", "median", "sd", "se", "std", "iqr", "ci", "lci", "uci", "lower", "upper", "lcl", "ucl", "or", "hr",
		"rr", "irr", "coef", "coefficient", "estimate", "beta", "p", "pvalue", "pval", "z", "t", "chi2",
		"min", "max", "minimum", "maximum", "range", "p0", "p100", "avg", "average", "variance", "var", "cum", "cumulative",
		"weight", "weighted", "score", "per", "prevalence", "incidence", "risk", "odds", "log")
	labelWords = set("year", "years", "age", "ageband", "band", "id", "code", "codes", "date", "month", "week",
		"day", "quarter", "group", "category", "cat", "index", "rank", "order", "decile", "quintile", "imd",
		"region", "sex", "gender", "ethnicity", "level", "stage", "period", "interval", "start", "end", "version",
		"time", "days", "months", "weeks", "duration", "followup", "fu", "bmi", "length", "height")
	totalLabels     = set("total", "totals", "all", "overall", "grandtotal", "alltotal", "all_patients", "allpatients")
	minMaxNames     = set("min", "max", "minimum", "maximum", "range", "p0", "p100")
	geographyTokens = set("msoa", "lsoa", "stp", "icb", "ccg", "practice", "practices", "la", "utla", "ltla", "localauthority")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// nameVerdict is what a column's name says about it.
type nameVerdict int

const (
	nameUnknown nameVerdict = iota
	nameCount
	nameStatistic
	nameLabel
)

// roundingFromName reads the midpoint-6 naming convention: a `_midpoint6` suffix marks
// midpoint-6 rounded counts, `_midpoint6_derived` values computed from them (multiples of 6).
// It returns the name with the suffix removed.
func roundingFromName(name string) (Rounding, string) {
	l := strings.ToLower(strings.TrimSpace(name))
	switch {
	case strings.HasSuffix(l, "_midpoint6_derived"):
		return RoundMidpoint6Derived, name[:len(l)-len("_midpoint6_derived")]
	case strings.HasSuffix(l, "_midpoint6"):
		return RoundMidpoint6, name[:len(l)-len("_midpoint6")]
	}
	return RoundNone, name
}

// judgeName decides from its name whether a column holds counts. A statistic word anywhere
// wins ("pct_patients"), then a count word at the end ("n_patients", "total_deaths"), then a
// label word anywhere ("age_band", "year"), then a count word at the start ("n_2020").
func judgeName(name string) nameVerdict {
	_, base := roundingFromName(name)
	toks := nameTokens(base)
	if len(toks) == 0 {
		return nameUnknown
	}
	for _, t := range toks {
		if statWords[t] {
			return nameStatistic
		}
	}
	if countWords[toks[len(toks)-1]] {
		return nameCount
	}
	for _, t := range toks {
		if labelWords[t] {
			return nameLabel
		}
	}
	if countLeadWords[toks[0]] {
		return nameCount
	}
	return nameUnknown
}

// isMinMaxName reports whether a column reports a minimum or maximum (N5).
func isMinMaxName(name string) bool {
	toks := nameTokens(name)
	if len(toks) == 0 {
		return false
	}
	return minMaxNames[toks[0]] || minMaxNames[toks[len(toks)-1]]
}

// isGeographyName reports whether a column identifies practices or areas below NHS region
// (P1).
func isGeographyName(name string) bool {
	l := strings.ToLower(name)
	if strings.Contains(l, "local_authority") || strings.Contains(l, "localauthority") {
		return true
	}
	toks := nameTokens(name)
	for i, t := range toks {
		if !geographyTokens[t] {
			continue
		}
		// "la" alone is too common a token; require la_code / la_name.
		if t == "la" && !(i+1 < len(toks) && (toks[i+1] == "code" || toks[i+1] == "name")) {
			continue
		}
		// "practice_count" counts practices, it does not name one.
		if i == len(toks)-1 || !countWords[toks[len(toks)-1]] {
			return true
		}
	}
	return false
}

// isRateName reports whether a column holds a percentage, rate or proportion.
func isRateName(name string) bool {
	for _, t := range nameTokens(name) {
		switch t {
		case "percent", "percentage", "pct", "perc", "prop", "proportion", "rate", "rates", "ratio", "prevalence", "incidence":
			return true
		}
	}
	return false
}

// isTotalLabel reports whether a label cell marks a total row.
func isTotalLabel(cell string) bool {
	return totalLabels[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(cell), " ", ""))]
}

// isTotalColumnName reports whether a count column is named as the total of the others.
func isTotalColumnName(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "total", "all", "overall", "total_n", "n_total", "total_count", "count_total", "totals":
		return true
	}
	return false
}

// latin1 decodes bytes that are not valid UTF-8 as Latin-1, for messages and name matching.
func latin1(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(rune(s[i]))
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// quote shortens a cell for a message.
func quote(s string) string {
	s = latin1(s)
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:37]) + "…"
	}
	return strconvQuote(s)
}

func strconvQuote(s string) string { return strconv.Quote(s) }
