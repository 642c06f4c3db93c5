# Population rules: type, dimension and true-for-everyone.
from ehrql import create_dataset
from ehrql.tables.core import patients, clinical_events

dataset = create_dataset()
dataset.define_population(~clinical_events.exists_for_patient())  # @diag EQ016 "~clinical_events.exists_for_patient()"
other = create_dataset()
other.define_population(patients.date_of_birth)  # @diag EQ013 "patients.date_of_birth"
third = create_dataset()
third.define_population(clinical_events.date.is_not_null())  # @diag EQ013 "clinical_events.date.is_not_null()"
