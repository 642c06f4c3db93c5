# The same table, with the permission claimed: nothing to report.
from ehrql import create_dataset, claim_permissions
from ehrql.tables.tpp import patients, appointments

claim_permissions("appointments")
dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.n = appointments.count_for_patient()
