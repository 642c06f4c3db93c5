# @command generate-measures
# A measures definition.
from ehrql import create_measures, months, INTERVAL
from ehrql.tables.core import patients, clinical_events

measures = create_measures()
measures.configure_dummy_data(population_size=100)
measures.define_defaults(intervals=months(12).starting_on("2022-01-01"))
denominator = patients.exists_for_patient() & patients.is_alive_on(INTERVAL.start_date)
numerator = clinical_events.where(clinical_events.date.is_during(INTERVAL)).exists_for_patient()
measures.define_measure(name="events", numerator=numerator, denominator=denominator, group_by={"sex": patients.sex})
measures.define_measure(name="bad", numerator=clinical_events.date, denominator=denominator)  # @diag EQ021 "clinical_events.date"
measures.define_measure(name="bad_intervals", numerator=numerator, denominator=denominator, intervals=months(3))  # @diag EQ029 "months(3)"
