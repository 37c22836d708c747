/* wired: the recommendation table, the safety floor, and persistence against a
 * temporary root (idempotent, backups kept, foreign lines preserved, reset). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "og_test.h"
#include "oomguard/wired.h"

#define GIB (1024ull * 1024ull * 1024ull)

static char root[256];

static void setup(void)
{
    og_test_mkdtemp(root, sizeof root, "wired");
}

static void teardown(void)
{
    og_test_rmtree(root);
}

static char *slurp(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, rel);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *b = calloc(1, 1 << 16);
    size_t n = fread(b, 1, (1 << 16) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/etc", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s%s", root, rel);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int exists(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, rel);
    struct stat st;
    return stat(p, &st) == 0;
}

static int count(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        c++;
    return c;
}

START_TEST(test_recommend_table)
{
    static const struct {
        uint64_t gib;
        uint32_t mb;
    } t[] = {{24, 16384}, {32, 24576}, {64, 49152}, {96, 73728}, {128, 98304}, {192, 147456}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        ck_assert_msg(og_wired_recommend_mb(t[i].gib * GIB, 0, NULL) == t[i].mb,
                      "%llu GiB: %u, expected %u", (unsigned long long)t[i].gib,
                      og_wired_recommend_mb(t[i].gib * GIB, 0, NULL), t[i].mb);
    /* the floor: min(8 GiB, RAM/3) */
    ck_assert_uint_eq(og_wired_floor_mb(64 * GIB), 8192);
    ck_assert_uint_eq(og_wired_floor_mb(16 * GIB), 5461);
    ck_assert_uint_eq(og_wired_max_safe_mb(16 * GIB), 16384 - 5461);
    ck_assert_uint_eq(og_wired_max_safe_mb(64 * GIB), 57344);
}
END_TEST

START_TEST(test_recommend_for_need)
{
    int capped = -1;
    /* 40 GiB of weights+KV on a 64 GiB Mac: 40 + 4 (10 %) = 44 GiB */
    ck_assert_uint_eq(og_wired_recommend_mb(64 * GIB, 40 * GIB, &capped), 45056);
    ck_assert_int_eq(capped, 0);
    /* small need: at least 1 GiB margin, whole GiB */
    ck_assert_uint_eq(og_wired_recommend_mb(32 * GIB, 5 * GIB + 1, &capped), 7168);
    /* 60 GiB on 64: needs 66, capped at RAM - floor = 56 GiB */
    ck_assert_uint_eq(og_wired_recommend_mb(64 * GIB, 60 * GIB, &capped), 57344);
    ck_assert_int_eq(capped, 1);
}
END_TEST

START_TEST(test_check_refuses_starving)
{
    og_error err;
    ck_assert_int_eq(og_wired_check(64 * GIB, 0, 0, &err), OG_OK);
    ck_assert_int_eq(og_wired_check(64 * GIB, 57344, 0, &err), OG_OK);
    ck_assert_int_eq(og_wired_check(64 * GIB, 60000, 0, &err), OG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.message, "--force"));
    ck_assert_ptr_nonnull(strstr(err.message, "57344"));
    ck_assert_int_eq(og_wired_check(64 * GIB, 60000, 1, &err), OG_OK);
    /* never the whole RAM, even with --force */
    ck_assert_int_eq(og_wired_check(64 * GIB, 65536, 1, &err), OG_ERR_INVALID);
    ck_assert_int_eq(og_wired_check(0, 1000, 1, &err), OG_ERR_INVALID);
}
END_TEST

START_TEST(test_persist_fresh_root)
{
    og_wired_actions a;
    og_error err;
    ck_assert_int_eq(og_wired_persist(root, 49152, 0, &a, &err), OG_OK);
    ck_assert_uint_eq(a.n, 2);
    ck_assert_str_eq(a.a[0].what, "create");
    ck_assert_str_eq(a.a[1].what, "create");
    char *plist = slurp(OG_WIRED_PLIST_PATH);
    ck_assert_ptr_nonnull(plist);
    ck_assert_ptr_nonnull(strstr(plist, "sysctl -w iogpu.wired_limit_mb=49152"));
    ck_assert_ptr_nonnull(strstr(plist, "<key>RunAtLoad</key>"));
    ck_assert_ptr_nonnull(strstr(plist, OG_WIRED_PLIST_LABEL));
    free(plist);
    char *conf = slurp("/etc/sysctl.conf");
    ck_assert_int_eq(count(conf, "iogpu.wired_limit_mb=49152\n"), 1);
    free(conf);
    /* plist mode 0644 */
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, OG_WIRED_PLIST_PATH);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    /* no temp files left behind */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*oomguard-tmp*' | grep -q .", root);
    ck_assert_int_ne(system(cmd), 0);
}
END_TEST

START_TEST(test_persist_idempotent_keeps_lines_and_backup)
{
    const char *orig = "# my settings\nkern.maxfiles=65536\n  iogpu.wired_limit_mb = 20000\n"
                       "kern.maxfilesperproc=32768"; /* no final newline */
    put("/etc/sysctl.conf", orig);
    og_wired_actions a;
    og_error err;
    ck_assert_int_eq(og_wired_persist(root, 24576, 0, &a, &err), OG_OK);
    ck_assert_str_eq(a.a[1].what, "update");
    ck_assert_ptr_nonnull(strstr(a.a[1].backup, "sysctl.conf.oomguard-backup"));
    char *conf = slurp("/etc/sysctl.conf");
    ck_assert_ptr_nonnull(strstr(conf, "# my settings\nkern.maxfiles=65536\n"));
    ck_assert_ptr_nonnull(strstr(conf, "kern.maxfilesperproc=32768"));
    ck_assert_int_eq(count(conf, "iogpu.wired_limit_mb"), 2); /* our comment + the line */
    ck_assert_int_eq(count(conf, "iogpu.wired_limit_mb=24576"), 1);
    ck_assert_ptr_null(strstr(conf, "20000"));
    /* replaced in place: before kern.maxfilesperproc */
    ck_assert(strstr(conf, "iogpu.wired_limit_mb=24576") < strstr(conf, "kern.maxfilesperproc"));
    char *bak = slurp("/etc/sysctl.conf.oomguard-backup");
    ck_assert_str_eq(bak, orig);
    free(bak);

    /* second run: nothing changes, the backup still holds the original */
    ck_assert_int_eq(og_wired_persist(root, 24576, 0, &a, &err), OG_OK);
    ck_assert_str_eq(a.a[0].what, "unchanged");
    ck_assert_str_eq(a.a[1].what, "unchanged");
    char *conf2 = slurp("/etc/sysctl.conf");
    ck_assert_str_eq(conf, conf2);
    bak = slurp("/etc/sysctl.conf.oomguard-backup");
    ck_assert_str_eq(bak, orig);
    free(bak);
    free(conf2);

    /* a new value updates in place, once */
    ck_assert_int_eq(og_wired_persist(root, 30000, 0, &a, &err), OG_OK);
    free(conf);
    conf = slurp("/etc/sysctl.conf");
    ck_assert_int_eq(count(conf, "iogpu.wired_limit_mb=30000"), 1);
    ck_assert_int_eq(count(conf, "iogpu.wired_limit_mb="), 1);
    ck_assert_int_eq(count(conf, "set by oomguard"), 1);
    char *plist = slurp(OG_WIRED_PLIST_PATH);
    ck_assert_ptr_nonnull(strstr(plist, "=30000"));
    free(plist);
    free(conf);
}
END_TEST

START_TEST(test_reset_removes_only_ours)
{
    put("/etc/sysctl.conf", "kern.maxfiles=65536\n");
    og_wired_actions a;
    og_error err;
    ck_assert_int_eq(og_wired_persist(root, 24576, 0, &a, &err), OG_OK);
    ck_assert(exists(OG_WIRED_PLIST_PATH));
    ck_assert_int_eq(og_wired_unpersist(root, 0, &a, &err), OG_OK);
    ck_assert_str_eq(a.a[0].what, "remove");
    ck_assert_str_eq(a.a[1].what, "update");
    ck_assert(!exists(OG_WIRED_PLIST_PATH));
    char *conf = slurp("/etc/sysctl.conf");
    ck_assert_str_eq(conf, "kern.maxfiles=65536\n");
    free(conf);
    /* reset again: nothing to do */
    ck_assert_int_eq(og_wired_unpersist(root, 0, &a, &err), OG_OK);
    ck_assert_str_eq(a.a[0].what, "absent");
    ck_assert_str_eq(a.a[1].what, "unchanged");
}
END_TEST

START_TEST(test_dry_run_writes_nothing)
{
    put("/etc/sysctl.conf", "kern.maxfiles=65536\n");
    og_wired_actions a;
    og_error err;
    ck_assert_int_eq(og_wired_persist(root, 24576, 1, &a, &err), OG_OK);
    ck_assert_str_eq(a.a[0].what, "create");
    ck_assert_str_eq(a.a[1].what, "update");
    ck_assert(!exists(OG_WIRED_PLIST_PATH));
    ck_assert(!exists("/etc/sysctl.conf.oomguard-backup"));
    char *conf = slurp("/etc/sysctl.conf");
    ck_assert_str_eq(conf, "kern.maxfiles=65536\n");
    free(conf);
    ck_assert_int_eq(og_wired_persist(root, 0, 0, &a, &err), OG_ERR_INVALID);
}
END_TEST

START_TEST(test_gtt)
{
    og_gtt_params p;
    og_gtt_parse_cmdline("BOOT_IMAGE=/vmlinuz quiet amdttm.pages_limit=1 ttm.pages_limit=25165824 "
                         "amdgpu.gttsize=-1",
                         &p);
    ck_assert_int_eq(p.ttm_pages_limit, 25165824);
    ck_assert_int_eq(p.amdttm_pages_limit, 1);
    ck_assert_int_eq(p.amdgpu_gttsize_mb, -1);
    og_gtt_parse_cmdline("quiet splash", &p);
    ck_assert_int_eq(p.ttm_pages_limit, -1);
    /* 96 GiB = 25165824 pages (noamsto/nix-amd-ai#42) */
    ck_assert_uint_eq(og_gtt_pages_for_bytes(96 * GIB), 25165824);
}
END_TEST

START_TEST(test_platform_write_refused_off_macos)
{
    int need_root = -1;
    og_error err;
    og_status s = og_wired_apply(1000, &need_root, &err);
#if defined(__linux__)
    ck_assert_int_eq(s, OG_ERR_UNSUPPORTED);
    ck_assert_int_eq(need_root, 0);
    uint32_t mb = 7;
    ck_assert_int_eq(og_wired_read_mb(&mb, &err), OG_ERR_UNSUPPORTED);
    ck_assert_uint_eq(mb, 0);
#else
    (void)s;
#endif
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("wired");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_recommend_table);
    tcase_add_test(tc, test_recommend_for_need);
    tcase_add_test(tc, test_check_refuses_starving);
    tcase_add_test(tc, test_persist_fresh_root);
    tcase_add_test(tc, test_persist_idempotent_keeps_lines_and_backup);
    tcase_add_test(tc, test_reset_removes_only_ours);
    tcase_add_test(tc, test_dry_run_writes_nothing);
    tcase_add_test(tc, test_gtt);
    tcase_add_test(tc, test_platform_write_refused_off_macos);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
