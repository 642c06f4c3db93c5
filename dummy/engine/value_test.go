package engine

import (
	"testing"

	"github.com/opensafely-core/osls/analysis/qm"
)

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{
		3: "3.0", 0: "0.0", 0.1: "0.1", 1e-07: "1e-07", 2.5e-08: "2.5e-08",
		1.2345678901234568e+16: "1.2345678901234568e+16", 1.5241578753238837e+32: "1.5241578753238837e+32",
		6172839450617284.0: "6172839450617284.0", 0.00031622776601683794: "0.00031622776601683794",
		1e16: "1e+16", 1e15: "1000000000000000.0", 0.0001: "0.0001", 0.00001: "1e-05", -2.5: "-2.5",
		123.456: "123.456", 1e100: "1e+100", 2.0 / 3: "0.6666666666666666", 1e22: "1e+22",
	} {
		if got := FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestCivilDays(t *testing.T) {
	for _, d := range []qm.Date{{Year: 1970, Month: 1, Day: 1}, {Year: 1, Month: 1, Day: 1}, {Year: 9999, Month: 12, Day: 31}, {Year: 2000, Month: 2, Day: 29}, {Year: 1900, Month: 3, Day: 1}, {Year: 2024, Month: 12, Day: 31}} {
		n := DaysFromCivil(d.Year, d.Month, d.Day)
		y, m, dd := CivilFromDays(n)
		if (qm.Date{Year: y, Month: m, Day: dd}) != d {
			t.Errorf("%v -> %d -> %d-%d-%d", d, n, y, m, dd)
		}
	}
	if DaysFromCivil(1970, 1, 2) != 1 || DaysFromCivil(1969, 12, 31) != -1 {
		t.Error("epoch")
	}
	if DaysFromCivil(2020, 3, 1)-DaysFromCivil(2020, 2, 28) != 2 {
		t.Error("leap")
	}
}
