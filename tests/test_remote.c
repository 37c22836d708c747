/* Remote sizing without the network: the header scanner against hostile
 * prefixes and its read plan (issue 14: at most 3 reads and the header +
 * 64 KiB), the registries' answers, Ollama names, the tree removal and the
 * header cache's size limit (issue 18 items 4, 6, 8, 14). The HTTP side is
 * tested against servers on loopback by tests/cli_remote*.sh. */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gguf_internal.h"
#include "og_test.h"
#include "remote_internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t put64(uint8_t *b, size_t p, uint64_t v)
{
    memcpy(b + p, &v, 8);
    return p + 8;
}

static size_t put32(uint8_t *b, size_t p, uint32_t v)
{
    memcpy(b + p, &v, 4);
    return p + 4;
}

static size_t gguf_start(uint8_t *b, uint64_t n_tensors, uint64_t n_kv)
{
    memcpy(b, "GGUF", 4);
    size_t p = put32(b, 4, 3);
    p = put64(b, p, n_tensors);
    return put64(b, p, n_kv);
}

/* A scanner answer is sane: -1, complete within the buffer, or an estimate
 * beyond what was read. */
static void check_sane(const uint8_t *b, size_t len)
{
    uint64_t hb = 0, est = 0;
    int r = og_gguf_header_extent(b, len, &hb, &est);
    if (r == 1)
        ck_assert_uint_le(hb, len);
    else if (r == 0)
        ck_assert_uint_gt(est, len);
    else
        ck_assert_int_eq(r, -1);
}

START_TEST(test_extent_hostile)
{
    uint8_t b[4096];
    double t0 = now_s();
    /* a string array element of 2^64 - 8 bytes: 8 + length wraps to 0 */
    memset(b, 0, sizeof b);
    size_t p = gguf_start(b, 1, 1);
    p = put64(b, p, 1);
    b[p++] = 'a';
    p = put32(b, p, 9);
    p = put32(b, p, 8);
    p = put64(b, p, 1ull << 62);
    for (int i = 0; i < 4; i++)
        p = put64(b, p, UINT64_MAX - 7);
    check_sane(b, 120);
    /* a string value whose length wraps the position */
    memset(b, 0, sizeof b);
    p = gguf_start(b, 1, 2);
    p = put64(b, p, 1);
    b[p++] = 'a';
    p = put32(b, p, 8);
    put64(b, p, UINT64_MAX - 39);
    check_sane(b, 120);
    /* 2^32 pairs, an array of 2^64 - 1 empty strings: bounded by the bytes */
    memset(b, 0, sizeof b);
    p = gguf_start(b, 1ull << 32, 1ull << 32);
    p = put64(b, p, 1);
    b[p++] = 'a';
    p = put32(b, p, 9);
    p = put32(b, p, 8);
    put64(b, p, UINT64_MAX);
    check_sane(b, sizeof b);
    /* a scalar array whose byte count would overflow */
    memset(b, 0, sizeof b);
    p = gguf_start(b, 1, 1);
    p = put64(b, p, 1);
    b[p++] = 'a';
    p = put32(b, p, 9);
    p = put32(b, p, 10);
    put64(b, p, UINT64_MAX / 4);
    check_sane(b, 120);
    /* every prefix and a pseudo-random byte pattern of every length */
    uint32_t x = 12345;
    for (size_t len = 0; len <= 600; len++) {
        memset(b, 0, sizeof b);
        gguf_start(b, 3, 4);
        for (size_t i = 24; i < len; i++) {
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
            if (x & 0x100000u)
                b[i] &= 0x0F; /* small values: plausible lengths and types */
        }
        check_sane(b, len);
    }
    ck_assert_double_lt(now_s() - t0, 2.0); /* the wrap cost ~48 s before */
}
END_TEST

/* Simulate the remote read plan of remote_mirror.c: first FIRST_GGUF_READ
 * bytes, then up to each estimate. hdr holds the file's first hdr_len bytes
 * (the header; the data after it does not matter to the scanner). */
static void plan(const uint8_t *hdr, size_t hdr_len, uint64_t size, int *reads, size_t *read,
                 uint64_t *header)
{
    size_t len = FIRST_GGUF_READ < size ? FIRST_GGUF_READ : (size_t)size;
    *reads = 1;
    for (;;) {
        uint64_t hb, est;
        int r = og_gguf_header_extent(hdr, len < hdr_len ? len : hdr_len, &hb, &est);
        ck_assert_int_ge(r, 0);
        if (r == 1) {
            *header = hb;
            break;
        }
        ck_assert_uint_gt(est, len < hdr_len ? len : hdr_len);
        len = est < size ? (size_t)est : (size_t)size;
        ++*reads;
        ck_assert_int_le(*reads, 8);
    }
    *read = len;
}

static void check_plan(ogfix_gguf *g, const char *what)
{
    uint8_t *buf;
    size_t len;
    uint64_t fsize;
    ck_assert_int_eq(ogfix_gguf_to_buffer(g, 0, &buf, &len, &fsize), 0);
    int reads;
    size_t read;
    uint64_t header;
    ck_assert_uint_gt(fsize, len + (1u << 20)); /* weights follow the header */
    plan(buf, len, fsize, &reads, &read, &header);
    printf("%s: header %llu bytes, %d reads, %zu bytes read (+%lld)\n", what,
           (unsigned long long)header, reads, read, (long long)read - (long long)header);
    ck_assert_int_le(reads, 3);
    ck_assert_uint_le(read, header + 65536);
    free(buf);
}

START_TEST(test_extent_plan_shapes)
{
    /* SentencePiece vocabularies of real sizes (the fixture writer's shapes) */
    const uint64_t vocab[] = {2048, 32000, 128256, 151936, 262208};
    for (size_t i = 0; i < sizeof vocab / sizeof *vocab; i++) {
        ogfix_shape s = og_test_llama31_8b();
        s.n_vocab = vocab[i];
        ogfix_gguf *g = ogfix_shape_gguf(&s);
        ck_assert_ptr_nonnull(g);
        char what[64];
        snprintf(what, sizeof what, "SentencePiece %llu tokens", (unsigned long long)vocab[i]);
        check_plan(g, what);
        ogfix_gguf_free(g);
    }
}
END_TEST

START_TEST(test_extent_plan_bpe)
{
    /* A BPE ("gpt2") tokenizer as llama.cpp's converter writes it for Llama 3:
     * 128256 tokens, their types, 280147 merges, then the tensor infos. */
    ogfix_gguf *g = ogfix_gguf_new(3);
    ck_assert_int_eq(ogfix_kv_str(g, "general.architecture", "llama"), 0);
    ck_assert_int_eq(ogfix_kv_u32(g, "llama.block_count", 32), 0);
    ck_assert_int_eq(ogfix_kv_str(g, "tokenizer.ggml.model", "gpt2"), 0);
    ck_assert_int_eq(ogfix_kv_str(g, "tokenizer.ggml.pre", "llama-bpe"), 0);
    ck_assert_int_eq(ogfix_kv_arr_str_gen(g, "tokenizer.ggml.tokens", "Ġtok", 128256), 0);
    ck_assert_int_eq(ogfix_kv_arr_i32_fill(g, "tokenizer.ggml.token_type", 1, 128256), 0);
    ck_assert_int_eq(ogfix_kv_arr_str_gen(g, "tokenizer.ggml.merges", "Ġt ok", 280147), 0);
    ck_assert_int_eq(ogfix_kv_u32(g, "tokenizer.ggml.bos_token_id", 128000), 0);
    char name[64];
    uint64_t d2[2] = {4096, 4096}, d1[1] = {4096};
    for (int l = 0; l < 32; l++) {
        const char *t2[] = {"attn_q",   "attn_k", "attn_v",  "attn_output",
                            "ffn_gate", "ffn_up", "ffn_down"};
        for (int k = 0; k < 7; k++) {
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, t2[k]);
            ck_assert_int_eq(ogfix_tensor(g, name, OGFIX_Q4_0, 2, d2), 0);
        }
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        ck_assert_int_eq(ogfix_tensor(g, name, OGFIX_F32, 1, d1), 0);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        ck_assert_int_eq(ogfix_tensor(g, name, OGFIX_F32, 1, d1), 0);
    }
    check_plan(g, "BPE 128256 tokens, 280147 merges");
    ogfix_gguf_free(g);
}
END_TEST

START_TEST(test_ollama_names)
{
    const char *good[][2] = {{"qwen3", "8b"},
                             {"library/qwen3", "latest"},
                             {"hf-user/model-name.v2", "Q4_K_M"},
                             {"llama3.1", "70b-instruct-q4_0"},
                             {"_x", "_"}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(og_ollama_name_valid(good[i][0], good[i][1]), "%s:%s", good[i][0],
                      good[i][1]);
    const char *bad[][2] = {{"foo", "../../../../etc/passwd"},
                            {"../../etc/passwd", "latest"},
                            {"foo", ".."},
                            {"foo", ""},
                            {"", "latest"},
                            {"a/b/c", "latest"},
                            {"name.space/m", "latest"}, /* no '.' in a namespace */
                            {"m..x", "latest"},
                            {"foo", "-rm"},
                            {"foo", "a b"},
                            {"foo", "a%2f"},
                            {"foo", "a/b"},
                            {"foo", "a?x=1"},
                            {"/abs", "latest"},
                            {"foo/", "latest"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!og_ollama_name_valid(bad[i][0], bad[i][1]), "%s:%s", bad[i][0], bad[i][1]);
    char long_tag[200];
    memset(long_tag, 'a', sizeof long_tag - 1);
    long_tag[sizeof long_tag - 1] = 0;
    ck_assert(!og_ollama_name_valid("foo", long_tag));
}
END_TEST

static og_status digest_of(const char *json, char *d, size_t n, og_error *err)
{
    return og_ollama_manifest_digest(json, strlen(json), d, n, err);
}

START_TEST(test_ollama_manifest)
{
    char d[80];
    og_error err;
    const char *hex = "1111111111111111111111111111111111111111111111111111111111111111";
    char good[512];
    snprintf(good, sizeof good,
             "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.template\",\"digest\":"
             "\"sha256:22\"},{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":"
             "\"sha256:%s\"}]}",
             hex);
    ck_assert_int_eq(digest_of(good, d, sizeof d, &err), OG_OK);
    ck_assert_str_eq(d + 7, hex);
    ck_assert_int_ne(digest_of("{\"layers\":[]}", d, sizeof d, &err), OG_OK);
    ck_assert_ptr_nonnull(strstr(err.message, "no model layer"));
    ck_assert_int_ne(digest_of("[1,2", d, sizeof d, &err), OG_OK);
    ck_assert_int_ne(digest_of("{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
                               "\"digest\":\"sha256:../../../etc/passwd\"}]}",
                               d, sizeof d, &err),
                     OG_OK);
    ck_assert_ptr_nonnull(strstr(err.message, "sha256:HEX"));
    ck_assert_int_ne(digest_of("{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\","
                               "\"digest\":7}]}",
                               d, sizeof d, &err),
                     OG_OK);
}
END_TEST

START_TEST(test_hf_revision)
{
    char sha[128];
    json_t *sib;
    og_error err;
    const char *good = "{\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"siblings\":"
                       "[{\"rfilename\":\"a.gguf\"}]}";
    ck_assert_int_eq(og_hf_revision_parse(good, strlen(good), "main", sha, sizeof sha, &sib, &err),
                     OG_OK);
    ck_assert_str_eq(sha, "0123456789abcdef0123456789abcdef01234567");
    ck_assert_uint_eq(json_array_size(sib), 1);
    json_decref(sib);
    const char *nosha = "{\"siblings\":[]}";
    ck_assert_int_eq(
        og_hf_revision_parse(nosha, strlen(nosha), "v1.0", sha, sizeof sha, &sib, &err), OG_OK);
    ck_assert_str_eq(sha, "v1.0");
    json_decref(sib);
    const char *bad[] = {"{\"sha\":\"../../x\",\"siblings\":[]}", "{\"sha\":\"0123\"}", "[]",
                         "{\"siblings\":{}}", "nonsense"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_ne(
            og_hf_revision_parse(bad[i], strlen(bad[i]), "main", sha, sizeof sha, &sib, &err),
            OG_OK);
        ck_assert_ptr_null(sib);
    }
    /* a listing with more entries than the cap */
    size_t n = OG_REMOTE_MAX_LISTING + 1, cap = n * 3 + 64;
    char *big = malloc(cap);
    ck_assert_ptr_nonnull(big);
    size_t p = (size_t)snprintf(big, cap, "{\"siblings\":[");
    for (size_t i = 0; i < n; i++)
        p += (size_t)snprintf(big + p, cap - p, "%s{}", i ? "," : "");
    snprintf(big + p, cap - p, "]}");
    ck_assert_int_eq(og_hf_revision_parse(big, strlen(big), "main", sha, sizeof sha, &sib, &err),
                     OG_ERR_UNSUPPORTED);
    free(big);
}
END_TEST

static void write_file(const char *path, size_t bytes)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    for (size_t done = 0; done < bytes; done += sizeof buf)
        ck_assert_int_gt(write(fd, buf, sizeof buf), 0);
    close(fd);
}

START_TEST(test_rm_tree_no_shell)
{
    char dir[128];
    og_test_mkdtemp(dir, sizeof dir, "rmtree");
    char outside[300], tree[300], p[600];
    snprintf(outside, sizeof outside, "%s/keep", dir);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    write_file(og_test_path(outside, "precious"), 10);
    /* a name a shell would run: quote, command substitution (relative to dir) */
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    snprintf(tree, sizeof tree, "%s/oomguard-remote-x'$(touch pwned)'", dir);
    ck_assert_int_eq(mkdir(tree, 0755), 0);
    snprintf(p, sizeof p, "%s/sub", tree);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/sub/f'g", tree);
    write_file(p, 10);
    snprintf(p, sizeof p, "%s/link-to-keep", tree); /* must not be followed */
    ck_assert_int_eq(symlink(outside, p), 0);
    og_remote_rm_tree(tree);
    struct stat sb;
    ck_assert_int_ne(lstat(tree, &sb), 0);
    ck_assert_int_eq(stat(og_test_path(outside, "precious"), &sb), 0);
    ck_assert_int_ne(stat(og_test_path(dir, "pwned"), &sb), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    og_test_rmtree(dir);
}
END_TEST

START_TEST(test_cache_trim_lru)
{
    char dir[128];
    og_test_mkdtemp(dir, sizeof dir, "cache");
    char kind[300], a[400], b[400], c[400];
    snprintf(kind, sizeof kind, "%s/url", dir);
    ck_assert_int_eq(mkdir(kind, 0755), 0);
    snprintf(a, sizeof a, "%s/old", kind);
    snprintf(b, sizeof b, "%s/mid", kind);
    snprintf(c, sizeof c, "%s/new", kind);
    const char *e[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mkdir(e[i], 0755), 0);
        write_file(og_test_path(e[i], "m.gguf"), 100 * 1024);
        struct timespec ts[2] = {{1000 + i, 0}, {1000 + i, 0}}; /* old < mid < new */
        ck_assert_int_eq(utimensat(AT_FDCWD, e[i], ts, 0), 0);
    }
    struct stat sb;
    setenv("OOMGUARD_CACHE_MAX", "1M", 1); /* all fit */
    og_remote_cache_trim(dir, c);
    ck_assert_int_eq(stat(a, &sb), 0);
    setenv("OOMGUARD_CACHE_MAX", "250K", 1); /* one must go: the least recently used */
    og_remote_cache_trim(dir, c);
    ck_assert_int_ne(stat(a, &sb), 0);
    ck_assert_int_eq(stat(b, &sb), 0);
    ck_assert_int_eq(stat(c, &sb), 0);
    og_remote_cache_touch(b); /* b used now: c is the oldest */
    setenv("OOMGUARD_CACHE_MAX", "150K", 1);
    og_remote_cache_trim(dir, b);
    ck_assert_int_eq(stat(b, &sb), 0);
    ck_assert_int_ne(stat(c, &sb), 0);
    setenv("OOMGUARD_CACHE_MAX", "0", 1); /* the entry in use is always kept */
    og_remote_cache_trim(dir, b);
    ck_assert_int_eq(stat(b, &sb), 0);
    unsetenv("OOMGUARD_CACHE_MAX");
    og_test_rmtree(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("remote");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_extent_hostile);
    tcase_add_test(tc, test_extent_plan_shapes);
    tcase_add_test(tc, test_extent_plan_bpe);
    tcase_add_test(tc, test_ollama_names);
    tcase_add_test(tc, test_ollama_manifest);
    tcase_add_test(tc, test_hf_revision);
    tcase_add_test(tc, test_rm_tree_no_shell);
    tcase_add_test(tc, test_cache_trim_lru);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
