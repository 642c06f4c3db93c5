package engine

import "testing"

// smallestIntType follows ehrQL: unsigned from 0 up, else signed on the larger of hi and |lo|.
func TestSmallestIntTypeRule(t *testing.T) {
	for _, tt := range []struct {
		lo, hi int64
		want   string
	}{
		{0, 255, "uint8"}, {0, 256, "uint16"}, {0, 65535, "uint16"}, {0, 65536, "uint32"},
		{-1, 3, "int8"}, {-1, 127, "int8"}, {-1, 128, "int16"}, {-128, 0, "int16"}, {-5, 40000, "int32"},
		{0, 1 << 40, "uint64"}, {-1, 1 << 40, "int64"},
	} {
		if got := smallestIntType(tt.lo, tt.hi).String(); got != tt.want {
			t.Errorf("[%d, %d]: %s, want %s", tt.lo, tt.hi, got, tt.want)
		}
	}
}
