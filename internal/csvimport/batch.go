package csvimport

import "time"

// MaxBatch is the bulk API's limit of users per request.
const MaxBatch = 1000

// Auto-sized batches: the first request carries one row, and each next one
// is sized to take about batchTarget, growing at most fourfold. No batch
// holds more than a twentieth of the file, so progress moves in small steps
// on a small file as on a large one — never 0 % then 100 %.
const (
	batchTarget = time.Second
	minSteps    = 20
)

type batchSizer struct {
	fixed int // rows per request given by the caller; 0 = auto
	limit int // most rows per request
	size  int
}

func newBatchSizer(fixed, rows int) *batchSizer {
	return &batchSizer{fixed: fixed, limit: max(1, min(MaxBatch, rows/minSteps)), size: 1}
}

func (b *batchSizer) next() int {
	if b.fixed > 0 {
		return b.fixed
	}
	return b.size
}

// took adapts the size to how long the last batch of n rows took.
func (b *batchSizer) took(n int, d time.Duration) {
	if b.fixed > 0 || n <= 0 {
		return
	}
	perRow := max(d/time.Duration(n), time.Microsecond)
	want := int(batchTarget / perRow)
	b.size = max(1, min(want, 4*b.size, b.limit))
}
