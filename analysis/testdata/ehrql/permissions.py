# A table that needs a permission.
from ehrql import create_dataset
from ehrql.tables.tpp import patients, appointments  # @diag EQ050 "appointments"

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.n = appointments.count_for_patient()
