# Dataset column and population rules.
from ehrql import create_dataset, when
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
dataset.define_population(patients.date_of_birth.is_not_null())
dataset.define_population(patients.exists_for_patient())  # @diag EQ014 "dataset.define_population(patients.exists_for_patient())"
dataset.event_date = clinical_events.date  # @diag EQ010 "clinical_events.date"
dataset.picked = clinical_events.sort_by(clinical_events.date).first_for_patient()  # @diag EQ011 "clinical_events.sort_by(clinical_events.date).first_for_patient()"
dataset.diff = patients.date_of_death - patients.date_of_birth  # @diag EQ012 "patients.date_of_death - patients.date_of_birth"
dataset.uncalled = clinical_events.exists_for_patient  # @diag EQ012 "clinical_events.exists_for_patient"
dataset.comma = patients.sex,  # @diag EQ012 "patients.sex,"
dataset.patient_id = patients.sex  # @diag EQ030 "patient_id"
dataset.population = patients.sex  # @diag EQ030 "population"
dataset.add_column("_hidden", patients.sex)  # @diag EQ030 "\"_hidden\""
dataset.sex = patients.sex
dataset.sex = patients.sex  # @diag EQ031 "sex"
dataset.missing_otherwise = when(patients.sex == "male").then(1)  # @diag EQ032 "when(patients.sex == \"male\").then(1)"
x = dataset.undefined_column  # @diag EQ002 "undefined_column"
