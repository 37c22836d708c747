/* Where a GGUF header ends, from a prefix of the file (see gguf_internal.h).
 * Walks the same layout as gguf.c (ggml docs/gguf.md) without building
 * anything, and extrapolates when the prefix ends inside the header. */
#include <string.h>

#include "gguf_internal.h"

typedef struct scan {
    const uint8_t *p;
    size_t len, pos;
    int swap;
    uint64_t vocab; /* longest string array seen (the token list), 0 if none */
    int bpe;        /* tokenizer.ggml.model is "gpt2" (BPE: merges follow the tokens) */
} scan;

static int need(const scan *s, size_t n)
{
    return s->pos + n <= s->len;
}

static uint64_t rd64(scan *s)
{
    uint64_t v;
    memcpy(&v, s->p + s->pos, 8);
    s->pos += 8;
    return s->swap ? __builtin_bswap64(v) : v;
}

static uint64_t peek64(const scan *s)
{
    uint64_t v;
    memcpy(&v, s->p + s->pos, 8);
    return s->swap ? __builtin_bswap64(v) : v;
}

static uint32_t rd32(scan *s)
{
    uint32_t v;
    memcpy(&v, s->p + s->pos, 4);
    s->pos += 4;
    return s->swap ? __builtin_bswap32(v) : v;
}

static const uint8_t scalar_size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* Estimate for the rest of the header once the prefix ran out: what is left
 * of the current array, the remaining pairs at the average size so far, and
 * the tensor infos at ~96 bytes each; plus a quarter for safety. */
static uint64_t extrapolate(const scan *s, uint64_t kv_left, uint64_t kv_done, uint64_t kv_bytes,
                            uint64_t arr_left, uint64_t arr_avg, uint64_t n_tensors)
{
    uint64_t avg_kv = kv_done ? kv_bytes / kv_done : 64;
    uint64_t rest = arr_left * arr_avg + kv_left * avg_kv + n_tensors * 96;
    /* After the token list come per-token types (4 bytes) and either scores
     * (SentencePiece, 4 bytes) or merges (BPE: about twice as many as tokens,
     * ~10 bytes each; llama.cpp's converters write tokenizer.ggml.model
     * before the lists). Over-reading a little is cheaper than another round
     * trip. */
    if (kv_left && s->vocab)
        rest += s->vocab * (s->bpe ? 26 : 9);
    uint64_t est = s->pos + rest + rest / 4 + 4096;
    return est > s->len ? est : s->len + 1;
}

int og_gguf_header_extent(const void *buf, size_t len, uint64_t *header_bytes, uint64_t *estimate)
{
    scan s = {buf, len, 0, 0, 0, 0};
    *header_bytes = 0;
    *estimate = 1u << 20;
    if (!need(&s, 24)) {
        *estimate = 1u << 20;
        return len >= 4 && memcmp(buf, "GGUF", 4) != 0 ? -1 : 0;
    }
    if (memcmp(buf, "GGUF", 4) != 0)
        return -1;
    s.pos = 4;
    uint32_t version = rd32(&s);
    if ((version & 0xFFFFu) == 0) {
        s.swap = 1;
        version = __builtin_bswap32(version);
    }
    if (version < 2 || version > 3)
        return -1;
    uint64_t n_tensors = rd64(&s), n_kv = rd64(&s);
    if (n_tensors > (1ull << 32) || n_kv > (1ull << 32))
        return -1;
    size_t kv_start = s.pos;
    for (uint64_t i = 0; i < n_kv; i++) {
        uint64_t left = n_kv - i;
        size_t kv_bytes = s.pos - kv_start;
        if (!need(&s, 8))
            goto more_kv;
        uint64_t klen = rd64(&s);
        if (klen > (1u << 16))
            return -1;
        if (!need(&s, klen + 4))
            goto more_kv;
        int is_model_key = klen == 20 && memcmp(s.p + s.pos, "tokenizer.ggml.model", 20) == 0;
        s.pos += klen;
        uint32_t type = rd32(&s);
        if (type == 8) { /* string */
            if (!need(&s, 8))
                goto more_kv;
            uint64_t l = rd64(&s);
            if (!need(&s, l)) {
                *estimate = extrapolate(&s, left - 1, i, kv_bytes, 0, 0, n_tensors) + l;
                return 0;
            }
            if (is_model_key)
                s.bpe = l == 4 && memcmp(s.p + s.pos, "gpt2", 4) == 0;
            s.pos += l;
        } else if (type == 9) { /* array */
            if (!need(&s, 12))
                goto more_kv;
            uint32_t et = rd32(&s);
            uint64_t n = rd64(&s);
            if (et == 8) {
                size_t arr_start = s.pos;
                if (n > s.vocab)
                    s.vocab = n;
                for (uint64_t k = 0; k < n; k++) {
                    uint64_t l = need(&s, 8) ? peek64(&s) : 0;
                    if (!need(&s, 8) || l > len || !need(&s, 8 + (size_t)l)) {
                        uint64_t avg = k ? (s.pos - arr_start) / k : 16;
                        *estimate = extrapolate(&s, left - 1, i, kv_bytes, n - k, avg, n_tensors);
                        return 0;
                    }
                    s.pos += 8 + (size_t)l;
                }
            } else if (et < 13 && scalar_size[et]) {
                uint64_t bytes = n * scalar_size[et];
                if (n > (1ull << 40))
                    return -1;
                if (!need(&s, bytes)) {
                    *estimate = extrapolate(&s, left - 1, i, kv_bytes, 0, 0, n_tensors) + bytes;
                    return 0;
                }
                s.pos += bytes;
            } else
                return -1;
        } else if (type < 13 && scalar_size[type]) {
            if (!need(&s, scalar_size[type]))
                goto more_kv;
            s.pos += scalar_size[type];
        } else
            return -1;
        continue;
    more_kv:
        *estimate = extrapolate(&s, left, i, kv_bytes, 0, 0, n_tensors);
        return 0;
    }
    for (uint64_t i = 0; i < n_tensors; i++) {
        if (!need(&s, 8))
            goto more_t;
        uint64_t nl = rd64(&s);
        if (nl > 256)
            return -1;
        if (!need(&s, nl + 4))
            goto more_t;
        s.pos += nl;
        uint32_t nd = rd32(&s);
        if (nd > 4)
            return -1;
        if (!need(&s, (size_t)nd * 8 + 12))
            goto more_t;
        s.pos += (size_t)nd * 8 + 12;
        continue;
    more_t:
        *estimate = s.pos + (n_tensors - i) * 96 + 4096;
        if (*estimate <= len)
            *estimate = len + 1;
        return 0;
    }
    *header_bytes = s.pos;
    return 1;
}
