# A valid definition using the Python that real studies use: nothing may be reported.
# @file codelists/opensafely-asthma.csv: code,term|195967001,Asthma|389145006,Allergic asthma
# @file codelists/opensafely-ethnicity.csv: code,Grouping_6|1234567001,1|2234567001,2
# @file codelists/codelists.txt: opensafely/asthma/v1|opensafely/ethnicity/v1
import datetime
from functools import reduce
import operator
from ehrql import create_dataset, codelist_from_csv, case, when, days, months, years, minimum_of, maximum_of, INTERVAL
from ehrql.tables.tpp import (
    patients,
    clinical_events as events,
    practice_registrations,
    medications,
    addresses,
    ons_deaths,
    apcs,
)
from ehrql.tables import tpp as schema

index_date = datetime.date(2024, 3, 31)
start = "2020-01-01"
asthma = codelist_from_csv("codelists/opensafely-asthma.csv", column="code")
ethnicity = codelist_from_csv("codelists/opensafely-ethnicity.csv", column="code", category_column="Grouping_6")
codes = {"asthma": asthma}

dataset = create_dataset()
dataset.configure_dummy_data(population_size=1000)


def has_event(codelist, on_or_before=index_date):
    return events.where(events.snomedct_code.is_in(codelist)).where(events.date.is_on_or_before(on_or_before)).exists_for_patient()


def last_event(codelist):
    return (
        events.where(events.snomedct_code.is_in(codelist))
        .sort_by(events.date)
        .last_for_patient()
    )


registered = practice_registrations.for_patient_on(index_date)
age = patients.age_on(index_date)  # @type "age" IntPatientSeries
dataset.define_population(registered.exists_for_patient() & (age >= 18) & (age < 110) & patients.is_alive_on(index_date))

dataset.age = age
dataset.sex = patients.sex
dataset.age_band = case(
    when(age < 40).then("18-39"),
    when((age >= 40) & (age < 65)).then("40-64"),
    otherwise="65+",
)
dataset.has_asthma = has_event(asthma)
dataset.last_asthma = last_event(asthma).date  # @type "date" DatePatientSeries
dataset.years_since = (index_date - dataset.last_asthma).years
dataset.first_med = medications.sort_by(medications.date).first_for_patient().date
dataset.imd = addresses.for_patient_on(index_date).imd_rounded
dataset.practice = registered.practice_pseudo_id
dataset.died = ons_deaths.date.is_on_or_before(index_date)
dataset.ethnicity = (
    events.where(events.snomedct_code.is_in(ethnicity))
    .sort_by(events.date)
    .last_for_patient()
    .snomedct_code.to_category(ethnicity)
)
dataset.earliest = minimum_of(dataset.last_asthma, dataset.first_med, "2030-01-01")
dataset.n_admissions = apcs.where(apcs.admission_date.is_on_or_between(start, index_date)).count_for_patient()
dataset.any_resp = apcs.where(apcs.all_diagnoses.contains("J45")).exists_for_patient()
dataset.recent = schema.clinical_events.where(schema.clinical_events.date > index_date - months(6)).exists_for_patient()
dataset.value = events.where(events.numeric_value > 5).sort_by(events.date).first_for_patient().numeric_value
dataset.value_plus = dataset.value + 1
dataset.dob_year = patients.date_of_birth.year
dataset.dead_by = patients.date_of_death.is_on_or_before(index_date + days(30))

for name, codelist in codes.items():
    dataset.add_column(f"has_{name}_ever", has_event(codelist))
    setattr(dataset, f"last_{name}_date", last_event(codelist).date)

for n in range(1, 4):
    dataset.add_column(f"vax_{n}", events.where(events.date > start).sort_by(events.date).first_for_patient().date)

conditions = [has_event(asthma), dataset.has_asthma]
dataset.any_condition = reduce(operator.or_, conditions)
dataset.lookup = getattr(dataset, "age") + 1
dataset.when_null = dataset.value.when_null_then(0.0)
dataset.mapped = patients.sex.map_values({"male": 1, "female": 2}, default=0)
dataset.episodes = events.date.count_episodes_for_patient(days(30))
dataset.ratio = dataset.age / 10
dataset.first_day = patients.date_of_birth.to_first_of_month()
for i in range(1, 3):
    dataset.add_column(f"cause_{i:02d}", getattr(ons_deaths, f"cause_of_death_{i:02d}").is_in(["U071"]))
fmt_only = f"{3.14159:.2f}"
events_table = events.where(events.snomedct_code.is_in(asthma))
dataset.add_event_table("asthma_events", date=events_table.date, code=events_table.snomedct_code)
