package qm

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Date is a calendar date without a time zone, as ehrQL's dates are.
type Date struct {
	Year, Month, Day int
}

var isoDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)

// ParseDate reads a date written exactly as YYYY-MM-DD, the only form ehrQL accepts, and
// refuses impossible dates such as 2021-02-30.
func ParseDate(s string) (Date, error) {
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return Date{}, fmt.Errorf("Dates must be in YYYY-MM-DD format: %q", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if !ValidDate(y, mo, d) {
		return Date{}, fmt.Errorf("%s is not a real date", s)
	}
	return Date{y, mo, d}, nil
}

// ValidDate reports whether y-m-d is a real date between year 1 and 9999.
func ValidDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= DaysIn(y, m)
}

// DaysIn returns the number of days in month m of year y.
func DaysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func (d Date) t() time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

func fromTime(t time.Time) Date { return Date{t.Year(), int(t.Month()), t.Day()} }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// AddDays moves the date by n days.
func (d Date) AddDays(n int) Date { return fromTime(d.t().AddDate(0, 0, n)) }

// AddMonths moves the date by n months; a day that does not exist in the target month rolls
// forward to the first of the next month (31 January + 1 month = 1 March), as ehrQL does.
func (d Date) AddMonths(n int) (Date, bool) {
	total := d.Year*12 + (d.Month - 1) + n
	y, m := total/12, total%12+1
	if total < 0 {
		return Date{}, false
	}
	if y < 1 || y > 9999 {
		return Date{}, false
	}
	if d.Day > DaysIn(y, m) {
		if m == 12 {
			if y+1 > 9999 {
				return Date{}, false
			}
			return Date{y + 1, 1, 1}, true
		}
		return Date{y, m + 1, 1}, true
	}
	return Date{y, m, d.Day}, true
}

// AddYears moves the date by n years; 29 February in a non-leap year becomes 1 March.
func (d Date) AddYears(n int) (Date, bool) { return d.AddMonths(12 * n) }

// DaysSince returns the number of days from e to d (d - e).
func (d Date) DaysSince(e Date) int { return int(d.t().Sub(e.t()).Hours() / 24) }

// MonthsSince returns ehrQL's whole-month difference d - e: the change in months, less one
// when d's day of month is earlier than e's.
func (d Date) MonthsSince(e Date) int {
	n := (d.Year-e.Year)*12 + (d.Month - e.Month)
	if d.Day < e.Day {
		n--
	}
	return n
}

// YearsSince returns ehrQL's whole-year difference d - e (age in years for a birth date e).
func (d Date) YearsSince(e Date) int {
	n := d.Year - e.Year
	if d.Month < e.Month || (d.Month == e.Month && d.Day < e.Day) {
		n--
	}
	return n
}
