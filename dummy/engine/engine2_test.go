package engine

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

// is_in: an empty container is False even for NULL; otherwise NULL in, NULL out;
// is_not_in is its negation; an event series on the right is the patient's set of values.
func TestIsIn(t *testing.T) {
	s := c(P, "sex")
	empty := v([]any{}, qm.TStr)
	set := v([]any{"male", "intersex"}, qm.TStr)
	code := c(E, "code")
	got := run(t, exists(P), vars{
		{Name: "in_empty", Series: b(qm.FnIn, s, empty)},
		{Name: "in", Series: b(qm.FnIn, s, set)},
		{Name: "not_in", Series: b(qm.FnNot, b(qm.FnIn, s, set))},
		{Name: "code_seen", Series: exists(qm.NewFilter(E, b(qm.FnIn, code, v([]any{"123456"}, code.Type()))))},
		{Name: "in_events", Series: b(qm.FnIn, c(P, "i"), qm.NewSeriesAggregate(qm.AggCombineAsSet, c(E, "n"), qm.TInt, 0))},
	}, map[string]string{
		"patients": "patient_id,sex,i|1,male,3|2,female,4|3,,|",
		"events":   "patient_id,code,n|1,123456,3|1,999999,|2,,|",
	})
	// Patient 2's events have no non-NULL n: the set is empty, so is_in is False.
	check(t, got, "patient_id,in_empty,in,not_in,code_seen,in_events|1,F,T,F,T,T|2,F,F,T,F,F|3,F,,,F,F|")
}

// case: a NULL condition does not match; no match and no default is NULL. where() drops
// NULL conditions, except_where() keeps them. maximum_of/minimum_of ignore NULLs.
func TestCaseFilterAndMinMaxOf(t *testing.T) {
	cond := b(qm.FnGT, c(E, "n"), i(1))
	kase := qm.NewCase([]qm.Branch{{Cond: b(qm.FnGT, c(P, "i"), i(1)), Value: v("big", qm.TStr)}, {Cond: b(qm.FnIsNull, c(P, "i")), Value: nil}}, v("small", qm.TStr), qm.TStr)
	nodef := qm.NewCase([]qm.Branch{{Cond: b(qm.FnGT, c(P, "i"), i(1)), Value: v("big", qm.TStr)}}, nil, qm.TStr)
	except := qm.NewFilter(E, b(qm.FnOr, b(qm.FnNot, cond), b(qm.FnIsNull, cond)))
	got := run(t, exists(P), vars{
		{Name: "kase", Series: kase},
		{Name: "nodef", Series: nodef},
		{Name: "where", Series: qm.NewFrameAggregate(qm.AggCount, qm.NewFilter(E, cond))},
		{Name: "except", Series: qm.NewFrameAggregate(qm.AggCount, except)},
		{Name: "max_of", Series: f(qm.FnMaximumOf, qm.TInt, c(P, "i"), c(P, "j"), i(0))},
		{Name: "min_of", Series: f(qm.FnMinimumOf, qm.TInt, c(P, "i"), c(P, "j"))},
		{Name: "patient_cond", Series: qm.NewFrameAggregate(qm.AggCount, qm.NewFilter(E, b(qm.FnGT, c(P, "i"), i(1))))},
	}, map[string]string{
		"patients": "patient_id,i,j|1,5,-3|2,0,|3,,|",
		"events":   "patient_id,n|1,2|1,0|1,|2,5|",
	})
	check(t, got, "patient_id,kase,nodef,where,except,max_of,min_of,patient_cond|"+
		"1,big,big,1,2,5,-3,3|2,small,,1,0,0,0,0|3,,,0,0,0,,0|")
}

// Helpers expand to ehrQL's definitions (is_alive_on, is_dead_on, imd bands).
func TestHelpers(t *testing.T) {
	pid := qm.NewColumn(P, "patient_id", qm.TInt)
	got := run(t, exists(P), vars{
		{Name: "alive", Series: qm.NewFunction("Helper:is_alive_on", qm.TBool, pid, d("2020-01-01"))},
		{Name: "dead", Series: qm.NewFunction("Helper:is_dead_on", qm.TBool, pid, d("2020-01-01"))},
	}, map[string]string{"patients": "patient_id,date_of_death|1,|2,2019-12-31|3,2020-01-01|4,2020-01-02|"})
	check(t, got, "patient_id,alive,dead|1,T,F|2,F,T|3,F,F|4,T,F|")

	addr := &qm.Table{Module: "test", Name: "addresses", Columns: []qm.Column{{Name: "start_date", Type: qm.TDate}, {Name: "end_date", Type: qm.TDate}, {Name: "address_id", Type: qm.TInt}, {Name: "has_postcode", Type: qm.TBool}, {Name: "imd_rounded", Type: qm.TInt}}}
	A := qm.NewSelectTable(addr)
	inner := qm.NewFilter(A, qm.NewFunction("Helper:for_patient_on", qm.TBool, d("2020-01-01")))
	pick := qm.NewPick(qm.NewSort(inner, c(inner, "start_date")), true)
	got = run(t, exists(A), vars{
		{Name: "q", Series: qm.NewFunction("Helper:imd_quintile", qm.TStr, qm.NewColumn(pick, "patient_id", qm.TInt))},
		{Name: "dec", Series: qm.NewFunction("Helper:imd_decile", qm.TStr, qm.NewColumn(pick, "patient_id", qm.TInt))},
		{Name: "id", Series: c(pick, "address_id")},
	}, map[string]string{"addresses": "patient_id,start_date,end_date,address_id,has_postcode,imd_rounded|" +
		// 1: the later address has no postcode, so the earlier one (with a postcode) wins.
		"1,2010-01-01,,1,T,100|1,2015-01-01,,2,F,32800|" +
		// 2: the address ended before the date.
		"2,2010-01-01,2019-12-31,3,T,100|" +
		// 3: ends on the date (kept); NULL imd is unknown.
		"3,2010-01-01,2020-01-01,4,T,|" +
		"4,2010-01-01,,5,T,32800|"})
	check(t, got, "patient_id,q,dec,id|1,1 (most deprived),1 (most deprived),1|2,unknown,unknown,|3,unknown,unknown,4|4,5 (least deprived),10 (least deprived),5|")
}

// CSV output: CRLF, minimal quoting, T/F, float repr, dates.
func TestCSVWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	w.Header([]OutColumn{{Name: "s"}, {Name: "b"}, {Name: "f"}, {Name: "d"}, {Name: "n"}})
	w.Row(1, []Val{Str(`a,"b"`), Bool(true), Float(1e16), DateVal(qm.Date{Year: 2020, Month: 2, Day: 29}), Null})
	w.Row(2, []Val{Str("line\nbreak"), Bool(false), Float(0.5), Null, Int(-3)})
	w.Row(10, []Val{Str(""), Null, Float(math.Copysign(0, -1)), Null, Null})
	w.Close()
	want := "patient_id,s,b,f,d,n\r\n1,\"a,\"\"b\"\"\",T,1e+16,2020-02-29,\r\n2,\"line\nbreak\",F,0.5,,-3\r\n10,,,-0.0,,\r\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}

// Dummy tables: omitted columns are NULL, extra columns ignored, categories checked with
// ehrQL's message, bad values named by file, row and column.
func TestDummyTableValidation(t *testing.T) {
	got := run(t, exists(P), vars{{Name: "sex", Series: c(P, "sex")}, {Name: "i", Series: c(P, "i")}},
		map[string]string{"patients": "extra,patient_id,sex|x,1,male|y,2,|"})
	check(t, got, "patient_id,sex,i|1,male,|2,,|")
	for _, tc := range []struct{ table, want string }{
		{"patient_id,sex|1,F|", "FileValidationError: '%s/patients.csv', row 1: column 'sex': 'F' not in valid categories: 'female', 'male', 'intersex', 'unknown'"},
		{"patient_id,i|1,2|2,x|", "FileValidationError: '%s/patients.csv', row 2: column 'i': invalid literal for int() with base 10: 'x'"},
		{"patient_id,date_of_birth|1,2020-02-30|", "FileValidationError: '%s/patients.csv', row 1: column 'date_of_birth': Invalid isoformat string: '2020-02-30'"},
		{"patient_id,a|1,True|", "FileValidationError: '%s/patients.csv', row 1: column 'a': invalid boolean 'True': use T or F"},
		{"patient_id,i|1|", "FileValidationError: '%s/patients.csv', row 1: expected 2 values (one per header column) but found 1"},
		{"sex|male|", "FileValidationError: '%s/patients.csv': missing column 'patient_id'"},
	} {
		_, err := runErr(t, exists(P), vars{{Name: "sex", Series: c(P, "sex")}}, map[string]string{"patients": tc.table})
		if err == nil || !strings.HasPrefix(err.Error(), "FileValidationError: '") || !strings.HasSuffix(err.Error(), strings.SplitN(tc.want, "%s", 2)[1]) {
			t.Errorf("%q: err = %v, want %s", tc.table, err, tc.want)
		}
	}
	_, err := runErr(t, exists(E), nil, map[string]string{})
	if err == nil || !strings.Contains(err.Error(), "Missing file: ") {
		t.Errorf("err = %v", err)
	}
}

func TestParseNumbers(t *testing.T) {
	for s, ok := range map[string]bool{"12": true, " 12 ": true, "+1": true, "-1_000": true, "1__0": false, "1.0": false, "": false, "--1": false, "_1": false} {
		if _, got := ParseInt(s); got != ok {
			t.Errorf("ParseInt(%q) ok = %v", s, got)
		}
	}
	for s, ok := range map[string]bool{"1": true, "1.5": true, "1e5": true, "inf": true, "-nan": true, " 2 ": true, "0x10": false, "1,5": false, "abc": false} {
		if _, got := ParseFloat(s); got != ok {
			t.Errorf("ParseFloat(%q) ok = %v", s, got)
		}
	}
}
