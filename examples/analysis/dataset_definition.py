from ehrql import codelist_from_csv, create_dataset, years
from ehrql.tables.tpp import clinical_events, patients, practice_registrations

index_date = "2024-03-31"

asthma_codes = codelist_from_csv("codelists/opensafely-asthma-diagnosis-snomed.csv", column="code")

dataset = create_dataset()
dataset.configure_dummy_data(population_size=1000)

registered = practice_registrations.for_patient_on(index_date).exists_for_patient()
aged_18_plus = patients.age_on(index_date) >= 18
dataset.define_population(registered & aged_18_plus)

dataset.sex = patients.sex
dataset.age = patients.age_on(index_date)
dataset.has_asthma = (
    clinical_events.where(clinical_events.snomedct_code.is_in(asthma_codes))
    .where(clinical_events.date.is_on_or_before(index_date))
    .exists_for_patient()
)
