# Unknown names, columns and methods, and names from the other API version.
from ehrql import create_dataset, codelists_from_csv  # @diag EQ001 "codelists_from_csv"
from ehrql.tables.tpp import patients, clinical_events, hospital_admissions  # @diag EQ001 "hospital_admissions"
from ehrql.tables.core import medications

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.a = clinical_events.sort_by(clinical_events.datee).first_for_patient().date  # @diag EQ002 "datee"
dataset.b = patients.date_of_birth.latest_for_patient()  # @diag EQ003 "latest_for_patient"
dataset.c = patients.sex.fill_null("unknown")  # @diag EQ003 "fill_null"
dataset.d = patients.date_of_birth.if_null_then("2000-01-01")  # @diag EQ004 "if_null_then"
dataset.e = medications.where(medications.dmd_code.is_in_range(["1"])).exists_for_patient()  # @diag EQ003 "is_in_range"
dataset.configure_dummy_dataset(population_size=10)  # @diag EQ004 "configure_dummy_dataset"
dataset.f = patients.age_on("2020-01-01")
