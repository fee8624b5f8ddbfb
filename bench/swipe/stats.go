package main

import (
	"fmt"
	"slices"
	"time"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p/100*float64(len(s)-1) + 0.5)
	return s[i]
}

func report(title string, d []time.Duration) {
	fmt.Printf("\n%s: %d samples\n", title, len(d))
	fmt.Printf("  min %-10v p50 %-10v p90 %-10v p99 %-10v max %v\n",
		percentile(d, 0), percentile(d, 50), percentile(d, 90), percentile(d, 99), percentile(d, 100))
	// A coarse histogram, so the shape shows, not just a few points.
	bounds := []time.Duration{500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
		10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, time.Hour}
	counts := make([]int, len(bounds))
	for _, v := range d {
		for i, b := range bounds {
			if v < b {
				counts[i]++
				break
			}
		}
	}
	lo := time.Duration(0)
	for i, b := range bounds {
		label := fmt.Sprintf("< %v", b)
		if b == time.Hour {
			label = fmt.Sprintf(">= %v", lo)
		}
		fmt.Printf("  %-10s %5d %s\n", label, counts[i], bar(counts[i], len(d)))
		lo = b
	}
}

func bar(n, total int) string {
	if total == 0 {
		return ""
	}
	w := n * 50 / total
	b := make([]byte, w)
	for i := range b {
		b[i] = '#'
	}
	return string(b)
}

func ratio(a, b []time.Duration, p float64) float64 {
	pb := percentile(b, p)
	if pb == 0 {
		return 0
	}
	return float64(percentile(a, p)) / float64(pb)
}
