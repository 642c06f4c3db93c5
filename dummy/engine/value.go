// Package engine evaluates osls's ehrQL query model (analysis/qm) over per-patient source
// tables, with the semantics of ehrQL's in-memory engine: the patient universe, Kleene
// logic, NULLs in aggregations, ehrQL's sort tie-breaks, calendar arithmetic that rolls
// forward, and Python's numeric quirks. It also reads and writes dataset files exactly as
// ehrQL does (CSV byte for byte, gzip, Arrow IPC).
//
// Evaluation is per patient: a Program is compiled once from a dataset, then each patient's
// rows are evaluated on their own, so memory grows with one patient's rows, not with the
// population.
package engine

import (
	"math"
	"strconv"
	"strings"

	"github.com/opensafely-core/osls/analysis/qm"
)

// Kind is the run-time kind of a Val.
type Kind uint8

// Value kinds. KNull is SQL NULL (Python None).
const (
	KNull Kind = iota
	KBool
	KInt
	KFloat
	KStr
	KDate
)

// Val is one value: bools and ints in I (bools as 0/1), floats in F, strings and codes in S,
// dates in I as days since 1970-01-01.
type Val struct {
	K Kind
	I int64
	F float64
	S string
}

// Null is the NULL value.
var Null = Val{}

// Bool returns a bool value.
func Bool(b bool) Val {
	if b {
		return Val{K: KBool, I: 1}
	}
	return Val{K: KBool}
}

// Int returns an int value.
func Int(i int64) Val { return Val{K: KInt, I: i} }

// Float returns a float value.
func Float(f float64) Val { return Val{K: KFloat, F: f} }

// Str returns a string value.
func Str(s string) Val { return Val{K: KStr, S: s} }

// DateVal returns a date value.
func DateVal(d qm.Date) Val { return Val{K: KDate, I: DaysFromCivil(d.Year, d.Month, d.Day)} }

// DateDays returns a date value from days since 1970-01-01.
func DateDays(n int64) Val { return Val{K: KDate, I: n} }

// IsNull reports whether v is NULL.
func (v Val) IsNull() bool { return v.K == KNull }

// True reports whether v is the bool True (NULL and False are not).
func (v Val) True() bool { return v.K == KBool && v.I != 0 }

// Date returns the calendar date of a date value.
func (v Val) Date() qm.Date {
	y, m, d := CivilFromDays(v.I)
	return qm.Date{Year: y, Month: m, Day: d}
}

// Compare orders two non-NULL values of the same kind: -1, 0 or 1.
func Compare(a, b Val) int {
	switch a.K {
	case KFloat:
		af, bf := a.F, b.F
		if b.K == KInt {
			bf = float64(b.I)
		}
		switch {
		case af < bf:
			return -1
		case af > bf:
			return 1
		}
		return 0
	case KStr:
		return strings.Compare(a.S, b.S)
	}
	if b.K == KFloat {
		return -Compare(b, a)
	}
	switch {
	case a.I < b.I:
		return -1
	case a.I > b.I:
		return 1
	}
	return 0
}

// CompareNullsFirst orders values with NULL before every non-NULL value, as ehrQL sorts.
func CompareNullsFirst(a, b Val) int {
	switch {
	case a.K == KNull && b.K == KNull:
		return 0
	case a.K == KNull:
		return -1
	case b.K == KNull:
		return 1
	}
	return Compare(a, b)
}

// Equal reports whether two non-NULL values are equal.
func Equal(a, b Val) bool {
	if a.K == KStr || b.K == KStr {
		return a.S == b.S && a.K == b.K
	}
	return Compare(a, b) == 0
}

// DaysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func DaysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era = (yy - 399) / 400
	}
	yoe := yy - era*400
	mp := int64(m+9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// CivilFromDays converts days since 1970-01-01 to a proleptic Gregorian date.
func CivilFromDays(z int64) (int, int, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// minDay and maxDay bound Python's dates (0001-01-01 .. 9999-12-31).
var (
	minDay = DaysFromCivil(1, 1, 1)
	maxDay = DaysFromCivil(9999, 12, 31)
)

// FormatFloat writes a float as Python's repr does: the shortest digits that round-trip,
// ".0" on integral values, and scientific notation (two-digit exponent at least) when the
// decimal exponent is below -4 or at least 16.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	// b is like "-1.2345e+06" or "5e-07".
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	epos := strings.IndexByte(string(b), 'e')
	mant, expPart := b[:epos], b[epos+1:]
	exp, _ := strconv.Atoi(string(expPart))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	var out []byte
	if neg {
		out = append(out, '-')
	}
	if exp < -4 || exp >= 16 {
		out = append(out, digits[0])
		if len(digits) > 1 {
			out = append(out, '.')
			out = append(out, digits[1:]...)
		}
		out = append(out, 'e')
		if exp < 0 {
			out = append(out, '-')
			exp = -exp
		} else {
			out = append(out, '+')
		}
		if exp < 10 {
			out = append(out, '0')
		}
		out = strconv.AppendInt(out, int64(exp), 10)
		return string(out)
	}
	if exp < 0 {
		out = append(out, '0', '.')
		for i := 0; i < -exp-1; i++ {
			out = append(out, '0')
		}
		out = append(out, digits...)
		return string(out)
	}
	// exp >= 0: the point goes after digit exp.
	if len(digits) <= exp+1 {
		out = append(out, digits...)
		for i := len(digits); i < exp+1; i++ {
			out = append(out, '0')
		}
		out = append(out, '.', '0')
		return string(out)
	}
	out = append(out, digits[:exp+1]...)
	out = append(out, '.')
	out = append(out, digits[exp+1:]...)
	return string(out)
}

// Text writes a value as ehrQL's CSV does: "" for NULL, T/F, decimal ints, Python float
// repr, YYYY-MM-DD dates.
func (v Val) Text() string {
	switch v.K {
	case KBool:
		if v.I != 0 {
			return "T"
		}
		return "F"
	case KInt:
		return strconv.FormatInt(v.I, 10)
	case KFloat:
		return FormatFloat(v.F)
	case KStr:
		return v.S
	case KDate:
		y, m, d := CivilFromDays(v.I)
		var b [10]byte
		b[0] = byte('0' + y/1000%10)
		b[1] = byte('0' + y/100%10)
		b[2] = byte('0' + y/10%10)
		b[3] = byte('0' + y%10)
		b[4] = '-'
		b[5] = byte('0' + m/10)
		b[6] = byte('0' + m%10)
		b[7] = '-'
		b[8] = byte('0' + d/10)
		b[9] = byte('0' + d%10)
		return string(b[:])
	}
	return ""
}

// FromLiteral converts a query-model literal (nil, bool, int64, float64, string, qm.Date)
// to a Val of the series type t.
func FromLiteral(x any, t qm.Type) Val {
	switch v := x.(type) {
	case nil:
		return Null
	case bool:
		return Bool(v)
	case int64:
		if t.Kind == qm.Float {
			return Float(float64(v))
		}
		return Int(v)
	case int:
		if t.Kind == qm.Float {
			return Float(float64(v))
		}
		return Int(int64(v))
	case float64:
		return Float(v)
	case string:
		if t.Kind == qm.DateKind {
			if d, err := qm.ParseDate(v); err == nil {
				return DateVal(d)
			}
			return Null
		}
		return Str(v)
	case qm.Date:
		return DateVal(v)
	}
	return Null
}
