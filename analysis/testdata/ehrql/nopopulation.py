# The dataset never gets a population.
from ehrql import create_dataset
from ehrql.tables.core import patients

dataset = create_dataset()  # @diag EQ015 "create_dataset()"
dataset.sex = patients.sex
