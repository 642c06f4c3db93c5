from ehrql import codelist_from_csv, create_dataset, days, years
from ehrql.tables.core import clinical_events, medications, patients, practice_registrations

index_date = "2024-03-31"

asthma_codes = codelist_from_csv("codelists/asthma.csv", column="code")
inhaler_codes = codelist_from_csv("codelists/meds.csv", column="code")

dataset = create_dataset()
dataset.configure_dummy_data(population_size=1000)

registered = practice_registrations.for_patient_on(index_date).exists_for_patient()
alive = patients.is_alive_on(index_date)
age = patients.age_on(index_date)
asthma = clinical_events.where(clinical_events.snomedct_code.is_in(asthma_codes)).where(
    clinical_events.date.is_on_or_before(index_date)
)
dataset.define_population(registered & alive & (age >= 18) & (age < 80) & asthma.exists_for_patient())

dataset.sex = patients.sex
dataset.age = age
dataset.first_asthma = asthma.sort_by(clinical_events.date).first_for_patient().date
dataset.inhalers = medications.where(medications.dmd_code.is_in(inhaler_codes)).where(
    medications.date.is_on_or_between(index_date - years(1), index_date)
).count_for_patient()
dataset.last_med = medications.sort_by(medications.date).last_for_patient().dmd_code
dataset.practice = practice_registrations.for_patient_on(index_date).practice_pseudo_id
