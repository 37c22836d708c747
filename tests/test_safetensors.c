/* safetensors, sharded and MLX folder reader tests: fixtures with real
 * headers, expected values computed by hand, and hostile input. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ogfix.h"
#include "ogfix_st.h"
#include "og_test.h"
#include "oomguard/oomguard.h"

static char tmpdir[256];

static void setup(void)
{
    og_test_mkdtemp(tmpdir, sizeof tmpdir, "st");
}

static void teardown(void)
{
    og_test_rmtree(tmpdir);
}

static const og_tensor *find(const og_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

START_TEST(test_single_all_dtypes)
{
    ogfix_st *st = ogfix_st_new();
    uint64_t s23[] = {2, 3}, s4[] = {4}, s24[] = {2, 4}, s44[] = {4, 4}, s0[] = {0}, s2[] = {2},
             s16[] = {16};
    ck_assert_int_eq(ogfix_st_metadata(st, "format", "pt"), 0);
    ck_assert_int_eq(ogfix_st_tensor(st, "a", "F32", 2, s23), 0);     /* 24 bytes */
    ck_assert_int_eq(ogfix_st_tensor(st, "b", "BF16", 1, s4), 0);     /* 8 */
    ck_assert_int_eq(ogfix_st_tensor(st, "c", "F4", 2, s24), 0);      /* 8 x 4 bits = 4 */
    ck_assert_int_eq(ogfix_st_tensor(st, "d", "F6_E2M3", 2, s44), 0); /* 16 x 6 bits = 12 */
    ck_assert_int_eq(ogfix_st_tensor(st, "e", "U8", 0, s4), 0);       /* scalar: 1 */
    ck_assert_int_eq(ogfix_st_tensor(st, "f", "BOOL", 1, s0), 0);     /* empty: 0 */
    ck_assert_int_eq(ogfix_st_tensor(st, "g", "C64", 1, s2), 0);      /* 16 */
    ck_assert_int_eq(ogfix_st_tensor(st, "h", "F8_E4M3", 1, s16), 0); /* 16 */
    const char *path = og_test_path(tmpdir, "one.safetensors");
    ck_assert_int_eq(ogfix_st_write(st, path), 0);
    ogfix_st_free(st);

    og_model *m = NULL;
    og_error err;
    ck_assert_int_eq(og_model_open(path, &m, &err), OG_OK);
    ck_assert_int_eq(m->format, OG_FORMAT_SAFETENSORS);
    ck_assert_uint_eq(m->n_tensors, 8);
    ck_assert_uint_eq(m->weight_bytes, 24 + 8 + 4 + 12 + 1 + 0 + 16 + 16);
    ck_assert_uint_eq(m->n_params, 6 + 4 + 8 + 16 + 1 + 0 + 2 + 16);
    ck_assert_uint_eq(m->n_files, 1);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(m->file_bytes, (uint64_t)sb.st_size);
    /* Offsets are absolute: data starts at 8 + header length. */
    FILE *f = fopen(path, "rb");
    uint64_t hl = 0;
    ck_assert_int_eq(fread(&hl, 8, 1, f), 1);
    fclose(f);
    const og_tensor *a = find(m, "a"), *c = find(m, "c"), *d = find(m, "d");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->offset, 8 + hl);
    ck_assert_str_eq(a->type_name, "F32");
    ck_assert_int_eq(a->ggml_type, -1);
    ck_assert_uint_eq(a->n_dims, 2);
    ck_assert_uint_eq(a->dims[0], 2); /* row-major */
    ck_assert_uint_eq(a->dims[1], 3);
    ck_assert_uint_eq(c->bytes, 4);
    ck_assert_uint_eq(d->n_elements, 16);
    ck_assert_uint_eq(og_model_type_bytes(m, "F32"), 24);
    ck_assert_uint_eq(og_model_type_bytes(m, "F6_E2M3"), 12);
    ck_assert_uint_eq(m->by_type[0].bytes, 24); /* sorted by bytes */
    ck_assert_uint_eq(sb.st_size, 8 + hl + 81);
    og_model_free(m);
}
END_TEST

START_TEST(test_sharded)
{
    ogfix_st_entry e[5];
    memset(e, 0, sizeof e);
    const char *names[] = {"model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight",
                           "model.layers.1.mlp.up_proj.weight", "model.norm.weight",
                           "lm_head.weight"};
    uint64_t shapes[][2] = {{1000, 64}, {128, 64}, {128, 64}, {64, 0}, {1000, 64}};
    uint32_t shard[] = {0, 0, 1, 2, 2};
    for (int i = 0; i < 5; i++) {
        snprintf(e[i].name, sizeof e[i].name, "%s", names[i]);
        snprintf(e[i].dtype, sizeof e[i].dtype, "BF16");
        e[i].n_dims = shapes[i][1] ? 2 : 1;
        e[i].shape[0] = shapes[i][0];
        e[i].shape[1] = shapes[i][1];
        e[i].shard = shard[i];
    }
    const char *dir = og_test_path(tmpdir, "sharded");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(ogfix_st_write_model(e, 5, 3, "pt", dir), 0);
    og_model *m = NULL;
    og_error err;
    /* Through the folder, the index, and one shard: the same model. */
    const char *paths[] = {dir, og_test_path(tmpdir, "sharded/model.safetensors.index.json"),
                           og_test_path(tmpdir, "sharded/model-00002-of-00003.safetensors")};
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(og_model_open(paths[k], &m, &err) == OG_OK, "%s", err.message);
        ck_assert_int_eq(m->format, OG_FORMAT_SAFETENSORS);
        ck_assert_uint_eq(m->n_files, 3);
        ck_assert_uint_eq(m->n_tensors, 5);
        /* (1000*64*2 + 128*64*2 + 64) * 2 bytes */
        ck_assert_uint_eq(m->weight_bytes, 2 * (128000 + 16384 + 64));
        ck_assert_uint_eq(m->n_params, 128000 + 16384 + 64);
        ck_assert_uint_eq(find(m, "model.norm.weight")->file_index, 2);
        ck_assert_uint_eq(find(m, "model.layers.1.mlp.up_proj.weight")->file_index, 1);
        ck_assert_str_eq(m->quant_label, "BF16");
        og_model_free(m);
    }
    /* A shard missing from the folder. */
    ck_assert_int_eq(unlink(og_test_path(tmpdir, "sharded/model-00003-of-00003.safetensors")), 0);
    ck_assert_int_ne(og_model_open(dir, &m, &err), OG_OK);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(err.message, "model-00003-of-00003.safetensors"));
}
END_TEST

START_TEST(test_mlx_folder)
{
    ogfix_mlx s = {0};
    s.n_layer = 2;
    s.n_embd = 256;
    s.n_ff = 512;
    s.n_vocab = 1000;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.bits = 4;
    s.group_size = 64;
    s.override_module = "model.layers.0.mlp.down_proj";
    s.override_bits = 8;
    s.n_shards = 2;
    const char *dir = og_test_path(tmpdir, "mlx");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(ogfix_mlx_write(&s, dir), 0);
    og_model *m = NULL;
    og_error err;
    ck_assert_msg(og_model_open(dir, &m, &err) == OG_OK, "%s", err.message);
    ck_assert_int_eq(m->format, OG_FORMAT_MLX);
    ck_assert_int_eq(m->mlx.quantized, 1);
    ck_assert_uint_eq(m->mlx.bits, 4);
    ck_assert_uint_eq(m->mlx.group_size, 64);
    ck_assert_str_eq(m->mlx.mode, "affine");
    ck_assert_uint_eq(m->mlx.n_overrides, 1);
    ck_assert_str_eq(m->quant_label, "mlx-4bit");
    ck_assert_str_eq(m->hp.arch, "llama");
    ck_assert_uint_eq(m->hp.n_layer, 2);
    ck_assert_uint_eq(m->hp.n_head_kv[0], 2);
    /* Logical parameters: embed 1000*256 + lm_head 1000*256 + final norm 256
     * + 2 layers x (q 65536 + k 32768 + v 32768 + o 65536 + gate/up/down
     * 3 x 131072 + 2 norms x 256) = 1,692,928. */
    ck_assert_uint_eq(m->n_params, 1692928);
    /* Bytes: 4-bit g64 linear = n*9/16 (n/2 weights + n/16 bf16 scales and
     * biases), 8-bit = n*17/16. 4-bit elements 1,560,576 -> 877,824;
     * down_proj of layer 0 (131,072) -> 139,264; norms 1,280 x 2 = 2,560. */
    ck_assert_uint_eq(m->weight_bytes, 877824 + 139264 + 2560);
    const og_tensor *dn = find(m, "model.layers.0.mlp.down_proj.weight");
    ck_assert_str_eq(dn->type_name, "U32");
    ck_assert_uint_eq(dn->dims[1], 512 * 8 / 32);
    ck_assert_uint_eq(dn->n_elements, 256 * 512);
    ck_assert_uint_eq(find(m, "model.layers.1.mlp.down_proj.weight")->n_elements, 256 * 512);
    og_model_free(m);

    /* Detected from __metadata__ alone (no quantization in config). */
    ogfix_mlx u = s;
    u.bits = 0;
    u.override_module = NULL;
    u.n_shards = 1;
    const char *dir2 = og_test_path(tmpdir, "mlx-bf16");
    ck_assert_int_eq(mkdir(dir2, 0755), 0);
    ck_assert_int_eq(ogfix_mlx_write(&u, dir2), 0);
    ck_assert_int_eq(og_model_open(dir2, &m, &err), OG_OK);
    ck_assert_int_eq(m->format, OG_FORMAT_MLX);
    ck_assert_int_eq(m->mlx.quantized, 0);
    ck_assert_uint_eq(m->n_params, 1692928);
    ck_assert_uint_eq(m->weight_bytes, 2 * 1692928);
    og_model_free(m);
}
END_TEST

START_TEST(test_hf_folder_and_symlinks)
{
    /* An HF hub cache layout: snapshot files are links into blobs/. */
    const char *repo = og_test_path(tmpdir, "models--org--tiny");
    char p[600], q[600];
    ck_assert_int_eq(mkdir(repo, 0755), 0);
    snprintf(p, sizeof p, "%s/blobs", repo);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/snapshots", repo);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/snapshots/abc123", repo);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ogfix_st *st = ogfix_st_new();
    uint64_t emb[] = {1000, 64};
    ogfix_st_tensor(st, "model.embed_tokens.weight", "F16", 2, emb);
    snprintf(p, sizeof p, "%s/blobs/1111", repo);
    ck_assert_int_eq(ogfix_st_write(st, p), 0);
    ogfix_st_free(st);
    snprintf(p, sizeof p, "%s/blobs/2222", repo);
    FILE *f = fopen(p, "w");
    fputs("{\"architectures\": [\"Qwen3ForCausalLM\"], \"hidden_size\": 64, "
          "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, "
          "\"head_dim\": 32, \"intermediate_size\": 128, \"vocab_size\": 1000, "
          "\"tie_word_embeddings\": true, \"torch_dtype\": \"float16\"}",
          f);
    fclose(f);
    snprintf(p, sizeof p, "%s/snapshots/abc123/model.safetensors", repo);
    ck_assert_int_eq(symlink("../../blobs/1111", p), 0);
    snprintf(p, sizeof p, "%s/snapshots/abc123/config.json", repo);
    ck_assert_int_eq(symlink("../../blobs/2222", p), 0);
    snprintf(q, sizeof q, "%s/snapshots/abc123", repo);
    og_model *m = NULL;
    og_error err;
    ck_assert_msg(og_model_open(q, &m, &err) == OG_OK, "%s", err.message);
    ck_assert_int_eq(m->format, OG_FORMAT_SAFETENSORS);
    ck_assert_str_eq(m->name, "org/tiny");
    ck_assert_str_eq(m->hp.arch, "qwen3");
    ck_assert_uint_eq(m->hp.head_dim_k, 32);
    ck_assert_int_eq(m->hp.tied_embeddings, 1);
    ck_assert_uint_eq(m->weight_bytes, 1000 * 64 * 2);
    ck_assert_str_eq(m->quant_label, "F16");
    og_model_free(m);

    /* A link loop is refused with a clear message. */
    const char *loop = og_test_path(tmpdir, "loop");
    ck_assert_int_eq(mkdir(loop, 0755), 0);
    snprintf(p, sizeof p, "%s/model.safetensors", loop);
    ck_assert_int_eq(symlink("model.safetensors", p), 0);
    ck_assert_int_ne(og_model_open(loop, &m, &err), OG_OK);
    ck_assert_ptr_nonnull(strstr(err.message, "symlink loop"));
    ck_assert_int_ne(og_model_open(p, &m, &err), OG_OK);
    ck_assert_ptr_nonnull(strstr(err.message, "loop"));
    const char *dloop = og_test_path(tmpdir, "dloop");
    ck_assert_int_eq(symlink("dloop", dloop), 0);
    ck_assert_int_ne(og_model_open(dloop, &m, &err), OG_OK);
    ck_assert_ptr_nonnull(strstr(err.message, "loop"));
}
END_TEST

/* A safetensors buffer from a header text, padded data, and a length field
 * that may lie. */
static uint8_t *st_buf(const char *json, uint64_t data, int64_t len_override, size_t *len)
{
    size_t hl = strlen(json);
    *len = 8 + hl + (size_t)data;
    uint8_t *b = calloc(1, *len);
    uint64_t n = len_override >= 0 ? (uint64_t)len_override : hl;
    memcpy(b, &n, 8);
    memcpy(b + 8, json, hl);
    return b;
}

static void expect_bad(const char *json, uint64_t data, int64_t len_override, const char *needle)
{
    size_t len;
    uint8_t *b = st_buf(json, data, len_override, &len);
    og_model *m = (og_model *)1;
    og_error err;
    og_error_clear(&err);
    og_status st = og_safetensors_parse_buffer(b, len, len, "bad.safetensors", &m, &err);
    ck_assert_msg(st == OG_ERR_INVALID, "%s: expected an error, got %d", json, st);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, "bad.safetensors") != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, needle) != NULL, "'%s' not in: %s", needle, err.message);
    free(b);
}

START_TEST(test_hostile)
{
    size_t len;
    og_model *m = NULL;
    og_error err;
    /* Sanity: a valid one parses. */
    uint8_t *b =
        st_buf("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, &len);
    ck_assert_int_eq(og_safetensors_parse_buffer(b, len, len, "ok", &m, &err), OG_OK);
    ck_assert_uint_eq(m->weight_bytes, 8);
    og_model_free(m);
    free(b);

    expect_bad("{}", 0, 1000, "larger than the file");
    expect_bad("{}", 0, 200000000, "limit");
    expect_bad("[1]", 0, -1, "does not start with '{'");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, -1, "overlaps");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, -1, "gap");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, -1,
               "need 12");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1099511627776],\"data_offsets\":[0,8]}}", 8,
               -1, "need 4398046511104");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
               "\"data_offsets\":[0,8]}}",
               8, -1, "overflows");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, -1,
               "trailing bytes");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, -1,
               "truncated");
    expect_bad("{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1,
               "unknown dtype");
    expect_bad("{\"x\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, -1,
               "whole number of bytes");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, -1,
               "shape[0]");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, -1,
               "before begin");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
               8, -1, "duplicate");
    expect_bad("{\"__metadata__\":{\"a\":1}}", 0, -1, "not a string");
    expect_bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],"
               "\"data_offsets\":[0,8]}}",
               8, -1, "dimensions");
    expect_bad("{\"\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1,
               "UTF-8");
    /* Nesting depth 100000. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 8);
    strcpy(deep, "{\"a\":");
    size_t p = 5;
    for (size_t i = 0; i < depth; i++)
        deep[p++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[p++] = ']';
    deep[p++] = '}';
    deep[p] = '\0';
    expect_bad(deep, 0, -1, "invalid at byte");
    free(deep);
    /* Truncated: every prefix of a valid file fails cleanly. */
    b = st_buf("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -1, &len);
    for (size_t cut = 0; cut < len; cut++) {
        og_status st = og_safetensors_parse_buffer(b, cut, cut, "cut", &m, &err);
        ck_assert_int_ne(st, OG_OK);
        ck_assert_ptr_null(m);
    }
    free(b);

    /* Files: too short, header longer than the file. */
    const char *path = og_test_path(tmpdir, "short.safetensors");
    FILE *f = fopen(path, "wb");
    fwrite("\x10\0\0", 1, 3, f);
    fclose(f);
    ck_assert_int_eq(og_model_open(path, &m, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "too short"));
    f = fopen(path, "wb");
    uint64_t big = 1u << 20;
    fwrite(&big, 8, 1, f);
    fputs("{}", f);
    fclose(f);
    ck_assert_int_eq(og_model_open(path, &m, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "larger than the file"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("reader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_single_all_dtypes);
    tcase_add_test(tc, test_sharded);
    tcase_add_test(tc, test_mlx_folder);
    tcase_add_test(tc, test_hf_folder_and_symlinks);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
