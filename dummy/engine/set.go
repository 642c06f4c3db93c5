package engine

import "github.com/opensafely-core/osls/analysis/qm"

// valSet is the right-hand side of is_in: a literal container or a patient's values of an
// event-level series.
type valSet struct {
	strs   map[string]struct{}
	ints   map[int64]struct{}
	floats map[float64]struct{}
	list   []Val // small per-patient sets
	n      int
}

func newLiteralSet(items []any, t qm.Type) *valSet {
	s := &valSet{}
	for _, it := range items {
		s.add(FromLiteral(it, t))
	}
	return s
}

func (s *valSet) add(v Val) {
	switch v.K {
	case KNull:
		return
	case KStr:
		if s.strs == nil {
			s.strs = map[string]struct{}{}
		}
		if _, ok := s.strs[v.S]; !ok {
			s.strs[v.S] = struct{}{}
			s.n++
		}
	case KFloat:
		if s.floats == nil {
			s.floats = map[float64]struct{}{}
		}
		if _, ok := s.floats[v.F]; !ok {
			s.floats[v.F] = struct{}{}
			s.n++
		}
	default:
		if s.ints == nil {
			s.ints = map[int64]struct{}{}
		}
		if _, ok := s.ints[v.I]; !ok {
			s.ints[v.I] = struct{}{}
			s.n++
		}
	}
}

func (s *valSet) reset() {
	s.list = s.list[:0]
	s.n = 0
}

// addSmall adds to a per-patient set kept as a list.
func (s *valSet) addSmall(v Val) {
	if v.K == KNull {
		return
	}
	for _, w := range s.list {
		if w.K == v.K && Equal(w, v) {
			return
		}
	}
	s.list = append(s.list, v)
	s.n++
}

func (s *valSet) has(v Val) bool {
	if s.list != nil || (s.strs == nil && s.ints == nil && s.floats == nil) {
		for _, w := range s.list {
			if Equal(w, v) {
				return true
			}
		}
		return false
	}
	switch v.K {
	case KStr:
		_, ok := s.strs[v.S]
		return ok
	case KFloat:
		if _, ok := s.floats[v.F]; ok {
			return true
		}
		if v.F == float64(int64(v.F)) {
			_, ok := s.ints[int64(v.F)]
			return ok
		}
		return false
	}
	if _, ok := s.ints[v.I]; ok {
		return true
	}
	if v.K == KInt && s.floats != nil {
		_, ok := s.floats[float64(v.I)]
		return ok
	}
	return false
}

// Len is the number of distinct values.
func (s *valSet) Len() int { return s.n }
