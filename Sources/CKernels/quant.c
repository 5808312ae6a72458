// Block formats of GGUF files (ggml's F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K) and their dequantization.
#include "ckernels.h"
#include "internal.h"
#include <string.h>

int ck_block_elements(int type) {
    switch (type) {
    case CK_F32: case CK_F16: case CK_BF16: return 1;
    case CK_Q4_0: case CK_Q4_1: case CK_Q5_0: case CK_Q5_1: case CK_Q8_0: return QK;
    case CK_Q4_K: case CK_Q5_K: case CK_Q6_K: return QK_K;
    default: return 0;
    }
}

int ck_block_bytes(int type) {
    switch (type) {
    case CK_F32: return 4;
    case CK_F16: case CK_BF16: return 2;
    case CK_Q4_0: return sizeof(block_q4_0);
    case CK_Q4_1: return sizeof(block_q4_1);
    case CK_Q5_0: return sizeof(block_q5_0);
    case CK_Q5_1: return sizeof(block_q5_1);
    case CK_Q8_0: return sizeof(block_q8_0);
    case CK_Q4_K: return sizeof(block_q4_k);
    case CK_Q5_K: return sizeof(block_q5_k);
    case CK_Q6_K: return sizeof(block_q6_k);
    default: return 0;
    }
}

float ck_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else { // subnormal: renormalise
            int e = -1;
            do { mant <<= 1; e++; } while (!(mant & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000 | (mant << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    float f; memcpy(&f, &bits, 4); return f;
}

static float bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16; float f; memcpy(&f, &bits, 4); return f;
}

static void dq_q4_0(const block_q4_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        const float d = ck_fp16_to_fp32(b[i].d);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = ((b[i].qs[j] & 0xF) - 8) * d;
            y[j + QK / 2] = ((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void dq_q4_1(const block_q4_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        const float d = ck_fp16_to_fp32(b[i].d), m = ck_fp16_to_fp32(b[i].m);
        for (int j = 0; j < QK / 2; j++) {
            y[j] = (b[i].qs[j] & 0xF) * d + m;
            y[j + QK / 2] = (b[i].qs[j] >> 4) * d + m;
        }
    }
}

// Element j's fifth bit is bit j of qh (little-endian); Q5_0 is offset by 16, Q5_1 has a minimum.
static inline int q5_value(const uint8_t *qs, const uint8_t *qh, int j) {
    const int low = j < QK / 2 ? qs[j] & 0xF : qs[j - QK / 2] >> 4;
    return low | (((qh[j / 8] >> (j % 8)) & 1) << 4);
}

static void dq_q5_0(const block_q5_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        const float d = ck_fp16_to_fp32(b[i].d);
        for (int j = 0; j < QK; j++) y[j] = (q5_value(b[i].qs, b[i].qh, j) - 16) * d;
    }
}

static void dq_q5_1(const block_q5_1 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        const float d = ck_fp16_to_fp32(b[i].d), m = ck_fp16_to_fp32(b[i].m);
        for (int j = 0; j < QK; j++) y[j] = q5_value(b[i].qs, b[i].qh, j) * d + m;
    }
}

static void dq_q8_0(const block_q8_0 *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++, y += QK) {
        const float d = ck_fp16_to_fp32(b[i].d);
        for (int j = 0; j < QK; j++) y[j] = b[i].qs[j] * d;
    }
}

static void dq_q4_k(const block_q4_k *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_fp16_to_fp32(b[i].d), dmin = ck_fp16_to_fp32(b[i].dmin);
        const uint8_t *q = b[i].qs;
        int is = 0; uint8_t sc, m;
        for (int j = 0; j < QK_K; j += 64) {
            ck_scale_min_k4(is + 0, b[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = dmin * m;
            ck_scale_min_k4(is + 1, b[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
            q += 32; is += 2;
        }
    }
}

static void dq_q5_k(const block_q5_k *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_fp16_to_fp32(b[i].d), dmin = ck_fp16_to_fp32(b[i].dmin);
        const uint8_t *ql = b[i].qs, *qh = b[i].qh;
        int is = 0; uint8_t sc, m, u1 = 1, u2 = 2;
        for (int j = 0; j < QK_K; j += 64) {
            ck_scale_min_k4(is + 0, b[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = dmin * m;
            ck_scale_min_k4(is + 1, b[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32; is += 2; u1 <<= 2; u2 <<= 2;
        }
    }
}

static void dq_q6_k(const block_q6_k *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; i++) {
        const float d = ck_fp16_to_fp32(b[i].d);
        const uint8_t *ql = b[i].ql, *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        for (int n = 0; n < QK_K; n += 128) {
            for (int l = 0; l < 32; l++) {
                const int is = l / 16;
                const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
            y += 128; ql += 64; qh += 32; sc += 8;
        }
    }
}

void ck_dequantize(int type, const void *src, float *dst, int64_t n) {
    const int be = ck_block_elements(type);
    if (be == 0) return;
    const int64_t nb = n / be;
    switch (type) {
    case CK_F32: memcpy(dst, src, (size_t)n * 4); break;
    case CK_F16: { const uint16_t *h = src; for (int64_t i = 0; i < n; i++) dst[i] = ck_fp16_to_fp32(h[i]); } break;
    case CK_BF16: { const uint16_t *h = src; for (int64_t i = 0; i < n; i++) dst[i] = bf16_to_fp32(h[i]); } break;
    case CK_Q4_0: dq_q4_0(src, dst, nb); break;
    case CK_Q4_1: dq_q4_1(src, dst, nb); break;
    case CK_Q5_0: dq_q5_0(src, dst, nb); break;
    case CK_Q5_1: dq_q5_1(src, dst, nb); break;
    case CK_Q8_0: dq_q8_0(src, dst, nb); break;
    case CK_Q4_K: dq_q4_k(src, dst, nb); break;
    case CK_Q5_K: dq_q5_k(src, dst, nb); break;
    case CK_Q6_K: dq_q6_k(src, dst, nb); break;
    }
}
