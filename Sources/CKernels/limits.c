// The machine's memory read bandwidth as Mimic's kernels can use it: every pool thread streams its share of a large
// buffer through the widest loads the CPU has, adding the words up so the loads cannot be dropped.
#include "ckernels.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const uint8_t *buf; int64_t bytes; uint64_t sums[256]; int level; } read_job;

__attribute__((target("avx512f")))
static uint64_t read_avx512(const uint8_t *p, int64_t n) {  // n % 256 == 0, p 64-byte aligned
    __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
    for (int64_t i = 0; i < n; i += 256) {
        a = _mm512_add_epi64(a, _mm512_load_si512(p + i));
        b = _mm512_add_epi64(b, _mm512_load_si512(p + i + 64));
        c = _mm512_add_epi64(c, _mm512_load_si512(p + i + 128));
        d = _mm512_add_epi64(d, _mm512_load_si512(p + i + 192));
    }
    return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d)));
}

__attribute__((target("avx2")))
static uint64_t read_avx2(const uint8_t *p, int64_t n) {  // n % 128 == 0, p 32-byte aligned
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (int64_t i = 0; i < n; i += 128) {
        a = _mm256_add_epi64(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_add_epi64(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_add_epi64(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_add_epi64(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

static uint64_t read_plain(const uint8_t *p, int64_t n) {
    const uint64_t *w = (const uint64_t *)p;
    uint64_t s0 = 0, s1 = 0;
    for (int64_t i = 0; i < n / 8; i += 2) { s0 += w[i]; s1 += w[i + 1]; }
    return s0 + s1;
}

static void read_task(void *ctx, int64_t i, int64_t n) {
    read_job *j = ctx;
    const int64_t lines = j->bytes / 256, l0 = lines * i / n, l1 = lines * (i + 1) / n;
    const uint8_t *p = j->buf + l0 * 256;
    const int64_t len = (l1 - l0) * 256;
    j->sums[i % 256] = j->level == 2 ? read_avx512(p, len) : j->level == 1 ? read_avx2(p, len) : read_plain(p, len);
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double ck_read_bandwidth(int64_t bytes, int repetitions) {
    bytes = bytes / 256 * 256;
    if (bytes <= 0 || repetitions < 1) return 0;
    uint8_t *buf = aligned_alloc(64, (size_t)bytes);
    if (!buf) return 0;
    memset(buf, 1, (size_t)bytes);
    read_job job = {buf, bytes, {0}, ck_simd_level()};
    int64_t tasks = ck_get_threads();
    if (tasks > 256) tasks = 256;
    ck_parallel(tasks, read_task, &job);  // untimed: wakes the pool's workers
    double best = 0;
    for (int r = 0; r < repetitions; r++) {
        const double t0 = seconds_now();
        ck_parallel(tasks, read_task, &job);
        const double rate = (double)bytes / (seconds_now() - t0) / 1e9;
        if (rate > best) best = rate;
    }
    volatile uint64_t sink = 0;
    for (int64_t i = 0; i < tasks; i++) sink += job.sums[i];
    (void)sink;
    free(buf);
    return best;
}
