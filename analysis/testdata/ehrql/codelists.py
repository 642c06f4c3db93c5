# codelist_from_csv checks, and codes that do not fit the column's coding system.
# @file codelists/opensafely-ctv3.csv: CTV3ID,Description|XaIIW,Asthma|H33..,Asthma
# @file codelists/opensafely-snomed.csv: code,term|195967001,Asthma
# @file codelists/codelists.txt: opensafely/ctv3/v1|opensafely/snomed/v1|opensafely/listed/v1
# @file local_codelists/mine.csv: code,term|195967001,Asthma
from ehrql import create_dataset, codelist_from_csv
from ehrql.tables.tpp import patients, clinical_events

ctv3 = codelist_from_csv("codelists/opensafely-ctv3.csv", column="CTV3ID")
snomed = codelist_from_csv("codelists/opensafely-snomed.csv", column="code")
nocol = codelist_from_csv("codelists/opensafely-snomed.csv", column="snomed")  # @diag EQ040 "\"snomed\""
missing_kw = codelist_from_csv("codelists/opensafely-snomed.csv")  # @diag EQ040 "codelist_from_csv(\"codelists/opensafely-snomed.csv\")"
absent = codelist_from_csv("codelists/nhsd-dm-cod.csv", column="code")  # @diag CL032 "\"codelists/nhsd-dm-cod.csv\""
listed_absent = codelist_from_csv("codelists/opensafely-listed.csv", column="code")  # @diag CL031 "\"codelists/opensafely-listed.csv\""
local = codelist_from_csv("local_codelists/mine.csv", column="code")

dataset = create_dataset()
dataset.define_population(patients.exists_for_patient())
dataset.a = clinical_events.where(clinical_events.snomedct_code.is_in(ctv3)).exists_for_patient()  # @diag EQ041 "ctv3"
dataset.b = clinical_events.where(clinical_events.ctv3_code.is_in(ctv3)).exists_for_patient()
dataset.c = clinical_events.where(clinical_events.snomedct_code.is_in(snomed + local)).exists_for_patient()
dataset.d = clinical_events.where(clinical_events.snomedct_code.is_in(["195967001", "XaIIW"])).exists_for_patient()  # @diag EQ023 "[\"195967001\", \"XaIIW\"]"
