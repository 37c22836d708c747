/* Test program for `oomguard run`: allocates and touches memory at a set
 * rate, optionally in a grandchild too, then holds it.
 *
 * alloc_child [--rate MiB/s] [--total MiB] [--hold SECONDS] [--grandchild]
 *             [--exit CODE] [--ignore-int] [--ignore-term] [--pidfile FILE]
 *             [--count-int FILE] [--shared N]
 *
 * --grandchild forks a process that does the same (so the tree grows at
 * twice the rate); --ignore-int ignores SIGINT (to test the escalation to
 * SIGTERM); --pidfile writes "PID\n" of every process it starts (to check
 * afterwards that they are gone); --ignore-term ignores SIGTERM too (a child
 * that only SIGKILL stops); --count-int appends "INT" to FILE for every SIGINT
 * received and exits 0.5 s after the first (to count how many arrived);
 * --shared N maps --total MiB shared and touches it in N processes (the
 * pages are counted N times by an RSS sum, once by PSS). Exits with CODE
 * after holding. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int count_fd = -1;
static volatile sig_atomic_t got_int;

static void on_int(int sig)
{
    (void)sig;
    got_int = 1;
    if (count_fd >= 0)
        (void)!write(count_fd, "INT\n", 4);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void note_pid(const char *pidfile)
{
    if (!pidfile)
        return;
    FILE *f = fopen(pidfile, "a");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
}

static void grow(double rate_mib, double total_mib)
{
    size_t chunk = 1u << 20; /* 1 MiB steps */
    size_t total = (size_t)(total_mib * 1024 * 1024);
    if (total == 0)
        return;
    char *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("alloc_child: mmap");
        exit(9);
    }
    double step_s = rate_mib > 0 ? 1.0 / rate_mib : 0;
    for (size_t off = 0; off < total; off += chunk) {
        size_t end = off + chunk < total ? off + chunk : total;
        for (size_t i = off; i < end; i += 4096)
            m[i] = (char)(i >> 12);
        if (step_s > 0)
            sleep_s(step_s);
    }
}

int main(int argc, char **argv)
{
    double rate = 100, total = 64, hold = 0;
    int grandchild = 0, code = 0, ignore_int = 0, ignore_term = 0, shared = 0;
    const char *count_file = NULL;
    const char *pidfile = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rate") && v)
            rate = atof(v), i++;
        else if (!strcmp(a, "--total") && v)
            total = atof(v), i++;
        else if (!strcmp(a, "--hold") && v)
            hold = atof(v), i++;
        else if (!strcmp(a, "--exit") && v)
            code = atoi(v), i++;
        else if (!strcmp(a, "--pidfile") && v)
            pidfile = v, i++;
        else if (!strcmp(a, "--grandchild"))
            grandchild = 1;
        else if (!strcmp(a, "--ignore-int"))
            ignore_int = 1;
        else if (!strcmp(a, "--ignore-term"))
            ignore_term = 1;
        else if (!strcmp(a, "--count-int") && v)
            count_file = v, i++;
        else if (!strcmp(a, "--shared") && v)
            shared = atoi(v), i++;
        else {
            fprintf(stderr, "alloc_child: unknown argument %s\n", a);
            return 2;
        }
    }
    if (ignore_int)
        signal(SIGINT, SIG_IGN);
    if (ignore_term)
        signal(SIGTERM, SIG_IGN);
    if (count_file) {
        count_fd = open(count_file, O_WRONLY | O_CREAT | O_APPEND, 0600);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_int;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
    }
    note_pid(pidfile);
    if (shared > 0) {
        size_t len = (size_t)(total * 1024 * 1024);
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("alloc_child: mmap");
            return 9;
        }
        for (int k = 1; k < shared; k++)
            if (fork() == 0) {
                note_pid(pidfile);
                break;
            }
        for (size_t i = 0; i < len; i += 4096)
            m[i] = (char)(i >> 12); /* every process touches every page */
        sleep_s(hold);
        return code;
    }
    if (grandchild) {
        pid_t g = fork();
        if (g == 0) {
            note_pid(pidfile);
            grow(rate, total);
            sleep_s(hold + 3600); /* outlives its parent unless signalled */
            _exit(0);
        }
    }
    grow(rate, total);
    if (count_file) {
        /* hold, but end 0.5 s after the first SIGINT (a second would be counted) */
        double waited = 0;
        while (waited < hold && !got_int)
            sleep_s(0.05), waited += 0.05;
        if (got_int)
            sleep_s(0.5);
    } else {
        sleep_s(hold);
    }
    printf("alloc_child: done\n");
    return code;
}
