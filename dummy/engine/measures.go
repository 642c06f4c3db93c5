package engine

type compiledMeasure struct{}
