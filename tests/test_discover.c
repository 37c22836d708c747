/* Model discovery over fake Hugging Face, LM Studio and Ollama stores built
 * in a temporary HOME. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ogfix.h"
#include "og_test.h"
#include "oomguard/discover.h"
#include "oomguard/oomguard.h"

static char home[256];

static void mkdirs(const char *rel)
{
    char p[600];
    snprintf(p, sizeof p, "mkdir -p '%s/%s'", home, rel);
    ck_assert_int_eq(system(p), 0);
}

static const char *hp(const char *rel)
{
    static char p[4][600];
    static int i;
    char *s = p[i++ % 4];
    snprintf(s, 600, "%s/%s", home, rel);
    return s;
}

static void write_text(const char *rel, const char *text)
{
    FILE *f = fopen(hp(rel), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void tiny_gguf(const char *rel)
{
    ogfix_shape s = {0};
    s.arch = "llama";
    s.name = "tiny";
    s.n_layer = 2;
    s.n_embd = 64;
    s.n_head = 4;
    s.n_ff = 128;
    s.n_vocab = 256;
    s.n_ctx_train = 2048;
    s.weight_type = OGFIX_Q8_0;
    ck_assert_int_eq(ogfix_shape_write(&s, hp(rel)), 0);
}

static void setup(void)
{
    og_test_mkdtemp(home, sizeof home, "disc");
    setenv("HOME", home, 1);
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_HOME");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("OLLAMA_MODELS");

    /* Hugging Face cache: a safetensors repo and a GGUF repo. */
    mkdirs(".cache/huggingface/hub/models--org--tiny/blobs");
    mkdirs(".cache/huggingface/hub/models--org--tiny/snapshots/0123456789abcdef");
    ogfix_st *st = ogfix_st_new();
    uint64_t emb[] = {256, 64};
    ogfix_st_tensor(st, "model.embed_tokens.weight", "BF16", 2, emb);
    ck_assert_int_eq(ogfix_st_write(st, hp(".cache/huggingface/hub/models--org--tiny/blobs/aa")),
                     0);
    ogfix_st_free(st);
    write_text(".cache/huggingface/hub/models--org--tiny/blobs/bb",
               "{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 64, "
               "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 256}");
    ck_assert_int_eq(
        symlink("../../blobs/aa", hp(".cache/huggingface/hub/models--org--tiny/snapshots/"
                                     "0123456789abcdef/model.safetensors")),
        0);
    ck_assert_int_eq(symlink("../../blobs/bb", hp(".cache/huggingface/hub/models--org--tiny/"
                                                  "snapshots/0123456789abcdef/config.json")),
                     0);
    mkdirs(".cache/huggingface/hub/models--org--tiny-GGUF/snapshots/feed");
    tiny_gguf(".cache/huggingface/hub/models--org--tiny-GGUF/snapshots/feed/tiny-Q8_0.gguf");

    /* LM Studio: a GGUF, a broken GGUF, a split model, and loops. */
    mkdirs(".lmstudio/models/pub/repo");
    tiny_gguf(".lmstudio/models/pub/repo/tiny-Q8_0.gguf");
    write_text(".lmstudio/models/pub/repo/mmproj-tiny.gguf", "not listed");
    mkdirs(".lmstudio/models/pub/broken");
    write_text(".lmstudio/models/pub/broken/bad.gguf", "GGUF\x03\0\0\0garbage");
    ck_assert_int_eq(symlink("../..", hp(".lmstudio/models/pub/repo/up")), 0);
    ck_assert_int_eq(symlink("self.gguf", hp(".lmstudio/models/pub/broken/self.gguf")), 0);

    /* Ollama: a manifest pointing at a GGUF blob, and one at a missing blob. */
    mkdirs(".ollama/models/manifests/registry.ollama.ai/library/tiny");
    mkdirs(".ollama/models/manifests/hf.co/org/repo");
    mkdirs(".ollama/models/blobs");
    tiny_gguf(".ollama/models/blobs/sha256-00ff");
    write_text(".ollama/models/manifests/registry.ollama.ai/library/tiny/latest",
               "{\"schemaVersion\": 2, \"layers\": [{\"mediaType\": "
               "\"application/vnd.ollama.image.template\", \"digest\": \"sha256:11\"}, "
               "{\"mediaType\": \"application/vnd.ollama.image.model\", \"digest\": "
               "\"sha256:00ff\", \"size\": 1}]}");
    write_text(".ollama/models/manifests/hf.co/org/repo/Q4_K_M",
               "{\"layers\": [{\"mediaType\": \"application/vnd.ollama.image.model\", "
               "\"digest\": \"sha256:dead\"}]}");
}

static void teardown(void)
{
    og_test_rmtree(home);
}

static const og_found_model *get(const og_model_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

START_TEST(test_default_stores)
{
    og_model_list *l = NULL;
    og_error err;
    ck_assert_int_eq(og_discover(NULL, 0, &l, &err), OG_OK);
    const og_found_model *f = get(l, "org/tiny");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->store, OG_STORE_HF_CACHE);
    ck_assert_int_eq(f->format, OG_FORMAT_SAFETENSORS);
    ck_assert_str_eq(f->arch, "qwen2");
    ck_assert_uint_eq(f->weight_bytes, 256 * 64 * 2);
    ck_assert_ptr_null(f->error);

    f = get(l, "org/tiny-GGUF:tiny-Q8_0.gguf");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->format, OG_FORMAT_GGUF);
    ck_assert_str_eq(f->arch, "llama");

    f = get(l, "pub/repo/tiny-Q8_0.gguf");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->store, OG_STORE_LMSTUDIO);
    ck_assert_int_eq(f->format, OG_FORMAT_GGUF);
    ck_assert_ptr_null(get(l, "pub/repo/mmproj-tiny.gguf"));

    f = get(l, "pub/broken/bad.gguf");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(f->error);
    ck_assert_int_eq(f->status, OG_ERR_INVALID);
    ck_assert_int_eq(f->format, OG_FORMAT_UNKNOWN);
    f = get(l, "pub/broken/self.gguf");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->error, "loop"));

    f = get(l, "tiny:latest");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->store, OG_STORE_OLLAMA);
    ck_assert_int_eq(f->format, OG_FORMAT_GGUF);
    ck_assert_ptr_nonnull(strstr(f->path, "blobs/sha256-00ff"));
    f = get(l, "hf.co/org/repo:Q4_K_M");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->status, OG_ERR_NOT_FOUND);

    /* Each model once, despite the "up" loop back into the store. */
    ck_assert_uint_eq(l->n, 7);
    og_model_list_free(l);
}
END_TEST

START_TEST(test_env_and_dirs)
{
    /* OLLAMA_MODELS and HF_HUB_CACHE move the stores. */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "mv '%s/.ollama/models' '%s/ollama-elsewhere'", home, home);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "mv '%s/.cache/huggingface/hub' '%s/hub-elsewhere'", home, home);
    ck_assert_int_eq(system(cmd), 0);
    og_model_list *l = NULL;
    og_error err;
    ck_assert_int_eq(og_discover(NULL, 0, &l, &err), OG_OK);
    ck_assert_ptr_null(get(l, "tiny:latest"));
    ck_assert_ptr_null(get(l, "org/tiny"));
    og_model_list_free(l);
    setenv("OLLAMA_MODELS", hp("ollama-elsewhere"), 1);
    setenv("HF_HUB_CACHE", hp("hub-elsewhere"), 1);
    ck_assert_int_eq(og_discover(NULL, 0, &l, &err), OG_OK);
    ck_assert_ptr_nonnull(get(l, "tiny:latest"));
    ck_assert_ptr_nonnull(get(l, "org/tiny"));
    og_model_list_free(l);
    unsetenv("HF_HUB_CACHE");
    setenv("HF_HOME", home, 1);
    snprintf(cmd, sizeof cmd, "mv '%s/hub-elsewhere' '%s/hub'", home, home);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(og_discover(NULL, 0, &l, &err), OG_OK);
    ck_assert_ptr_nonnull(get(l, "org/tiny"));
    og_model_list_free(l);

    /* Folders given: the Ollama store and the cache are recognised by layout. */
    const char *dirs[] = {hp("ollama-elsewhere"), hp("hub"), hp(".lmstudio/models/pub/repo")};
    ck_assert_int_eq(og_discover(dirs, 3, &l, &err), OG_OK);
    ck_assert_ptr_nonnull(get(l, "tiny:latest"));
    ck_assert_ptr_nonnull(get(l, "org/tiny"));
    const og_found_model *f = get(l, "tiny-Q8_0.gguf");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->store, OG_STORE_FOLDER);
    og_model_list_free(l);

    const char *missing[] = {hp("nope")};
    ck_assert_int_eq(og_discover(missing, 1, &l, &err), OG_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "nope"));
    og_model_list_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("discover");
    TCase *tc = tcase_create("stores");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_default_stores);
    tcase_add_test(tc, test_env_and_dirs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
