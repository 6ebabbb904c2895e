package inventory_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLastUnitsRace is 200 concurrent checkouts for the last 50 units
// of one variant, through the GraphQL handler: exactly 50 must win. It
// reports reservations attempted per second.
func BenchmarkLastUnitsRace(b *testing.B) {
	e := newBenchEnv(b)
	for i := 0; b.Loop(); i++ {
		variant := fmt.Sprintf("var_bench_%d", i)
		e.receive(b, "wh_a", variant, 50)
		var ok atomic.Int32
		var wg sync.WaitGroup
		start := time.Now()
		for k := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code(e.reserve(b, fmt.Sprintf("%s-%d", variant, k), line(variant, 1))) == "" {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(200/time.Since(start).Seconds(), "reservations/s")
		if ok.Load() != 50 {
			b.Fatalf("%d won", ok.Load())
		}
	}
}
