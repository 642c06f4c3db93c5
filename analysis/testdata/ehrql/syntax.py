# A syntax error is reported where it is, and the rest of the file is still checked.
from ehrql import create_dataset
from ehrql.tables.core import patients

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.x = (patients.sex ==  # @diag EQ000 "dataset.x = (patients.sex =="
dataset.y = patients.date_of_birth.yaer  # @diag EQ003 "yaer"
