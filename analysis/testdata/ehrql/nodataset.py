# No dataset is defined here.  @diagline EQ017
from ehrql import show
from ehrql.tables.core import patients

show(patients.sex)
