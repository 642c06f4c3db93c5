# Type and domain rules.
from ehrql import create_dataset, days, case, when, maximum_of
from ehrql.tables.tpp import patients, clinical_events, medications, apcs

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.a = clinical_events.where(clinical_events.date == medications.date).exists_for_patient()  # @diag EQ020 "clinical_events.date == medications.date"
filtered = clinical_events.where(clinical_events.numeric_value > 1)
dataset.b = (filtered.numeric_value + clinical_events.numeric_value).maximum_for_patient()  # @diag EQ020 "filtered.numeric_value + clinical_events.numeric_value"
dataset.c = patients.date_of_birth > 1990  # @diag EQ021 "1990"
dataset.d = patients.age_on("2020-01-01") + 1.5  # @diag EQ022 "1.5"
dataset.e = clinical_events.where(clinical_events.snomedct_code == "Xa0lK").exists_for_patient()  # @diag EQ023 "\"Xa0lK\""
dataset.f = patients.date_of_birth < "2020-13-01"  # @diag EQ024 "\"2020-13-01\""
dataset.g = patients.date_of_birth < "1/1/2020"  # @diag EQ024 "\"1/1/2020\""
dataset.h = patients.date_of_birth + 5  # @diag EQ028 "patients.date_of_birth + 5"
dataset.i = patients.sex.is_in("male")  # @diag EQ029 "\"male\""
dataset.j = clinical_events.sort_by("date").first_for_patient().date  # @diag EQ029 "\"date\""
dataset.k = patients.date_of_birth.maximum_for_patient()  # @diag EQ027 "maximum_for_patient"
dataset.l = case(when(patients.sex == "male").then(1), otherwise="none")  # @diag EQ021 "\"none\""
dataset.m = clinical_events.date.is_in(patients.date_of_birth).exists_for_patient()  # @diag EQ029 "patients.date_of_birth"
dataset.n = apcs.where(apcs.all_diagnoses == "J45").exists_for_patient()  # @diag EQ028 "apcs.all_diagnoses == \"J45\""
dataset.o = abs(patients.age_on("2020-01-01"))  # @diag EQ029 "abs(patients.age_on(\"2020-01-01\"))"
dataset.p = clinical_events.date.count_episodes_for_patient(3)  # @diag EQ029 "3"
dataset.q = clinical_events.sort_by(clinical_events.numeric_value > 1).first_for_patient().date  # @diag EQ029 "clinical_events.numeric_value > 1"
dataset.r = patients.sex == "male" | patients.sex == "female"  # @diag EQ028 "\"male\" | patients.sex"
dataset.s = maximum_of(patients.date_of_birth, 3)  # @diag EQ021 "3"
dataset.t = clinical_events.where(clinical_events.numeric_value).exists_for_patient()  # @diag EQ021 "clinical_events.numeric_value"
