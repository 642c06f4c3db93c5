// Package testgen writes realistic, generated ehrQL dataset definitions for tests and
// benchmarks.
package testgen

import (
	"fmt"
	"strings"
)

// DatasetDefinition writes an ehrQL-like dataset definition of about the
// given number of lines, in the style of the largest real studies: imports,
// codelists, helper functions, dataset.x = ... chains, loops, dicts,
// comprehensions, f-strings and module-level ifs.
func DatasetDefinition(lines int) string {
	var b strings.Builder
	b.WriteString(`"""Dataset definition for a generated study."""
from datetime import date
import operator
from functools import reduce

from ehrql import case, codelist_from_csv, create_dataset, days, months, when, years, minimum_of
from ehrql.tables.tpp import (
    addresses,
    apcs,
    clinical_events as events,
    medications,
    ons_deaths,
    patients,
    practice_registrations,
)
from codelists import *

index_date = "2023-04-01"
study_end = date(2024, 3, 31)

dataset = create_dataset()
dataset.configure_dummy_data(population_size=1000)
dataset.define_population(practice_registrations.for_patient_on(index_date).exists_for_patient())

`)
	n := strings.Count(b.String(), "\n")
	for i := 0; n < lines; i++ {
		var s string
		switch i % 8 {
		case 0:
			s = fmt.Sprintf(`codelist_%d = codelist_from_csv(
    "codelists/opensafely-condition-%d.csv",
    column="code",
)
`, i, i)
		case 1:
			s = fmt.Sprintf(`

def has_prior_event_%d(codelist, where=True, on_or_before=index_date):
    """Whether the patient has an event in codelist before the date."""
    return (
        events.where(events.snomedct_code.is_in(codelist))
        .where(events.date.is_on_or_before(on_or_before))
        .where(where)
        .exists_for_patient()
    )

`, i)
		case 2:
			s = fmt.Sprintf(`dataset.first_event_%d_date = (
    events.where(events.snomedct_code.is_in(codelist_%d))
    .where(events.date.is_on_or_between(index_date, study_end - days(%d)))
    .sort_by(events.date)
    .first_for_patient()
    .date
)
`, i, i-2, i)
		case 3:
			s = fmt.Sprintf(`dataset.age_band_%d = case(
    when(patients.age_on(index_date) < 18).then("0-17"),
    when((patients.age_on(index_date) >= 18) & (patients.age_on(index_date) < 65)).then("18-64"),
    otherwise="65+",
)
`, i)
		case 4:
			s = fmt.Sprintf(`for n, (name, codes) in enumerate(codelists_%d.items()):
    if n %% 2 == 0 and not name.startswith("_"):
        setattr(dataset, f"had_{name}_{n:03d}", has_prior_event_%d(codes))
    else:
        dataset.add_column(f"count_{name}", events.where(events.ctv3_code.is_in(codes)).count_for_patient())
`, i, i-3)
		case 5:
			s = fmt.Sprintf(`codelists_%d = {
    "asthma": codelist_from_csv("codelists/asthma.csv", column="code"),
    "copd": codelist_from_csv("codelists/copd.csv", column="CTV3ID", category_column="Grouping_6"),
    **extra_codelists,
}
weights_%d = [x * 1.5e-3 for x in range(10) if x %% 3 != 1]
`, i+1, i)
		case 6:
			s = fmt.Sprintf(`if args.cohort == "vaccinated":
    dataset.vax_date_%d = minimum_of(dataset.first_event_%d_date, index_date + months(%d))
elif args.cohort in ("unvaccinated", 'prevax'):
    dataset.vax_date_%d = patients.date_of_death
else:
    raise ValueError(f"unknown cohort {args.cohort!r}")
`, i, i-4, i%12, i)
		case 7:
			s = fmt.Sprintf(`registered_%d = practice_registrations.for_patient_on(index_date).exists_for_patient()
dataset.add_column("alive_registered_%d", registered_%d & patients.is_alive_on(index_date) & ~ons_deaths.date.is_before(index_date))

`, i, i, i)
		}
		b.WriteString(s)
		n += strings.Count(s, "\n")
	}
	return b.String()
}
