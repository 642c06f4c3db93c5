package qm

import "testing"

func d(s string) Date {
	x, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func TestParseDate(t *testing.T) {
	for _, bad := range []string{"2020-1-1", "2021-02-30", "20200101", "2020-13-01", "0000-01-01", " 2020-01-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if got := d("2024-02-29"); got != (Date{2024, 2, 29}) {
		t.Errorf("got %v", got)
	}
}

func TestDateArithmetic(t *testing.T) {
	cases := []struct {
		start  string
		months int
		want   string
	}{
		{"2020-01-31", 1, "2020-03-01"},
		{"2021-03-31", -1, "2021-03-01"},
		{"2020-02-29", 12, "2021-03-01"},
		{"2020-01-15", 1, "2020-02-15"},
		{"2020-12-31", 2, "2021-03-03"[:0] + "2021-03-01"},
		{"2019-12-15", -12, "2018-12-15"},
	}
	for _, c := range cases {
		got, ok := d(c.start).AddMonths(c.months)
		if !ok || got.String() != c.want {
			t.Errorf("%s + %d months = %v, want %s", c.start, c.months, got, c.want)
		}
	}
	if got := d("2019-12-25").MonthsSince(d("2020-01-01")); got != -1 {
		t.Errorf("months = %d, want -1", got)
	}
	if got := d("2020-01-01").MonthsSince(d("2019-12-25")); got != 0 {
		t.Errorf("months = %d, want 0", got)
	}
	if got := d("2019-12-25").YearsSince(d("2020-01-01")); got != -1 {
		t.Errorf("years = %d, want -1", got)
	}
	if got := d("2024-03-01").YearsSince(d("2000-03-01")); got != 24 {
		t.Errorf("age = %d", got)
	}
	if got := d("2020-03-01").DaysSince(d("2020-02-01")); got != 29 {
		t.Errorf("days = %d", got)
	}
	if got := d("2020-01-01").AddDays(-1).String(); got != "2019-12-31" {
		t.Errorf("got %s", got)
	}
}

func TestDomains(t *testing.T) {
	events := &Table{Module: "ehrql.tables.core", Name: "clinical_events", Columns: []Column{{Name: "date", Type: TDate}, {Name: "numeric_value", Type: TFloat}}}
	meds := &Table{Module: "ehrql.tables.core", Name: "medications", Columns: []Column{{Name: "date", Type: TDate}}}
	ce := NewSelectTable(events)
	ce2 := NewSelectTable(events)
	if ce.Key() != ce2.Key() || !SameDomain(NewColumn(ce, "date", TDate), NewColumn(ce2, "numeric_value", TFloat)) {
		t.Error("the same table must give the same domain")
	}
	me := NewSelectTable(meds)
	if SameDomain(NewColumn(ce, "date", TDate), NewColumn(me, "date", TDate)) {
		t.Error("different tables must not share a domain")
	}
	cond := NewFunction(FnGT, TBool, NewColumn(ce, "numeric_value", TFloat), NewValue(5.0, TFloat))
	filtered := NewFilter(ce, cond)
	if SameDomain(NewColumn(filtered, "date", TDate), NewColumn(ce, "date", TDate)) {
		t.Error("a filtered frame has its own domain")
	}
	if !ce.Domain().IsAncestorOrEqual(filtered.Domain()) || filtered.Domain().IsAncestorOrEqual(ce.Domain()) {
		t.Error("ancestry is wrong")
	}
	sorted := NewSort(filtered, NewColumn(filtered, "date", TDate))
	if sorted.Domain() != filtered.Domain() || !sorted.Sorted() {
		t.Error("sorting keeps the domain")
	}
	p := NewPick(sorted, false)
	if p.Dim() != Patient || p.Domain() != nil {
		t.Error("a pick is patient level")
	}
	if SeriesName(TDate, Patient) != "DatePatientSeries" || SeriesName(TBool, Event) != "BoolEventSeries" {
		t.Error("series names")
	}
}
