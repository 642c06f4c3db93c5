# Python keywords that ehrQL series cannot take, and case/when mistakes.
from ehrql import create_dataset, case, when
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
age = patients.age_on("2020-01-01")
dataset.define_population(patients.exists_for_patient() and age > 18)  # @diag EQ025 "patients.exists_for_patient() and age > 18"
dataset.a = not patients.exists_for_patient()  # @diag EQ025 "not patients.exists_for_patient()"
dataset.b = 18 < age < 65  # @diag EQ025 "18 < age < 65"
if age > 18:  # @diag EQ025 "age > 18"
    pass
dataset.c = clinical_events.first_for_patient().date  # @diag EQ026 "first_for_patient"
dataset.d = case(when(age > 18), otherwise=1)  # @diag EQ032 "when(age > 18)"
dataset.e = case(when(age > 18).then(None))  # @diag EQ029 "case(when(age > 18).then(None))"
dataset.f = 1 if age > 18 else 0  # @diag EQ025 "age > 18"
