package auth

import (
	"math"
	"sync"
	"time"
)

// Limiter is a set of token buckets, one per key: each holds up to burst
// tokens and refills at rate tokens per second; a request takes one. A
// negative rate allows everything. Safe for concurrent use; memory is
// bounded (full buckets are dropped when the map grows past 100000 keys).
type Limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter; now is the clock (time.Now if nil).
func NewLimiter(rate, burst float64, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{rate: rate, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// fill returns key's bucket refilled to now (the caller holds mu).
func (l *Limiter) fill(key string) *bucket {
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= 100000 {
			l.gc(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
		return b
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(l.burst, b.tokens+dt*l.rate)
		b.last = now
	}
	return b
}

func (l *Limiter) gc(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// Allow takes a token from key's bucket: ok, or how long until one is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l.rate < 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.fill(key)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.wait(b)
}

// Peek reports whether key has a token, without taking it.
func (l *Limiter) Peek(key string) (bool, time.Duration) {
	if l.rate < 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.fill(key)
	if b.tokens >= 1 {
		return true, 0
	}
	return false, l.wait(b)
}

func (l *Limiter) wait(b *bucket) time.Duration {
	if l.rate == 0 {
		return time.Hour
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
