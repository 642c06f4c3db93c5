# @version v0
# An ehrql:v0 definition: the v0 names are valid here.
from ehrql import Dataset, case, when
from ehrql.tables.beta.tpp import patients, clinical_events

dataset = Dataset()
dataset.define_population(patients.exists_for_patient())
dataset.dob = patients.date_of_birth.if_null_then("2000-01-01")
dataset.configure_dummy_dataset(population_size=10)
dataset.band = case(when(patients.sex == "male").then("m"), default="f")
dataset.alive = patients.is_alive_on("2020-01-01")  # @diag EQ004 "is_alive_on"
