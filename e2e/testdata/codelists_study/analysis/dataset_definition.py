from ehrql import create_dataset, codelist_from_csv
from ehrql.tables.tpp import patients, clinical_events

asthma = codelist_from_csv("codelists/opensafely-asthma.csv", column="code")

dataset = create_dataset()
dataset.has_asthma = clinical_events.where(clinical_events.snomedct_code.is_in(asthma)).exists_for_patient()
dataset.define_population(patients.exists_for_patient())
