/* Helpers shared by the Check suites: a scratch folder per test, paths in
 * it, and the model shape most tests use. */
#ifndef OG_TEST_H
#define OG_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "ogfix.h"
#include "oomguard/model.h"

/* Make /tmp/og-test-TAG-XXXXXX into dir (at least 64 bytes). */
static inline void og_test_mkdtemp(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/og-test-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove a folder made by og_test_mkdtemp and everything in it. */
static inline void og_test_rmtree(const char *dir)
{
    char cmd[600];
    ck_assert_int_lt(snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir), (int)sizeof cmd);
    ck_assert_int_eq(system(cmd), 0);
}

/* "dir/name" in a rotating static buffer (4 slots: up to four live at once). */
static inline const char *og_test_path(const char *dir, const char *name)
{
    static char p[4][400];
    static int i;
    char *s = p[i++ % 4];
    snprintf(s, sizeof p[0], "%s/%s", dir, name);
    return s;
}

/* The Llama 3.1 8B shape (config.json values) as a Q4_0 GGUF with a Q6_K
 * output layer, the fixture writer's default for quantized weights. */
static inline ogfix_shape og_test_llama31_8b(void)
{
    ogfix_shape s = {0};
    s.arch = "llama";
    s.name = "Llama-3.1-8B-shape";
    s.n_layer = 32;
    s.n_embd = 4096;
    s.n_head = 32;
    s.n_head_kv = 8;
    s.n_ff = 14336;
    s.n_vocab = 128256;
    s.n_ctx_train = 131072;
    s.weight_type = OGFIX_Q4_0;
    return s;
}

/* The model a fixture shape describes, parsed from its in-memory GGUF. */
static inline og_model *og_test_model_from_shape(const ogfix_shape *s)
{
    ogfix_gguf *g = ogfix_shape_gguf(s);
    ck_assert_ptr_nonnull(g);
    uint8_t *buf;
    size_t len;
    uint64_t fsize;
    ck_assert_int_eq(ogfix_gguf_to_buffer(g, 0, &buf, &len, &fsize), 0);
    og_model *m = NULL;
    og_error err;
    ck_assert_int_eq(og_gguf_parse_buffer(buf, len, fsize, s->name, &m, &err), OG_OK);
    free(buf);
    ogfix_gguf_free(g);
    return m;
}

#endif
