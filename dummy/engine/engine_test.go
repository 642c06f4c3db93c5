package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

// Hand-made tables for the semantics tests.
var (
	tPatients = &qm.Table{Module: "test", Name: "patients", Patient: true, Columns: []qm.Column{
		{Name: "date_of_birth", Type: qm.TDate},
		{Name: "sex", Type: qm.TStr, Categories: []string{"female", "male", "intersex", "unknown"}},
		{Name: "date_of_death", Type: qm.TDate},
		{Name: "a", Type: qm.TBool}, {Name: "b", Type: qm.TBool},
		{Name: "i", Type: qm.TInt}, {Name: "j", Type: qm.TInt}, {Name: "f", Type: qm.TFloat},
	}}
	tEvents = &qm.Table{Module: "test", Name: "events", Columns: []qm.Column{
		{Name: "date", Type: qm.TDate},
		{Name: "code", Type: qm.Type{Kind: qm.Code, System: "SNOMEDCT"}},
		{Name: "value", Type: qm.TFloat},
		{Name: "n", Type: qm.TInt},
		{Name: "flag", Type: qm.TBool},
	}}
	tRegs = &qm.Table{Module: "test", Name: "practice_registrations", Columns: []qm.Column{
		{Name: "start_date", Type: qm.TDate}, {Name: "end_date", Type: qm.TDate}, {Name: "practice_pseudo_id", Type: qm.TInt},
	}}
)

var (
	P   = qm.NewSelectTable(tPatients)
	E   = qm.NewSelectTable(tEvents)
	R   = qm.NewSelectTable(tRegs)
	tru = qm.NewValue(true, qm.TBool)
)

func c(f qm.Frame, name string) qm.Series {
	cl, _ := f.Table().Column(name)
	return qm.NewColumn(f, name, cl.Type)
}
func f(op qm.FnOp, t qm.Type, args ...qm.Series) qm.Series { return qm.NewFunction(op, t, args...) }
func b(op qm.FnOp, args ...qm.Series) qm.Series            { return qm.NewFunction(op, qm.TBool, args...) }
func v(x any, t qm.Type) qm.Series                         { return qm.NewValue(x, t) }
func d(s string) qm.Series {
	dd, err := qm.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return qm.NewValue(dd, qm.TDate)
}
func i(n int64) qm.Series    { return qm.NewValue(n, qm.TInt) }
func fl(x float64) qm.Series { return qm.NewValue(x, qm.TFloat) }
func agg(op qm.AggOp, s qm.Series, t qm.Type) qm.Series {
	return qm.NewSeriesAggregate(op, s, t, 0)
}
func exists(fr qm.Frame) qm.Series { return qm.NewFrameAggregate(qm.AggExists, fr) }

type vars []qm.Variable

// run evaluates a dataset over tables given as CSV text (file name -> content).
func run(t *testing.T, pop qm.Series, vs vars, tables map[string]string) string {
	t.Helper()
	out, err := runErr(t, pop, vs, tables)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(t *testing.T, pop qm.Series, vs vars, tables map[string]string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range tables {
		os.WriteFile(filepath.Join(dir, name+".csv"), []byte(strings.ReplaceAll(content, "|", "\n")), 0o644)
	}
	ds := &qm.Dataset{Population: pop, Variables: vs}
	p, err := Compile(ds)
	if err != nil {
		return "", err
	}
	if err := p.CheckPopulation(); err != nil {
		return "", err
	}
	src, err := LoadDummyTables(p, dir, "")
	if err != nil {
		return "", err
	}
	defer src.Close()
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	if _, err := Evaluate(context.Background(), p, src, w); err != nil {
		return "", err
	}
	w.Close()
	return strings.ReplaceAll(buf.String(), "\r\n", "|"), nil
}

func check(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", strings.ReplaceAll(got, "|", "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}

// The universe is every patient in any table the dataset uses; rows come out by patient_id;
// a patient with no patients row gets NULLs; NULL population excludes.
func TestUniverseAndPopulation(t *testing.T) {
	pop := b(qm.FnOr, exists(E), b(qm.FnGT, c(P, "i"), i(0)))
	got := run(t, pop, vars{{Name: "sex", Series: c(P, "sex")}, {Name: "n", Series: qm.NewFrameAggregate(qm.AggCount, E)}}, map[string]string{
		"patients": "patient_id,sex,i|3,male,1|1,female,0|2,,|7,female,|",
		"events":   "patient_id,date|9,2020-01-01|2,|9,2021-01-01|",
	})
	// 1: i=0 and no events: False. 7: i NULL, no events: NULL -> excluded.
	check(t, got, "patient_id,sex,n|2,,1|3,male,0|9,,2|")
}

func TestPopulationTrueForNull(t *testing.T) {
	_, err := runErr(t, b(qm.FnNot, exists(E)), nil, map[string]string{"events": "patient_id|"})
	if !errors.Is(err, ErrPopulationTrueForNull) {
		t.Fatalf("err = %v", err)
	}
	_, err = runErr(t, b(qm.FnLT, qm.NewFrameAggregate(qm.AggCount, E), i(5)), nil, map[string]string{"events": "patient_id|"})
	if !errors.Is(err, ErrPopulationTrueForNull) {
		t.Fatalf("err = %v", err)
	}
}

// Kleene logic: F&N=F, T|N=T, otherwise NULL propagates; ~N=N; is_null never NULL.
func TestThreeValuedLogic(t *testing.T) {
	a, bb := c(P, "a"), c(P, "b")
	got := run(t, exists(P), vars{
		{Name: "and", Series: b(qm.FnAnd, a, bb)},
		{Name: "or", Series: b(qm.FnOr, a, bb)},
		{Name: "not", Series: b(qm.FnNot, a)},
		{Name: "eq", Series: b(qm.FnEQ, a, bb)},
		{Name: "isnull", Series: b(qm.FnIsNull, a)},
	}, map[string]string{"patients": "patient_id,a,b|1,T,T|2,T,F|3,T,|4,F,T|5,F,F|6,F,|7,,T|8,,F|9,,|"})
	check(t, got, "patient_id,and,or,not,eq,isnull|"+
		"1,T,T,F,T,F|2,F,T,F,F,F|3,,T,F,,F|4,F,T,T,F,F|5,F,F,T,T,F|6,F,,T,,F|7,,T,,,T|8,F,,,,T|9,,,,,T|")
}

// Aggregations ignore NULLs; sum/mean/min/max of nothing are NULL; counts are 0;
// exists is False.
func TestAggregations(t *testing.T) {
	val, n, dt := c(E, "value"), c(E, "n"), c(E, "date")
	got := run(t, exists(P), vars{
		{Name: "sum", Series: agg(qm.AggSum, val, qm.TFloat)},
		{Name: "isum", Series: agg(qm.AggSum, n, qm.TInt)},
		{Name: "mean", Series: agg(qm.AggMean, val, qm.TFloat)},
		{Name: "min", Series: agg(qm.AggMin, dt, qm.TDate)},
		{Name: "max", Series: agg(qm.AggMax, val, qm.TFloat)},
		{Name: "count", Series: qm.NewFrameAggregate(qm.AggCount, E)},
		{Name: "exists", Series: exists(E)},
		{Name: "distinct", Series: agg(qm.AggCountDistinct, n, qm.TInt)},
		{Name: "episodes", Series: qm.NewSeriesAggregate(qm.AggCountEpisodes, dt, qm.TInt, 3)},
	}, map[string]string{
		"patients": "patient_id|1|2|3|",
		"events": "patient_id,date,value,n|" +
			"1,2020-01-01,1.5,2|1,2020-01-04,,2|1,2020-01-08,2.0,|1,,0.25,5|" +
			"2,,,|",
	})
	// Patient 1 episodes: 01-01, 01-04 (gap 3, same), 01-08 (gap 4 > 3: new) -> 2.
	check(t, got, "patient_id,sum,isum,mean,min,max,count,exists,distinct,episodes|"+
		"1,3.75,9,1.25,2020-01-01,2.0,4,T,2,2|"+
		"2,,,,,,1,T,0,0|"+
		"3,,,,,,0,F,0,0|")
}

// Float sums are compensated (as Python's sum); means are exactly rounded (fsum / n).
func TestFloatSummation(t *testing.T) {
	got := run(t, exists(E), vars{
		{Name: "sum", Series: agg(qm.AggSum, c(E, "value"), qm.TFloat)},
		{Name: "mean", Series: agg(qm.AggMean, c(E, "value"), qm.TFloat)},
	}, map[string]string{"events": "patient_id,value|1,0.1|1,0.2|1,0.3|2,1e16|2,1.0|2,-1e16|"})
	// Naive left-to-right: 0.1+0.2+0.3 = 0.6000000000000001; compensated: 0.6; and
	// 0.6 / 3 is 0.19999999999999998 in floating point.
	check(t, got, "patient_id,sum,mean|1,0.6,0.19999999999999998|2,1.0,0.3333333333333333|")
}

// NULL sorts first; ties are broken by every column selected from the picked frame (by
// name), then by file order.
func TestSortTieBreak(t *testing.T) {
	sorted := qm.NewSort(E, c(E, "date"))
	first, last := qm.NewPick(sorted, false), qm.NewPick(sorted, true)
	got := run(t, exists(E), vars{
		{Name: "first_value", Series: c(first, "value")},
		{Name: "last_value", Series: c(last, "value")},
		{Name: "first_date", Series: c(first, "date")},
	}, map[string]string{"events": "patient_id,date,value|" +
		"1,2020-01-01,|1,2020-01-01,5.0|1,2020-01-01,3.0|" +
		"2,2020-02-01,1.0|2,,9.0|"})
	check(t, got, "patient_id,first_value,last_value,first_date|1,,5.0,2020-01-01|2,9.0,1.0,|")
}

// Without any other selected column, equal keys fall back to file order: first picks the
// earliest row, last the latest.
func TestSortFileOrder(t *testing.T) {
	sorted := qm.NewSort(E, c(E, "date"))
	got := run(t, exists(E), vars{
		{Name: "first", Series: c(qm.NewPick(sorted, false), "n")},
		{Name: "last", Series: c(qm.NewPick(qm.NewSort(E, c(E, "date")), true), "n")},
	}, map[string]string{"events": "patient_id,date,n|1,2020-01-01,1|1,2020-01-01,2|1,2020-01-01,3|"})
	// n is selected from both picks, so it is a tie-break key: first=1, last=3.
	check(t, got, "patient_id,first,last|1,1,3|")
}

// sort_by(a, b): the first key has the highest priority.
func TestSortPriority(t *testing.T) {
	s := qm.NewSort(qm.NewSort(E, c(E, "n")), c(E, "date")) // sort_by(date, n)
	got := run(t, exists(E), vars{{Name: "v", Series: c(qm.NewPick(s, true), "value")}},
		map[string]string{"events": "patient_id,date,n,value|1,2020-01-02,1,1.0|1,2020-01-02,0,2.0|1,2020-01-01,9,3.0|"})
	check(t, got, "patient_id,v|1,1.0|")
}

// for_patient_on: an explicit end date wins a tie on start date over a NULL end date.
func TestForPatientOn(t *testing.T) {
	inner := qm.NewFilter(R, qm.NewFunction("Helper:for_patient_on", qm.TBool, d("2020-06-01")))
	pick := qm.NewPick(qm.NewSort(inner, c(inner, "start_date")), true)
	spanning := qm.NewFunction("Helper:exists_for_patient_on", qm.TBool, qm.NewColumn(R, "patient_id", qm.TInt), d("2020-06-01"))
	got := run(t, exists(R), vars{
		{Name: "practice", Series: c(pick, "practice_pseudo_id")},
		{Name: "registered", Series: agg(qm.AggMax, spanning, qm.TBool)},
	}, map[string]string{"practice_registrations": "patient_id,start_date,end_date,practice_pseudo_id|" +
		"1,2019-01-01,2021-01-01,10|1,2019-01-01,,20|" +
		"2,2019-01-01,2020-05-31,30|" +
		"3,2019-01-01,,40|3,2020-01-01,2020-06-01,50|"})
	check(t, got, "patient_id,practice,registered|1,10,T|2,,F|3,50,T|")
}

// Calendar arithmetic rolls forward; differences are not antisymmetric.
func TestDateArithmetic(t *testing.T) {
	dob := c(P, "date_of_birth")
	got := run(t, exists(P), vars{
		{Name: "plus_month", Series: f(qm.FnDateAddMonths, qm.TDate, dob, i(1))},
		{Name: "minus_month", Series: f(qm.FnDateAddMonths, qm.TDate, dob, i(-1))},
		{Name: "plus_year", Series: f(qm.FnDateAddYears, qm.TDate, dob, i(1))},
		{Name: "plus_days", Series: f(qm.FnDateAddDays, qm.TDate, dob, i(366))},
		{Name: "months", Series: f(qm.FnDateDiffMonths, qm.TInt, d("2020-01-01"), dob)},
		{Name: "years", Series: f(qm.FnDateDiffYears, qm.TInt, d("2020-01-01"), dob)},
		{Name: "days", Series: f(qm.FnDateDiffDays, qm.TInt, d("2020-01-01"), dob)},
		{Name: "weeks", Series: f(qm.FnFloorDivide, qm.TInt, f(qm.FnDateDiffDays, qm.TInt, d("2020-01-01"), dob), i(7))},
		{Name: "year", Series: f(qm.FnYear, qm.TInt, dob)},
		{Name: "fom", Series: f(qm.FnToFirstOfMon, qm.TDate, dob)},
		{Name: "foy", Series: f(qm.FnToFirstOfYear, qm.TDate, dob)},
	}, map[string]string{"patients": "patient_id,date_of_birth|1,2020-01-31|2,2021-03-31|3,2020-02-29|4,2019-12-25|5,|"})
	check(t, got, "patient_id,plus_month,minus_month,plus_year,plus_days,months,years,days,weeks,year,fom,foy|"+
		"1,2020-03-01,2019-12-31,2021-01-31,2021-01-31,-1,-1,-30,-5,2020,2020-01-01,2020-01-01|"+
		"2,2021-05-01,2021-03-01,2022-03-31,2022-04-01,-15,-2,-455,-65,2021,2021-03-01,2021-01-01|"+
		"3,2020-03-29,2020-01-29,2021-03-01,2021-03-01,-2,-1,-59,-9,2020,2020-02-01,2020-01-01|"+
		"4,2020-01-25,2019-11-25,2020-12-25,2020-12-25,0,0,7,1,2019,2019-12-01,2019-01-01|"+
		"5,,,,,,,,,,,|")
	// And the other way round: (2019-12-25 - 2020-01-01) is -1 month and -1 year.
	got = run(t, exists(P), vars{
		{Name: "months", Series: f(qm.FnDateDiffMonths, qm.TInt, dob, d("2020-01-01"))},
		{Name: "years", Series: f(qm.FnDateDiffYears, qm.TInt, dob, d("2020-01-01"))},
	}, map[string]string{"patients": "patient_id,date_of_birth|4,2019-12-25|"})
	check(t, got, "patient_id,months,years|4,-1,-1|")
}

// Python's numeric quirks: // floors and is NULL on zero; / is NULL on zero; as_int
// truncates; int ** int stays int; 0 ** -1 is NULL.
func TestNumericQuirks(t *testing.T) {
	ii, jj, ff := c(P, "i"), c(P, "j"), c(P, "f")
	got := run(t, exists(P), vars{
		{Name: "floordiv", Series: f(qm.FnFloorDivide, qm.TInt, ii, jj)},
		{Name: "truediv", Series: f(qm.FnTrueDivide, qm.TFloat, ii, jj)},
		{Name: "pow", Series: f(qm.FnPower, qm.TFloat, ii, jj)},
		{Name: "as_int", Series: f(qm.FnCastToInt, qm.TInt, ff)},
		{Name: "ffloordiv", Series: f(qm.FnFloorDivide, qm.TInt, ff, fl(2))},
		{Name: "neg", Series: f(qm.FnNegate, qm.TFloat, ff)},
		{Name: "abs", Series: f(qm.FnAbsolute, qm.TInt, ii)},
		{Name: "as_float", Series: f(qm.FnCastToFloat, qm.TFloat, ii)},
	}, map[string]string{"patients": "patient_id,i,j,f|1,-1950,4,-2.5|2,7,0,2.5|3,2,3,1e-7|4,0,-1,0|5,2,-1,|"})
	check(t, got, "patient_id,floordiv,truediv,pow,as_int,ffloordiv,neg,abs,as_float|"+
		"1,-488,-487.5,14459006250000,-2,-2,2.5,1950,-1950.0|"+
		"2,,,1,2,1,-2.5,7,7.0|"+
		"3,0,0.6666666666666666,8,0,0,-1e-07,2,2.0|"+
		"4,0,-0.0,,0,0,-0.0,0,0.0|"+
		"5,-2,-2.0,0.5,,,,2,2.0|")
}
