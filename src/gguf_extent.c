/* Where a GGUF header ends, from a prefix of the file (see gguf_internal.h).
 * Walks the same layout as gguf.c (ggml docs/gguf.md) without building
 * anything, and extrapolates when the prefix ends inside the header.
 *
 * The prefix comes from a server: every length is compared with what
 * remains before it is used (never added to the position first), sums are
 * saturating, and each step consumes at least 8 bytes, so the work is
 * bounded by the prefix length whatever the counts say. */
#include <string.h>

#include "gguf_internal.h"

typedef struct scan {
    const uint8_t *p;
    size_t len, pos;
    int swap;
    uint64_t vocab;   /* element count of the token list, 0 if not seen */
    int bpe;          /* tokenizer.ggml.model is "gpt2" (BPE: merges follow the tokens) */
    int seen_types;   /* tokenizer.ggml.token_type seen (or being read) */
    int seen_scores;  /* tokenizer.ggml.scores */
    int seen_merges;  /* tokenizer.ggml.merges */
    uint64_t tok_avg; /* bytes per token (with its 8-byte length) in the list so far */
    uint64_t small_bytes, small_n; /* pairs under 1 KiB: their average */
} scan;

/* Whether n more bytes remain. n may come straight from the file (a 64-bit
 * length): compare it with what remains, never add it to the position. */
static int need(const scan *s, uint64_t n)
{
    return n <= (uint64_t)(s->len - s->pos);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
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

/* A tensor info (name length, name, n_dims, dims, type, offset): names like
 * "blk.12.attn_output.weight" with two dimensions are ~62 bytes, MoE ones
 * with three dimensions and longer names ~75: guess between. The average of
 * those already read is used once the infos have begun. */
#define TENSOR_INFO_GUESS 72u

/* The estimate once the prefix ran out, from what the prefix showed: the
 * rest of the current item (exact when its size is known, else the average
 * element so far), the vocabulary lists that usually follow the token list
 * and are not read yet (llama.cpp's converters write tokenizer.ggml.model,
 * then tokens, scores/token_type, merges: types and scores are exactly 4
 * bytes a token; BPE merges, one per learned token, are a token's text plus
 * a space), the remaining small pairs at their average size, and the tensor
 * infos. Exact parts get no margin; guessed parts get an eighth, plus 4 KiB,
 * except the rest of an array whose average comes from a quarter or more of
 * it (a 32nd). Never shorter than what was read. */
static uint64_t estimate_rest(const scan *s, uint64_t exact, uint64_t arr_rest, int arr_sampled,
                              uint64_t kv_left, uint64_t t_left, uint64_t t_avg)
{
    uint64_t guessed = arr_sampled ? 0 : arr_rest;
    exact = sat_add(exact, arr_sampled ? sat_add(arr_rest, arr_rest / 32) : 0);
    if (kv_left && s->vocab) {
        if (!s->seen_types)
            exact = sat_add(exact, sat_add(sat_mul(s->vocab, 4), 48));
        if (!s->bpe && !s->seen_scores)
            exact = sat_add(exact, sat_add(sat_mul(s->vocab, 4), 48));
        if (s->bpe && !s->seen_merges)
            guessed = sat_add(guessed, sat_mul(s->vocab, (s->tok_avg ? s->tok_avg : 16) + 1));
    }
    uint64_t avg_kv = s->small_n ? s->small_bytes / s->small_n : 48;
    guessed = sat_add(guessed, sat_mul(kv_left, avg_kv));
    guessed = sat_add(guessed, sat_mul(t_left, t_avg));
    uint64_t est = sat_add(sat_add(s->pos, exact), sat_add(guessed, guessed / 8 + 4096));
    return est > s->len ? est : (uint64_t)s->len + 1;
}

static int key_is(const scan *s, uint64_t klen, const char *k)
{
    return klen == strlen(k) && memcmp(s->p + s->pos, k, klen) == 0;
}

int og_gguf_header_extent(const void *buf, size_t len, uint64_t *header_bytes, uint64_t *estimate)
{
    scan s;
    memset(&s, 0, sizeof s);
    s.p = buf;
    s.len = len;
    *header_bytes = 0;
    *estimate = (uint64_t)len + (64u << 10);
    if (!need(&s, 24))
        return len >= 4 && memcmp(buf, "GGUF", 4) != 0 ? -1 : 0;
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
    for (uint64_t i = 0; i < n_kv; i++) {
        uint64_t left = n_kv - i - 1; /* pairs after this one */
        size_t kv_start = s.pos;
        if (!need(&s, 8))
            goto more_kv;
        uint64_t klen = rd64(&s);
        if (klen > (1u << 16))
            return -1;
        if (!need(&s, klen + 4))
            goto more_kv;
        int is_model = key_is(&s, klen, "tokenizer.ggml.model");
        int is_tokens = key_is(&s, klen, "tokenizer.ggml.tokens");
        if (key_is(&s, klen, "tokenizer.ggml.token_type"))
            s.seen_types = 1;
        if (key_is(&s, klen, "tokenizer.ggml.scores"))
            s.seen_scores = 1;
        if (key_is(&s, klen, "tokenizer.ggml.merges"))
            s.seen_merges = 1;
        s.pos += klen;
        uint32_t type = rd32(&s);
        if (type == 8) { /* string */
            if (!need(&s, 8))
                goto more_kv;
            uint64_t l = rd64(&s);
            if (!need(&s, l)) {
                *estimate =
                    estimate_rest(&s, l, 0, 0, left, n_tensors, TENSOR_INFO_GUESS); /* l exact */
                return 0;
            }
            if (is_model)
                s.bpe = l == 4 && memcmp(s.p + s.pos, "gpt2", 4) == 0;
            s.pos += l;
        } else if (type == 9) { /* array */
            if (!need(&s, 12))
                goto more_kv;
            uint32_t et = rd32(&s);
            uint64_t n = rd64(&s);
            if (et == 8) {
                size_t arr_start = s.pos, half_pos = s.pos;
                uint64_t half_k = 0;
                if (is_tokens)
                    s.vocab = n;
                for (uint64_t k = 0; k < n; k++) {
                    if (!need(&s, 8) || !need(&s, sat_add(8, peek64(&s)))) {
                        uint64_t avg = k ? (s.pos - arr_start) / k : 16;
                        if (is_tokens)
                            s.tok_avg = avg;
                        /* Token lists and merges grow longer towards their
                         * end: with a large sample, the rest is estimated
                         * from the later half of it. */
                        int sampled = k >= 1000 && k >= n / 4;
                        uint64_t rest = sampled ? sat_mul(n - k, s.pos - half_pos) / (k - half_k)
                                                : sat_mul(n - k, avg);
                        *estimate =
                            estimate_rest(&s, 0, rest, sampled, left, n_tensors, TENSOR_INFO_GUESS);
                        return 0;
                    }
                    s.pos += 8 + (size_t)peek64(&s);
                    if ((k + 1) / 2 > half_k) {
                        /* keep the half mark at element (k + 1) / 2: walk one
                         * element already checked above */
                        uint64_t hl;
                        memcpy(&hl, s.p + half_pos, 8);
                        half_pos += 8 + (size_t)(s.swap ? __builtin_bswap64(hl) : hl);
                        half_k++;
                    }
                }
                if (is_tokens && n)
                    s.tok_avg = (s.pos - arr_start) / n;
            } else if (et < 13 && scalar_size[et]) {
                if (n > (1ull << 40))
                    return -1;
                uint64_t bytes = n * scalar_size[et];
                if (!need(&s, bytes)) {
                    *estimate = estimate_rest(&s, bytes, 0, 0, left, n_tensors, TENSOR_INFO_GUESS);
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
        if (s.pos - kv_start < 1024) {
            s.small_bytes += s.pos - kv_start;
            s.small_n++;
        }
        continue;
    more_kv:
        s.pos = kv_start;
        *estimate = estimate_rest(&s, 0, 0, 0, left + 1, n_tensors, TENSOR_INFO_GUESS);
        return 0;
    }
    size_t t_start = s.pos;
    for (uint64_t i = 0; i < n_tensors; i++) {
        size_t info_start = s.pos;
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
        s.pos = info_start;
        *estimate = estimate_rest(&s, 0, 0, 0, 0, n_tensors - i,
                                  i ? (s.pos - t_start) / i : TENSOR_INFO_GUESS);
        return 0;
    }
    *header_bytes = s.pos;
    return 1;
}
