package schema

import (
	"regexp"
	"strings"
)

// Hover text for ehrQL modules, tables and columns. The wording is ours;
// the facts come from ehrQL's table definitions.

var eqModuleDocs = map[string]string{
	"ehrql":                  "The ehrQL language: datasets, measures, codelists, case/when, durations and helpers.",
	"ehrql.codes":            "Clinical code types and `codelist_from_csv`.",
	"ehrql.query_language":   "ehrQL's implementation module; importing from it reaches internal API (`table_from_file`, `PatientFrame`, `Series`).",
	"ehrql.measures":         "Measures: `create_measures`, `Measures` and `INTERVAL`.",
	"ehrql.tables":           "Table modules, and the building blocks for defining your own tables.",
	"ehrql.tables.core":      "Tables available in every OpenSAFELY backend.",
	"ehrql.tables.tpp":       "Tables of the TPP backend (SystmOne practices), including hospital, death and test data linked to it.",
	"ehrql.tables.emis":      "Tables of the EMIS backend.",
	"ehrql.tables.emisv2":    "Tables of the EMIS backend's newer data model (in development).",
	"ehrql.tables.raw":       "Raw tables: data close to its source form, for specialist use.",
	"ehrql.tables.raw.core":  "Raw tables available in every backend.",
	"ehrql.tables.raw.tpp":   "Raw tables of the TPP backend.",
	"ehrql.tables.raw.emis":  "Raw tables of the EMIS backend.",
	"ehrql.tables.smoketest": "A minimal table for testing backend connections.",
	"databuilder":            "The old name of ehrQL (v0 only).",
}

var eqTableDocs = map[string]string{
	"patients":                           "Demographics: one row per patient with date of birth, sex and date of death.",
	"practice_registrations":             "Each period a patient was registered with a GP practice.",
	"clinical_events":                    "Coded events in the GP record: diagnoses, symptoms, observations and measurements.",
	"clinical_events_ranges":             "Coded GP events with the reference range of their numeric value.",
	"medications":                        "Medicines prescribed in primary care (issues), coded with dm+d.",
	"repeat_medications":                 "Repeat prescription templates from the GP record.",
	"ons_deaths":                         "Registered deaths from the Office for National Statistics, with the causes of death.",
	"addresses":                          "Each address a patient has been registered at, with area-level measures such as IMD.",
	"apcs":                               "Hospital admissions (admitted patient care spells) from HES/SUS.",
	"apcs_cost":                          "Costs of admitted patient care spells.",
	"apcs_historical":                    "Admitted patient care spells from the historical (pre-2021) HES extract.",
	"apcs_cost_historical":               "Costs of spells in the historical HES extract.",
	"appointments":                       "GP appointments and their status.",
	"covid_therapeutics":                 "COVID-19 antiviral and antibody treatments.",
	"decision_support_values":            "Scores calculated by decision-support algorithms, such as the electronic frailty index.",
	"ec":                                 "Emergency care attendances (ECDS).",
	"ec_cost":                            "Costs of emergency care attendances.",
	"emergency_care_attendances":         "Emergency care attendances with their SNOMED CT diagnoses.",
	"ethnicity_from_sus":                 "Ethnicity recorded in hospital data (the most frequent national code per patient).",
	"household_memberships_2020":         "Household membership inferred from addresses in 2020.",
	"hospital_admissions":                "Hospital admissions (v0 only; replaced by `apcs`).",
	"isaric":                             "ISARIC COVID-19 clinical characterisation data for hospitalised patients.",
	"occupation_on_covid_vaccine_record": "Occupations recorded with COVID-19 vaccinations (healthcare workers).",
	"opa":                                "Outpatient appointments from HES/SUS.",
	"opa_cost":                           "Costs of outpatient appointments.",
	"opa_diag":                           "Diagnoses recorded at outpatient appointments.",
	"opa_proc":                           "Procedures recorded at outpatient appointments.",
	"open_prompt":                        "Responses to the OpenPROMPT long-COVID questionnaire.",
	"parents":                            "Links between a patient and their mother.",
	"sgss_covid_all_tests":               "SARS-CoV-2 test results from the Second Generation Surveillance System.",
	"ukrr":                               "UK Renal Registry data on patients receiving renal replacement therapy.",
	"vaccinations":                       "Vaccinations recorded in the GP record.",
	"wl_clockstops":                      "Completed elective waiting-list pathways (clock stops).",
	"wl_openpathways":                    "Open elective waiting-list pathways.",
}

var eqTableModuleDocs = map[string]string{
	"ehrql.tables.raw.core.ons_deaths":     "Every registered death record, unfiltered: possibly several rows per patient.",
	"ehrql.tables.raw.tpp.ons_deaths":      "Every registered death record, unfiltered: possibly several rows per patient.",
	"ehrql.tables.raw.emis.ons_deaths":     "Every registered death record, unfiltered: possibly several rows per patient.",
	"ehrql.tables.raw.tpp.medications":     "Primary-care medication records with raw status and quantity fields.",
	"ehrql.tables.raw.tpp.wl_clockstops":   "Completed waiting-list pathways with every field as raw text.",
	"ehrql.tables.raw.tpp.wl_openpathways": "Open waiting-list pathways with every field as raw text.",
	"ehrql.tables.emis.patients":           "Demographics and current registration: one row per patient.",
	"ehrql.tables.smoketest.patients":      "A single date-of-birth column, for testing connections.",
}

func eqTableDoc(name, module string) string {
	canon := eqCanonicalModule(module)
	if d, ok := eqTableModuleDocs[canon+"."+name]; ok {
		return d
	}
	return eqTableDocs[name]
}

// eqColumnDocs documents columns by "table.column", or by column name alone
// when the name means the same everywhere it appears.
var eqColumnDocs = map[string]string{
	// Common names.
	"date":                           "Date of the event.",
	"consultation_id":                "Id of the consultation the record belongs to; links records made together.",
	"numeric_value":                  "Numeric value recorded with the code (e.g. a test result); NULL if none.",
	"snomedct_code":                  "SNOMED CT code of the event.",
	"ctv3_code":                      "CTV3 (Read v3) code of the event.",
	"dmd_code":                       "dm+d code of the medicine.",
	"start_date":                     "Date the record starts.",
	"end_date":                       "Date the record ends; NULL if it is ongoing.",
	"underlying_cause_of_death":      "Underlying cause of death (ICD-10).",
	"place":                          "Place of death.",
	"apcs_ident":                     "Id of the admitted patient care spell; links `apcs` and `apcs_cost` rows.",
	"admission_date":                 "Date of admission to hospital.",
	"discharge_date":                 "Date of discharge from hospital.",
	"spell_core_hrg_sus":             "Core Healthcare Resource Group of the spell.",
	"grand_total_payment_mff":        "Total payment including the market forces factor.",
	"tariff_initial_amount":          "Tariff before adjustments.",
	"tariff_total_payment":           "Total tariff payment.",
	"ec_ident":                       "Id of the emergency care attendance; links `ec` and `ec_cost` rows.",
	"arrival_date":                   "Date of arrival at the emergency department.",
	"opa_ident":                      "Id of the outpatient appointment; links the `opa*` tables.",
	"appointment_date":               "Date of the outpatient appointment.",
	"referral_request_received_date": "Date the referral was received.",
	"medication_status":              "Raw status code of the medication record.",
	"quantity":                       "Quantity prescribed, as recorded.",
	"repeat_medication_id":           "Id of the repeat prescription this issue belongs to.",
	"rural_urban_classification":     "Rural-urban classification of the area (1–8; 1–4 urban, 5–8 rural).",
	"imd_rounded":                    "Index of Multiple Deprivation rank of the area, rounded to the nearest 100 (0 = most deprived).",
	"practice_pseudo_id":             "Pseudonymised id of the GP practice.",

	// patients.
	"patients.date_of_birth":           "Date of birth, always the 1st of the month.",
	"patients.sex":                     "Sex: \"female\", \"male\", \"intersex\" or \"unknown\".",
	"patients.date_of_death":           "Date of death as recorded in the GP record; NULL if alive.",
	"patients.registration_start_date": "Start of the patient's current practice registration.",
	"patients.registration_end_date":   "End of the patient's current practice registration; NULL if ongoing.",
	"patients.practice_pseudo_id":      "Pseudonymised id of the patient's current practice.",

	// practice_registrations.
	"practice_registrations.start_date":                     "Date the registration started.",
	"practice_registrations.end_date":                       "Date the registration ended; NULL if ongoing.",
	"practice_registrations.practice_stp":                   "Sustainability and Transformation Partnership (STP) code of the practice.",
	"practice_registrations.practice_nuts1_region_name":     "Region of the practice (NUTS1).",
	"practice_registrations.practice_systmone_go_live_date": "Date the practice started using SystmOne.",

	// addresses.
	"addresses.address_id":                         "Pseudonymised id of the address.",
	"addresses.start_date":                         "Date the patient started living at the address.",
	"addresses.end_date":                           "Date the patient stopped living at the address; NULL if current.",
	"addresses.address_type":                       "Type of address (0 permanent, 1 temporary, 3 correspondence only).",
	"addresses.msoa_code":                          "Middle Layer Super Output Area of the address.",
	"addresses.has_postcode":                       "True if the address has a valid postcode.",
	"addresses.care_home_is_potential_match":       "True if the address may be a care home.",
	"addresses.care_home_requires_nursing":         "True if the care home provides nursing.",
	"addresses.care_home_does_not_require_nursing": "True if the care home does not provide nursing.",

	// apcs / hospital_admissions.
	"apcs.discharge_destination":                 "Where the patient went on discharge (national code).",
	"apcs.discharge_method":                      "How the patient was discharged (national code).",
	"apcs.admission_method":                      "How the patient was admitted, e.g. elective or emergency (national code).",
	"apcs.primary_diagnosis":                     "Primary diagnosis of the spell (ICD-10).",
	"apcs.secondary_diagnosis":                   "Secondary diagnosis of the spell (ICD-10).",
	"apcs.all_diagnoses":                         "All diagnoses of the spell, many ICD-10 codes in one string; test with `contains`.",
	"apcs.all_procedures":                        "All procedures of the spell, many OPCS-4 codes in one string; test with `contains`.",
	"apcs.days_in_critical_care":                 "Days spent in critical care during the spell.",
	"apcs.patient_classification":                "Patient classification, e.g. ordinary admission or day case (national code).",
	"hospital_admissions.id":                     "Id of the admission.",
	"hospital_admissions.admission_method":       "How the patient was admitted (national code).",
	"hospital_admissions.all_diagnoses":          "All diagnoses of the admission as one string.",
	"hospital_admissions.patient_classification": "Patient classification (national code).",
	"hospital_admissions.days_in_critical_care":  "Days spent in critical care.",
	"hospital_admissions.primary_diagnoses":      "Primary diagnoses as one string.",
	"hospital_admissions.primary_diagnosis":      "Primary diagnosis (ICD-10).",

	// appointments.
	"appointments.booked_date": "Date the appointment was booked.",
	"appointments.start_date":  "Date the appointment was due to start.",
	"appointments.seen_date":   "Date the patient was seen.",
	"appointments.status":      "Status of the appointment, e.g. \"Finished\" or \"Did Not Attend\".",

	// clinical_events_ranges.
	"clinical_events_ranges.lower_bound": "Lower end of the reference range.",
	"clinical_events_ranges.upper_bound": "Upper end of the reference range.",
	"clinical_events_ranges.comparator":  "Comparator qualifying the numeric value, e.g. \"<\" or \">=\".",

	// covid_therapeutics.
	"covid_therapeutics.covid_indication":     "Setting of the treatment: non-hospitalised, hospitalised with COVID-19, or hospital onset.",
	"covid_therapeutics.current_status":       "Status of the treatment.",
	"covid_therapeutics.intervention":         "Drug given.",
	"covid_therapeutics.received":             "Date the treatment request was received.",
	"covid_therapeutics.region":               "Region of the treating centre.",
	"covid_therapeutics.risk_cohort":          "High-risk cohort(s) that made the patient eligible.",
	"covid_therapeutics.treatment_start_date": "Date treatment started.",

	// decision_support_values.
	"decision_support_values.calculation_date":      "Date the score was calculated.",
	"decision_support_values.numeric_value":         "The score.",
	"decision_support_values.algorithm_description": "Name of the algorithm, e.g. \"UK Electronic Frailty Index (eFI)\".",
	"decision_support_values.algorithm_version":     "Version of the algorithm.",

	// ec, ec_cost, emergency_care_attendances.
	"ec.sus_hrg_code":                                  "Healthcare Resource Group code of the attendance.",
	"ec_cost.ec_decision_to_admit_date":                "Date of the decision to admit.",
	"ec_cost.ec_injury_date":                           "Date of the injury.",
	"emergency_care_attendances.id":                    "Id of the attendance.",
	"emergency_care_attendances.discharge_destination": "Where the patient went after the attendance (SNOMED CT).",

	// ethnicity_from_sus, households, occupation, parents.
	"ethnicity_from_sus.code":                                 "Ethnicity as a one-letter national code (A–S, 16 categories).",
	"household_memberships_2020.household_pseudo_id":          "Pseudonymised id of the household.",
	"household_memberships_2020.household_size":               "Number of people in the household.",
	"occupation_on_covid_vaccine_record.is_healthcare_worker": "True if recorded as a healthcare worker.",
	"parents.mother_id":                                       "patient_id of the patient's mother.",

	// ons_deaths.
	"ons_deaths.date": "Date of death.",

	// opa, opa_diag, opa_proc, opa_cost.
	"opa.attendance_status":                    "Whether the patient attended (national code).",
	"opa.consultation_medium_used":             "How the consultation happened, e.g. face to face or telephone (national code).",
	"opa.first_attendance":                     "Whether this was a first or follow-up attendance (national code).",
	"opa.hrg_code":                             "Healthcare Resource Group code.",
	"opa.outcome_of_attendance":                "Outcome of the attendance (national code).",
	"opa.treatment_function_code":              "Treatment function (specialty) code.",
	"opa_cost.tariff_opp":                      "Outpatient procedure tariff.",
	"opa_diag.primary_diagnosis_code":          "Primary diagnosis (ICD-10).",
	"opa_diag.primary_diagnosis_code_read":     "Primary diagnosis (CTV3).",
	"opa_diag.secondary_diagnosis_code_1":      "First secondary diagnosis (ICD-10).",
	"opa_diag.secondary_diagnosis_code_1_read": "First secondary diagnosis (CTV3).",
	"opa_proc.primary_procedure_code":          "Primary procedure (OPCS-4).",
	"opa_proc.primary_procedure_code_read":     "Primary procedure (CTV3).",
	"opa_proc.procedure_code_2":                "Second procedure (OPCS-4).",
	"opa_proc.procedure_code_2_read":           "Second procedure (CTV3).",

	// open_prompt.
	"open_prompt.creation_date":     "Date the response was created.",
	"open_prompt.consultation_date": "Date of the survey consultation.",
	"open_prompt.ctv3_code":         "CTV3 code of the question.",
	"open_prompt.snomedct_code":     "SNOMED CT code of the question.",
	"open_prompt.numeric_value":     "Numeric answer, if any.",

	// repeat_medications.
	"repeat_medications.start_date": "Date the repeat prescription started.",
	"repeat_medications.end_date":   "Date the repeat prescription ended.",

	// sgss_covid_all_tests.
	"sgss_covid_all_tests.specimen_taken_date":      "Date the specimen was taken.",
	"sgss_covid_all_tests.is_positive":              "True for a positive result.",
	"sgss_covid_all_tests.lab_report_date":          "Date the laboratory reported the result.",
	"sgss_covid_all_tests.was_symptomatic":          "True if the patient had symptoms.",
	"sgss_covid_all_tests.sgtf_status":              "S-gene target failure status (0–9).",
	"sgss_covid_all_tests.variant":                  "Variant identified, if sequenced.",
	"sgss_covid_all_tests.variant_detection_method": "How the variant was detected.",

	// ukrr.
	"ukrr.dataset":                       "Which UKRR cohort the row comes from.",
	"ukrr.renal_centre":                  "Renal centre code.",
	"ukrr.rrt_start_date":                "Date renal replacement therapy started.",
	"ukrr.latest_creatinine":             "Latest creatinine measurement (µmol/L).",
	"ukrr.latest_egfr":                   "Latest eGFR (mL/min/1.73m²).",
	"ukrr.treatment_modality_start":      "Treatment modality at the start of therapy.",
	"ukrr.treatment_modality_prevalence": "Treatment modality at the prevalence date.",

	// vaccinations.
	"vaccinations.vaccination_id": "Id of the vaccination record.",
	"vaccinations.date":           "Date of the vaccination.",
	"vaccinations.target_disease": "Disease the vaccine targets, e.g. \"SARS-2 CORONAVIRUS\".",
	"vaccinations.product_name":   "Name of the vaccine product.",
	"vaccinations.procedure_code": "SNOMED CT code of the vaccination procedure.",

	// waiting lists.
	"activity_treatment_function_code":                           "Treatment function (specialty) code.",
	"priority_type_code":                                         "Priority of the referral: routine, urgent or two-week wait.",
	"pseudo_organisation_code_patient_pathway_identifier_issuer": "Pseudonymised organisation that issued the pathway id.",
	"pseudo_patient_pathway_identifier":                          "Pseudonymised pathway id.",
	"pseudo_referral_identifier":                                 "Pseudonymised referral id.",
	"referral_to_treatment_period_start_date":                    "Start of the referral-to-treatment period.",
	"referral_to_treatment_period_end_date":                      "End of the referral-to-treatment period.",
	"source_of_referral_for_outpatients":                         "Source of the referral (national code).",
	"source_of_referral":                                         "Source of the referral (national code).",
	"waiting_list_type":                                          "Type of waiting list (national code).",
	"week_ending_date":                                           "Week ending date of the data submission.",
	"current_pathway_period_start_date":                          "Start of the current pathway period.",

	// isaric (the most used fields; the rest fall back to a generic line).
	"isaric.age":      "Age as recorded on the case report form.",
	"isaric.sex":      "Sex as recorded on the case report form.",
	"isaric.hostdat":  "Date of admission to hospital.",
	"isaric.cestdat":  "Date of symptom onset.",
	"isaric.dsstdat":  "Date of enrolment.",
	"isaric.dsstdtc":  "Date of outcome.",
	"isaric.calc_age": "Age calculated from date of birth.",
}

var eqNumberedColumn = regexp.MustCompile(`^(cause_of_death|diagnosis)_(\d+)$`)

func eqColumnDoc(table, column string, t EhrQLType) string {
	if d, ok := eqColumnDocs[table+"."+column]; ok {
		return d
	}
	if d, ok := eqColumnDocs[column]; ok {
		return d
	}
	if m := eqNumberedColumn.FindStringSubmatch(column); m != nil {
		n := strings.TrimLeft(m[2], "0")
		if m[1] == "cause_of_death" {
			return "Cause of death number " + n + " listed on the death certificate (ICD-10)."
		}
		return "Diagnosis number " + n + " of the attendance (SNOMED CT)."
	}
	if table == "isaric" {
		if strings.HasSuffix(column, "_mhyn") || t.Kind == "str" {
			return "ISARIC case report form field `" + column + "`, as text."
		}
		return "ISARIC case report form field `" + column + "`."
	}
	return ""
}
