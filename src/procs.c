/* Processes: portable pure functions over a process list (trees, totals, the
 * heavy-app classifier) and the verified tree signal. The readers are in
 * src/platform/procs_*.c. */
#include "procs_platform.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "og_internal.h"

const char *og_mem_kind_name(og_mem_kind k)
{
    switch (k) {
    case OG_MEM_PHYS_FOOTPRINT:
        return "phys_footprint";
    case OG_MEM_PSS:
        return "pss";
    case OG_MEM_RSS:
        return "rss";
    case OG_MEM_UNKNOWN:
        break;
    }
    return "unknown";
}

int og_proc_list_push(og_proc_list *l, const og_proc *p)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 256;
        if (nc < l->cap || (uint64_t)nc * sizeof(og_proc) > SIZE_MAX / 2)
            return -1;
        og_proc *np = realloc(l->procs, (size_t)nc * sizeof(og_proc));
        if (!np)
            return -1;
        l->procs = np;
        l->cap = nc;
    }
    l->procs[l->n++] = *p;
    return 0;
}

void og_proc_list_free(og_proc_list *l)
{
    if (!l)
        return;
    free(l->procs);
    l->procs = NULL;
    l->n = l->cap = 0;
}

int64_t og_proc_find(const og_proc_list *l, int32_t pid)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->procs[i].pid == pid)
            return (int64_t)i;
    return -1;
}

/* Breadth-first walk: parents before children. visited[] guards against
 * cycles in a corrupt or racing list. */
uint32_t og_proc_tree(const og_proc_list *l, int32_t root_pid, int include_root, uint32_t *idx,
                      uint32_t cap)
{
    if (!l || l->n == 0)
        return 0;
    uint8_t *visited = calloc(l->n, 1);
    uint32_t *queue = malloc((size_t)l->n * sizeof(uint32_t));
    if (!visited || !queue) {
        free(visited);
        free(queue);
        return 0;
    }
    uint32_t head = 0, tail = 0, count = 0;
    /* Seed: the root's direct children (and the root itself). */
    int64_t r = og_proc_find(l, root_pid);
    if (r >= 0) {
        visited[r] = 1;
        if (include_root) {
            if (count < cap && idx)
                idx[count] = (uint32_t)r;
            count++;
        }
    }
    int32_t parent = root_pid;
    for (;;) {
        for (uint32_t i = 0; i < l->n; i++) {
            const og_proc *p = &l->procs[i];
            if (visited[i] || p->ppid != parent || p->pid == p->ppid || p->pid == root_pid)
                continue;
            visited[i] = 1;
            queue[tail++] = i;
            if (count < cap && idx)
                idx[count] = i;
            count++;
        }
        if (head == tail)
            break;
        parent = l->procs[queue[head++]].pid;
    }
    free(visited);
    free(queue);
    return count;
}

void og_proc_tree_total(const og_proc_list *l, int32_t root_pid, int include_root, og_tree_total *t)
{
    memset(t, 0, sizeof *t);
    if (!l || l->n == 0)
        return;
    uint32_t *idx = malloc((size_t)l->n * sizeof(uint32_t));
    if (!idx)
        return;
    uint32_t n = og_proc_tree(l, root_pid, include_root, idx, l->n);
    if (n > l->n)
        n = l->n;
    for (uint32_t k = 0; k < n; k++) {
        const og_proc *p = &l->procs[idx[k]];
        t->n_procs++;
        t->footprint_bytes += p->footprint_bytes;
        t->rss_bytes += p->rss_bytes;
        t->gpu_bytes += p->gpu_bytes;
        /* Weakest kind wins: RSS > PSS/phys_footprint in "roughness". */
        if (p->footprint_kind == OG_MEM_RSS || t->footprint_kind == OG_MEM_UNKNOWN)
            t->footprint_kind = p->footprint_kind;
    }
    free(idx);
}

void og_procs_add_gpu(og_proc_list *l, const int32_t *pids, const uint64_t *bytes, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        int64_t i = og_proc_find(l, pids[k]);
        if (i >= 0)
            l->procs[i].gpu_bytes += bytes[k];
    }
}

/* ---- classifier ---- */

static int ci_contains(const char *hay, const char *needle)
{
    if (!hay || !needle)
        return 0;
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int ci_prefix(const char *s, const char *prefix)
{
    if (!s)
        return 0;
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
            return 0;
    return 1;
}

/* How a pattern is matched against the process name (N) or the program part
 * of the command line (P: the command line up to the first " -", so that
 * arguments such as file names are not matched). */
enum { M_NAME_EQ, M_NAME_PREFIX, M_NAME_HAS, M_PROG_HAS, M_CMD_HAS };

typedef struct app_rule {
    int how;
    const char *pattern;
    og_app_class cls;
    const char *app;
} app_rule;

/* First match wins: specific names before generic ones. */
static const app_rule rules[] = {
    /* Electron apps first: their helpers look like Chromium's. */
    {M_NAME_PREFIX, "code helper", OG_APP_ELECTRON, "Visual Studio Code"},
    {M_NAME_EQ, "code", OG_APP_ELECTRON, "Visual Studio Code"},
    {M_PROG_HAS, "visual studio code", OG_APP_ELECTRON, "Visual Studio Code"},
    {M_PROG_HAS, "/code/code", OG_APP_ELECTRON, "Visual Studio Code"},
    {M_NAME_HAS, "cursor helper", OG_APP_ELECTRON, "Cursor"},
    {M_NAME_HAS, "slack", OG_APP_ELECTRON, "Slack"},
    {M_NAME_HAS, "discord", OG_APP_ELECTRON, "Discord"},
    {M_NAME_HAS, "microsoft teams", OG_APP_ELECTRON, "Microsoft Teams"},
    {M_NAME_PREFIX, "teams", OG_APP_ELECTRON, "Microsoft Teams"},
    {M_NAME_PREFIX, "msteams", OG_APP_ELECTRON, "Microsoft Teams"},
    {M_NAME_PREFIX, "notion", OG_APP_ELECTRON, "Notion"},
    {M_NAME_PREFIX, "obsidian", OG_APP_ELECTRON, "Obsidian"},
    {M_NAME_PREFIX, "figma", OG_APP_ELECTRON, "Figma"},
    {M_NAME_PREFIX, "spotify", OG_APP_ELECTRON, "Spotify"},
    {M_NAME_PREFIX, "whatsapp", OG_APP_ELECTRON, "WhatsApp"},
    {M_NAME_PREFIX, "signal", OG_APP_ELECTRON, "Signal"},
    {M_NAME_PREFIX, "1password", OG_APP_ELECTRON, "1Password"},
    {M_NAME_EQ, "electron", OG_APP_ELECTRON, "Electron app"},
    /* Other model runners. */
    {M_NAME_PREFIX, "llama-server", OG_APP_INFERENCE, "llama.cpp"},
    {M_NAME_PREFIX, "llama-cli", OG_APP_INFERENCE, "llama.cpp"},
    {M_NAME_PREFIX, "ollama", OG_APP_INFERENCE, "Ollama"},
    {M_NAME_HAS, "lm studio", OG_APP_INFERENCE, "LM Studio"},
    {M_NAME_EQ, "lms", OG_APP_INFERENCE, "LM Studio"},
    {M_CMD_HAS, "mlx_lm", OG_APP_INFERENCE, "MLX"},
    {M_CMD_HAS, "vllm", OG_APP_INFERENCE, "vLLM"},
    {M_NAME_PREFIX, "koboldcpp", OG_APP_INFERENCE, "KoboldCpp"},
    /* Browsers. */
    {M_NAME_HAS, "google chrome", OG_APP_BROWSER, "Google Chrome"},
    {M_NAME_PREFIX, "chrome", OG_APP_BROWSER, "Google Chrome"},
    {M_NAME_PREFIX, "chromium", OG_APP_BROWSER, "Chromium"},
    {M_NAME_HAS, "microsoft edge", OG_APP_BROWSER, "Microsoft Edge"},
    {M_NAME_PREFIX, "msedge", OG_APP_BROWSER, "Microsoft Edge"},
    {M_NAME_PREFIX, "brave", OG_APP_BROWSER, "Brave"},
    {M_NAME_EQ, "arc", OG_APP_BROWSER, "Arc"},
    {M_NAME_PREFIX, "arc helper", OG_APP_BROWSER, "Arc"},
    {M_PROG_HAS, "/arc.app/", OG_APP_BROWSER, "Arc"},
    {M_NAME_PREFIX, "firefox", OG_APP_BROWSER, "Firefox"},
    {M_PROG_HAS, "firefox", OG_APP_BROWSER, "Firefox"},
    {M_NAME_PREFIX, "safari", OG_APP_BROWSER, "Safari"},
    {M_NAME_PREFIX, "com.apple.webkit", OG_APP_BROWSER, "Safari (WebKit)"},
    /* Developer tools. */
    {M_NAME_PREFIX, "xcode", OG_APP_DEVTOOLS, "Xcode"},
    {M_NAME_EQ, "simulator", OG_APP_DEVTOOLS, "Simulator"},
    {M_NAME_HAS, "coresimulator", OG_APP_DEVTOOLS, "Simulator"},
    {M_NAME_EQ, "launchd_sim", OG_APP_DEVTOOLS, "Simulator"},
    /* Virtual machines and containers. */
    {M_NAME_HAS, "com.docker", OG_APP_VM, "Docker"},
    {M_NAME_HAS, "docker desktop", OG_APP_VM, "Docker"},
    {M_NAME_PREFIX, "dockerd", OG_APP_VM, "Docker"},
    {M_NAME_PREFIX, "qemu", OG_APP_VM, "QEMU"},
    {M_NAME_HAS, "com.apple.virtualization", OG_APP_VM, "macOS Virtualization"},
    {M_NAME_PREFIX, "vmware", OG_APP_VM, "VMware"},
    {M_NAME_HAS, "parallels", OG_APP_VM, "Parallels"},
    {M_NAME_PREFIX, "prl_", OG_APP_VM, "Parallels"},
    {M_NAME_PREFIX, "vboxheadless", OG_APP_VM, "VirtualBox"},
    {M_NAME_PREFIX, "virtualbox", OG_APP_VM, "VirtualBox"},
    /* Creative applications. */
    {M_NAME_HAS, "photoshop", OG_APP_CREATIVE, "Adobe Photoshop"},
    {M_NAME_HAS, "premiere", OG_APP_CREATIVE, "Adobe Premiere Pro"},
    {M_NAME_HAS, "after effects", OG_APP_CREATIVE, "Adobe After Effects"},
    {M_NAME_HAS, "lightroom", OG_APP_CREATIVE, "Adobe Lightroom"},
    {M_NAME_HAS, "final cut", OG_APP_CREATIVE, "Final Cut Pro"},
    {M_NAME_EQ, "resolve", OG_APP_CREATIVE, "DaVinci Resolve"},
    {M_NAME_HAS, "davinci resolve", OG_APP_CREATIVE, "DaVinci Resolve"},
    {M_NAME_PREFIX, "blender", OG_APP_CREATIVE, "Blender"},
};

/* The program part of a command line: its first word, or — for a macOS
 * bundle path, which holds spaces ("/Applications/Google Chrome.app/...") —
 * everything up to the first " -" (arguments). */
static void program_part(const char *cmd, char *out, size_t n)
{
    out[0] = '\0';
    if (!cmd)
        return;
    const char *end = strstr(cmd, ".app/") ? strstr(cmd, " -") : strchr(cmd, ' ');
    size_t len = end ? (size_t)(end - cmd) : strlen(cmd);
    if (len >= n)
        len = n - 1;
    memcpy(out, cmd, len);
    out[len] = '\0';
}

static int is_gpu_process(const char *name, const char *cmd)
{
    if (ci_contains(cmd, "--type=gpu-process"))
        return 1;
    if (ci_contains(name, "(gpu)") || ci_prefix(name, "com.apple.webkit.gpu"))
        return 1;
    /* Firefox's GPU process: "firefox -contentproc ... gpu" (last argument). */
    if (cmd && ci_contains(cmd, "-contentproc")) {
        size_t l = strlen(cmd);
        if (l >= 4 && og_strcasecmp(cmd + l - 4, " gpu") == 0)
            return 1;
    }
    return 0;
}

og_app_match og_app_classify(const char *name, const char *cmdline)
{
    og_app_match m = {OG_APP_NONE, NULL};
    char prog[OG_PROC_CMDLINE_MAX];
    program_part(cmdline, prog, sizeof prog);
    const char *nm = name ? name : "";
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const app_rule *r = &rules[i];
        int hit = 0;
        switch (r->how) {
        case M_NAME_EQ:
            hit = og_strcasecmp(nm, r->pattern) == 0;
            break;
        case M_NAME_PREFIX:
            hit = ci_prefix(nm, r->pattern);
            break;
        case M_NAME_HAS:
            hit = ci_contains(nm, r->pattern) || ci_contains(prog, r->pattern);
            break;
        case M_PROG_HAS:
            hit = ci_contains(prog, r->pattern);
            break;
        case M_CMD_HAS:
            hit = ci_contains(cmdline, r->pattern);
            break;
        }
        if (hit) {
            m.cls = r->cls;
            m.app = r->app;
            break;
        }
    }
    if (m.cls == OG_APP_BROWSER && is_gpu_process(nm, cmdline))
        m.cls = OG_APP_BROWSER_GPU;
    return m;
}

const char *og_app_class_name(og_app_class c)
{
    switch (c) {
    case OG_APP_BROWSER_GPU:
        return "browser-gpu";
    case OG_APP_BROWSER:
        return "browser";
    case OG_APP_DEVTOOLS:
        return "devtools";
    case OG_APP_VM:
        return "vm";
    case OG_APP_CREATIVE:
        return "creative";
    case OG_APP_ELECTRON:
        return "electron";
    case OG_APP_INFERENCE:
        return "inference";
    case OG_APP_NONE:
        break;
    }
    return "none";
}

/* ---- the verified tree signal ---- */

og_status og_proc_signal_tree(int32_t root_pid, int include_root, int sig, uint32_t *n_signalled,
                              og_error *err)
{
    if (n_signalled)
        *n_signalled = 0;
    if (root_pid <= 1)
        return og_error_set(err, OG_ERR_INVALID, "signal tree: refusing root pid %d",
                            (int)root_pid);
    og_proc_list l = {0};
    og_status st = og_procs_list(&l, 0, err);
    if (st != OG_OK)
        return st;
    uint32_t *idx = l.n ? malloc((size_t)l.n * sizeof(uint32_t)) : NULL;
    if (l.n && !idx) {
        og_proc_list_free(&l);
        return og_error_set(err, OG_ERR_NOMEM, "signal tree: out of memory");
    }
    uint32_t n = og_proc_tree(&l, root_pid, include_root, idx, l.n);
    if (n > l.n)
        n = l.n;
    int32_t self = (int32_t)getpid();
    uint32_t sent = 0;
    /* Children before parents: a parent signalled first could exit and
     * orphan its children, whose parent would then no longer match. */
    for (uint32_t k = n; k-- > 0;) {
        const og_proc *p = &l.procs[idx[k]];
        if (p->pid <= 1 || p->pid == self)
            continue;
        /* The root is checked by its start stamp only; every other member
         * must still have the parent the tree was built from. */
        int32_t want_ppid = p->pid == root_pid ? -1 : p->ppid;
        if (og_platform_signal_verified(p->pid, want_ppid, p->start_time, sig) == 1)
            sent++;
    }
    free(idx);
    og_proc_list_free(&l);
    if (n_signalled)
        *n_signalled = sent;
    if (n == 0)
        return og_error_set(err, OG_ERR_NOT_FOUND, "signal tree: no process under pid %d",
                            (int)root_pid);
    return OG_OK;
}
