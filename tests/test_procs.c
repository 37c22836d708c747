/* Process reader, trees, classifier and the verified tree signal. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "og_test.h"
#include "oomguard/oomguard.h"
#include "oomguard/procs.h"

static char tmpdir[256];

static void setup(void)
{
    og_test_mkdtemp(tmpdir, sizeof tmpdir, "procs");
}

static void teardown(void)
{
    og_test_rmtree(tmpdir);
}

static void put(const char *rel, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    /* make parent folder */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    mkdir(dir, 0755);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put_s(const char *rel, const char *s)
{
    put(rel, s, strlen(s));
}

/* A stat line as the kernel writes it (fields 1..24). */
static void put_stat(int pid, const char *comm, int ppid, unsigned long long start)
{
    char rel[64], line[512];
    snprintf(rel, sizeof rel, "%d/stat", pid);
    snprintf(line, sizeof line,
             "%d (%s) S %d %d %d 0 -1 4194560 1000 0 0 0 10 5 0 0 20 0 1 0 %llu 123456789 "
             "2000 18446744073709551615\n",
             pid, comm, ppid, pid, pid, start);
    put_s(rel, line);
}

static void build_fixture(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    (void)ps;
    put_stat(1, "systemd", 0, 10);
    put_stat(100, "bash", 1, 500);
    /* comm with a space and a parenthesis, as Chrome's helpers have */
    put_stat(200, "llama-server) x", 100, 600);
    put_stat(201, "worker", 200, 610);
    put_stat(202, "grandkid", 201, 620);
    put_stat(300, "other", 1, 700);
    /* 200: PSS from smaps_rollup; 201: no rollup, statm only; 202: nothing */
    put_s("200/smaps_rollup", "55d0-7ffc ---p 00000000 00:00 0   [rollup]\n"
                              "Rss:             2048000 kB\n"
                              "Pss:             1024000 kB\n"
                              "Pss_Anon:         512000 kB\n");
    char statm[64];
    snprintf(statm, sizeof statm, "5000 300 20 1 0 100 0\n");
    put_s("201/statm", statm);
    const char cmd[] = "llama-server\0-m\0model.gguf\0-c\0008192\0";
    put("200/cmdline", cmd, sizeof cmd - 1);
    put_s("100/cmdline", "");
    /* not processes */
    put_s("self/stat", "garbage");
    put_s("meminfo", "MemTotal: 1 kB\n");
}

START_TEST(test_fixture_list)
{
    build_fixture();
    og_proc_list l;
    og_error err;
    ck_assert_int_eq(og_procs_list_at(tmpdir, &l, OG_PROCS_ALL, &err), OG_OK);
    ck_assert_uint_eq(l.n, 6);
    int64_t i = og_proc_find(&l, 200);
    ck_assert_int_ge(i, 0);
    og_proc *p = &l.procs[i];
    ck_assert_str_eq(p->name, "llama-server) x");
    ck_assert_int_eq(p->ppid, 100);
    ck_assert_uint_eq(p->start_time, 600);
    ck_assert_str_eq(p->cmdline, "llama-server -m model.gguf -c 8192");
    ck_assert_int_eq(p->footprint_kind, OG_MEM_PSS);
    ck_assert_uint_eq(p->footprint_bytes, 1024000ull * 1024);
    ck_assert_uint_eq(p->rss_bytes, 2048000ull * 1024);

    p = &l.procs[og_proc_find(&l, 201)];
    ck_assert_int_eq(p->footprint_kind, OG_MEM_RSS);
    ck_assert_uint_eq(p->rss_bytes, 300ull * (uint64_t)sysconf(_SC_PAGESIZE));
    ck_assert_uint_eq(p->footprint_bytes, p->rss_bytes);

    p = &l.procs[og_proc_find(&l, 202)];
    ck_assert_int_eq(p->footprint_kind, OG_MEM_UNKNOWN);
    ck_assert_uint_eq(p->footprint_bytes, 0);

    /* Tree of 200: itself, 201, 202 in parent-first order. */
    uint32_t idx[8];
    uint32_t n = og_proc_tree(&l, 200, 1, idx, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(l.procs[idx[0]].pid, 200);
    ck_assert_int_eq(l.procs[idx[1]].pid, 201);
    ck_assert_int_eq(l.procs[idx[2]].pid, 202);
    ck_assert_uint_eq(og_proc_tree(&l, 200, 0, idx, 8), 2);
    /* cap smaller than the tree: count is still the whole tree */
    ck_assert_uint_eq(og_proc_tree(&l, 1, 1, idx, 2), 6);
    ck_assert_uint_eq(og_proc_tree(&l, 999, 1, idx, 8), 0);

    og_tree_total t;
    og_proc_tree_total(&l, 200, 1, &t);
    ck_assert_uint_eq(t.n_procs, 3);
    ck_assert_uint_eq(t.footprint_bytes,
                      1024000ull * 1024 + 300ull * (uint64_t)sysconf(_SC_PAGESIZE));
    ck_assert_int_eq(t.footprint_kind, OG_MEM_RSS);

    int32_t gp[2] = {201, 999};
    uint64_t gb[2] = {7000, 5};
    og_procs_add_gpu(&l, gp, gb, 2);
    og_proc_tree_total(&l, 200, 1, &t);
    ck_assert_uint_eq(t.gpu_bytes, 7000);
    og_proc_list_free(&l);
}
END_TEST

START_TEST(test_fixture_bad)
{
    og_proc_list l;
    og_error err;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", tmpdir);
    ck_assert_int_eq(og_procs_list_at(missing, &l, 0, &err), OG_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "none"));
    /* Truncated stat lines are skipped, not crashed on. */
    put_s("5/stat", "5 (x");
    put_s("6/stat", "6 (y) S");
    put_s("7/stat", "7 (z) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 1 1\n");
    ck_assert_int_eq(og_procs_list_at(tmpdir, &l, OG_PROCS_ALL, &err), OG_OK);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_int_eq(l.procs[0].pid, 7);
    ck_assert_uint_eq(l.procs[0].start_time, 99);
    og_proc_list_free(&l);
}
END_TEST

START_TEST(test_tree_cycle)
{
    og_proc a[4];
    memset(a, 0, sizeof a);
    a[0].pid = 10, a[0].ppid = 11;
    a[1].pid = 11, a[1].ppid = 10; /* cycle */
    a[2].pid = 12, a[2].ppid = 12; /* self-parented */
    a[3].pid = 13, a[3].ppid = 12;
    og_proc_list l = {a, 4, 4};
    uint32_t idx[4];
    ck_assert_uint_eq(og_proc_tree(&l, 10, 1, idx, 4), 2);
    ck_assert_uint_eq(og_proc_tree(&l, 12, 1, idx, 4), 2);
}
END_TEST

/* A child that touches `mb` MiB and optionally forks a grandchild that
 * touches as much, then waits to be killed. */
static pid_t spawn_toucher(int mb, int with_grandchild, int pipefd[2])
{
    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* Check's forked test installs handlers that kill its process group. */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        close(pipefd[0]);
        if (with_grandchild) {
            pid_t g = fork();
            if (g == 0) {
                size_t n = (size_t)mb << 20;
                char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                    _exit(9);
                for (size_t i = 0; i < n; i += 4096)
                    m[i] = 1;
                (void)!write(pipefd[1], "g", 1);
                for (;;)
                    pause();
            }
        }
        size_t n = (size_t)mb << 20;
        char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            _exit(9);
        for (size_t i = 0; i < n; i += 4096)
            m[i] = 1;
        (void)!write(pipefd[1], "c", 1);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    char c;
    for (int k = 0; k < 1 + with_grandchild; k++)
        ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
    close(pipefd[0]);
    return pid;
}

START_TEST(test_live_tree)
{
    int pfd[2];
    pid_t child = spawn_toucher(48, 1, pfd);
    og_proc_list l;
    og_error err;
    ck_assert_int_eq(og_procs_list(&l, OG_PROCS_ALL, &err), OG_OK);
    og_tree_total t;
    og_proc_tree_total(&l, child, 1, &t);
    ck_assert_uint_eq(t.n_procs, 2);
    /* Each touched 48 MiB privately: the sum is at least 96 MiB by either measure. */
    ck_assert_uint_ge(t.footprint_bytes, 96ull << 20);
    ck_assert_uint_ge(t.rss_bytes, 96ull << 20);
    ck_assert_uint_lt(t.footprint_bytes, 200ull << 20);
    int64_t me = og_proc_find(&l, getpid());
    ck_assert_int_ge(me, 0);
    ck_assert_int_eq(l.procs[me].footprint_kind, OG_MEM_PSS);
    og_proc_list_free(&l);

    og_proc one;
    ck_assert_int_eq(og_proc_read(child, &one, OG_PROCS_ALL, &err), OG_OK);
    ck_assert_int_eq(one.ppid, getpid());
    ck_assert_uint_ge(one.footprint_bytes, 48ull << 20);

    /* The live tree walk (children files) finds the same two, root first. */
    int32_t tp[8];
    uint32_t tn = 0;
    ck_assert_int_eq(og_proc_tree_pids(child, 1, tp, 8, &tn, &err), OG_OK);
    ck_assert_uint_eq(tn, 2);
    ck_assert_int_eq(tp[0], child);
    ck_assert_int_ne(tp[1], child);
    ck_assert_int_eq(og_proc_tree_pids(child, 0, tp, 8, &tn, &err), OG_OK);
    ck_assert_uint_eq(tn, 1);
    ck_assert_int_eq(og_proc_read(tp[0], &one, OG_PROCS_RSS, &err), OG_OK);
    ck_assert_int_eq(one.ppid, child);
    ck_assert_int_eq(one.footprint_kind, OG_MEM_RSS);
    ck_assert_uint_ge(one.rss_bytes, 48ull << 20);

    /* Signal the tree: both die; we are never signalled. */
    uint32_t sent = 0;
    ck_assert_int_eq(og_proc_signal_tree(child, 1, SIGKILL, &sent, &err), OG_OK);
    ck_assert_uint_eq(sent, 2);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ck_assert_int_eq(og_proc_read(child, &one, 0, &err), OG_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_signal_only_tree)
{
    /* Two siblings: signalling one's tree leaves the other alive. */
    int pfd[2];
    pid_t a = spawn_toucher(1, 0, pfd);
    pid_t b = spawn_toucher(1, 0, pfd);
    og_error err;
    uint32_t sent = 0;
    ck_assert_int_eq(og_proc_signal_tree(a, 1, SIGTERM, &sent, &err), OG_OK);
    ck_assert_uint_eq(sent, 1);
    int status;
    ck_assert_int_eq(waitpid(a, &status, 0), a);
    ck_assert_int_eq(waitpid(b, &status, WNOHANG), 0); /* still running */
    /* include_root = 0: only descendants (none) are signalled, b survives. */
    ck_assert_int_eq(og_proc_signal_tree(b, 0, SIGKILL, &sent, &err), OG_ERR_NOT_FOUND);
    ck_assert_uint_eq(sent, 0);
    ck_assert_int_eq(waitpid(b, &status, WNOHANG), 0);
    kill(b, SIGKILL);
    ck_assert_int_eq(waitpid(b, &status, 0), b);
    /* Refuses init and nonsense. */
    ck_assert_int_eq(og_proc_signal_tree(1, 1, 0, &sent, &err), OG_ERR_INVALID);
}
END_TEST

START_TEST(test_subreaper_adopts)
{
    og_error err;
    ck_assert_int_eq(og_procs_become_subreaper(&err), OG_OK);
    /* The child forks a grandchild and exits: the grandchild is adopted. */
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            close(pfd[0]);
            (void)!write(pfd[1], "x", 1);
            for (;;)
                pause();
        }
        _exit(0);
    }
    close(pfd[1]);
    char ch;
    ck_assert_int_eq(read(pfd[0], &ch, 1), 1);
    close(pfd[0]);
    int status;
    ck_assert_int_eq(waitpid(c, &status, 0), c);
    og_proc_list l;
    ck_assert_int_eq(og_procs_list(&l, 0, &err), OG_OK);
    uint32_t idx[8];
    ck_assert_uint_eq(og_proc_tree(&l, getpid(), 0, idx, 8), 1);
    og_proc_list_free(&l);
    uint32_t sent;
    ck_assert_int_eq(og_proc_signal_tree(getpid(), 0, SIGKILL, &sent, &err), OG_OK);
    ck_assert_uint_eq(sent, 1);
    ck_assert_int_gt(wait(&status), 0);
}
END_TEST

START_TEST(test_classify)
{
    struct {
        const char *name, *cmd;
        og_app_class cls;
        const char *app;
    } cases[] = {
        {"Google Chrome Helper (GPU)",
         "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome "
         "Framework.framework/Helpers/Google Chrome Helper (GPU).app/Contents/MacOS/Google "
         "Chrome Helper (GPU) --type=gpu-process",
         OG_APP_BROWSER_GPU, "Google Chrome"},
        {"Google Chrome", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
         OG_APP_BROWSER, "Google Chrome"},
        {"chrome", "/opt/google/chrome/chrome --type=gpu-process --field-trial-handle=1",
         OG_APP_BROWSER_GPU, "Google Chrome"},
        {"chrome", "/opt/google/chrome/chrome --type=renderer", OG_APP_BROWSER, "Google Chrome"},
        {"com.apple.WebKit.GPU", "", OG_APP_BROWSER_GPU, "Safari (WebKit)"},
        {"Safari", "", OG_APP_BROWSER, "Safari"},
        {"firefox", "/usr/lib/firefox/firefox -contentproc -parentBuildID 2024 5 gpu",
         OG_APP_BROWSER_GPU, "Firefox"},
        {"Isolated Web Co", "/usr/lib/firefox/firefox -contentproc -isForBrowser tab",
         OG_APP_BROWSER, "Firefox"},
        {"Microsoft Edge Helper (GPU)", "", OG_APP_BROWSER_GPU, "Microsoft Edge"},
        {"Arc Helper (GPU)", "", OG_APP_BROWSER_GPU, "Arc"},
        {"Brave Browser Helper (GPU)", "", OG_APP_BROWSER_GPU, "Brave"},
        {"Code Helper (GPU)", "", OG_APP_ELECTRON, "Visual Studio Code"},
        {"code", "/usr/share/code/code --type=gpu-process", OG_APP_ELECTRON, "Visual Studio Code"},
        {"Slack Helper (Renderer)", "", OG_APP_ELECTRON, "Slack"},
        {"Discord", "", OG_APP_ELECTRON, "Discord"},
        {"MSTeams", "", OG_APP_ELECTRON, "Microsoft Teams"},
        {"Xcode", "", OG_APP_DEVTOOLS, "Xcode"},
        {"Simulator", "", OG_APP_DEVTOOLS, "Simulator"},
        {"com.docker.virtualization", "", OG_APP_VM, "Docker"},
        {"com.docker.backend", "", OG_APP_VM, "Docker"},
        {"qemu-system-aarch64", "", OG_APP_VM, "QEMU"},
        {"Adobe Photoshop 2025", "", OG_APP_CREATIVE, "Adobe Photoshop"},
        {"Adobe Premiere Pro 2025", "", OG_APP_CREATIVE, "Adobe Premiere Pro"},
        {"Final Cut Pro", "", OG_APP_CREATIVE, "Final Cut Pro"},
        {"Resolve", "", OG_APP_CREATIVE, "DaVinci Resolve"},
        {"blender", "", OG_APP_CREATIVE, "Blender"},
        {"llama-server", "llama-server -m x.gguf", OG_APP_INFERENCE, "llama.cpp"},
        {"ollama", "ollama serve", OG_APP_INFERENCE, "Ollama"},
        {"python3", "python3 -m mlx_lm.generate --model m", OG_APP_INFERENCE, "MLX"},
        /* Not heavy apps: arguments do not count, short names do not collide. */
        {"vim", "vim chrome.txt", OG_APP_NONE, NULL},
        {"archive", "", OG_APP_NONE, NULL},
        {"bash", NULL, OG_APP_NONE, NULL},
        {NULL, NULL, OG_APP_NONE, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        og_app_match m = og_app_classify(cases[i].name, cases[i].cmd);
        ck_assert_msg(m.cls == cases[i].cls, "%s: class %s, expected %s",
                      cases[i].name ? cases[i].name : "(null)", og_app_class_name(m.cls),
                      og_app_class_name(cases[i].cls));
        if (cases[i].app)
            ck_assert_str_eq(m.app, cases[i].app);
        else
            ck_assert_ptr_null(m.app);
    }
    ck_assert_str_eq(og_app_class_name(OG_APP_VM), "vm");
    ck_assert_str_eq(og_mem_kind_name(OG_MEM_PSS), "pss");
}
END_TEST

/* Mapped file pages count in RSS but not in anonymous memory; allocated and
 * touched memory counts in both (Linux statm). */
static char *volatile anon_sink; /* keeps the compiler from eliding the buffer */
START_TEST(test_anon_vs_file)
{
    og_proc a, b, c;
    ck_assert_int_eq(og_proc_read(getpid(), &a, OG_PROCS_RSS, NULL), OG_OK);
    if (a.rss_bytes == 0 || a.anon_bytes == 0)
        return; /* not Linux: nothing to check here */
    const size_t n = 64u << 20;
    char path[] = "/tmp/og-test-anon-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    char *buf = calloc(1, 1 << 20);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i += 1 << 20)
        ck_assert_int_eq(write(fd, buf, 1 << 20), 1 << 20);
    free(buf);
    void *m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    const volatile unsigned char *map = m;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i += 4096)
        sum += map[i]; /* fault the file pages in */
    ck_assert_uint_eq(sum, 0);
    ck_assert_int_eq(og_proc_read(getpid(), &b, OG_PROCS_RSS, NULL), OG_OK);
    ck_assert_uint_ge(b.rss_bytes, a.rss_bytes + n / 2);
    ck_assert_uint_lt(b.anon_bytes, a.anon_bytes + n / 4);
    char *heap = malloc(n);
    ck_assert_ptr_nonnull(heap);
    memset(heap, 1, n);
    anon_sink = heap;
    ck_assert_int_eq(og_proc_read(getpid(), &c, OG_PROCS_RSS, NULL), OG_OK);
    ck_assert_uint_ge(c.anon_bytes, b.anon_bytes + n / 2);
    free(heap);
    munmap(m, n);
    close(fd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("procs");
    TCase *tc = tcase_create("procs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fixture_list);
    tcase_add_test(tc, test_anon_vs_file);
    tcase_add_test(tc, test_fixture_bad);
    tcase_add_test(tc, test_tree_cycle);
    tcase_add_test(tc, test_live_tree);
    tcase_add_test(tc, test_signal_only_tree);
    tcase_add_test(tc, test_subreaper_adopts);
    tcase_add_test(tc, test_classify);
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
