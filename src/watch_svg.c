/* The run's timeline as an SVG picture: tree memory (filled), system
 * available, swap used, the budget line, pressure bands and the moment the
 * guard acted. A pure function of the samples. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oomguard/units.h"
#include "oomguard/watch.h"

typedef struct sb {
    char *p;
    size_t n, cap;
    int failed;
} sb;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(sb *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->failed = 1;
            return;
        }
        if (b->p && (size_t)w < b->cap - b->n) {
            b->n += (size_t)w;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 16384;
        while (nc < b->n + (size_t)w + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

/* XML-escaped, whitespace runs (newlines in `python -c` programs) shown as
 * one space, at most max characters then an ellipsis. */
static void sb_escaped(sb *b, const char *s, size_t max)
{
    size_t k = 0;
    int space = 0;
    for (; s && *s && k < max; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
            space = 1;
            continue;
        }
        if (space && k > 0) {
            sb_printf(b, " ");
            k++;
        }
        space = 0;
        k++;
        switch (*s) {
        case '<':
            sb_printf(b, "&lt;");
            break;
        case '>':
            sb_printf(b, "&gt;");
            break;
        case '&':
            sb_printf(b, "&amp;");
            break;
        case '"':
            sb_printf(b, "&quot;");
            break;
        default:
            if ((unsigned char)*s >= 0x20)
                sb_printf(b, "%c", *s);
        }
    }
    if (s && *s)
        sb_printf(b, "…");
}

/* A "nice" step for n ticks over [0, max]. */
static double nice_step(double max, int ticks)
{
    if (max <= 0)
        return 1;
    double raw = max / ticks;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nf * mag;
}

#define W 960.0
#define H 460.0
#define L 78.0
#define R 24.0
#define T 70.0
#define B 64.0

char *og_watch_svg(const og_sample *s, size_t n, const og_svg_opts *o)
{
    sb b = {0};
    og_svg_opts none = {0};
    if (!o)
        o = &none;
    double t_end = n ? s[n - 1].t_s : 1;
    if (t_end <= 0)
        t_end = 1;
    /* The scale follows what the run is about: the tree, the budget, the
     * prediction and swap. System available memory joins the scale unless it
     * is far above them (a small run on a big machine); then the chart is
     * cut at 1.6 x and the available line shows only where it comes down. */
    uint64_t ymax = o->budget_bytes, avail_max = 0, avail_min = UINT64_MAX;
    if (o->predicted_bytes > ymax)
        ymax = o->predicted_bytes;
    for (size_t i = 0; i < n; i++) {
        uint64_t tree = s[i].tree_bytes + s[i].tree_gpu_bytes;
        if (tree > ymax)
            ymax = tree;
        if (s[i].swap_known && s[i].swap_used_bytes > ymax)
            ymax = s[i].swap_used_bytes;
        if (s[i].avail_known) {
            if (s[i].avail_bytes > avail_max)
                avail_max = s[i].avail_bytes;
            if (s[i].avail_bytes < avail_min)
                avail_min = s[i].avail_bytes;
        }
    }
    uint64_t clip = 0; /* avail values above this are drawn at the top */
    if (ymax > 0 && avail_max / 3 > ymax) {
        clip = ymax + ymax / 5 * 3;
    } else if (avail_max > ymax) {
        ymax = avail_max;
    }
    if (clip)
        ymax = clip;
    const double GiB = 1024.0 * 1024 * 1024;
    double ymax_g = (double)ymax / GiB;
    int unit_mib = ymax_g < 2;
    double unit = unit_mib ? 1024.0 * 1024 : GiB;
    double ytop = (double)ymax / unit * 1.08;
    if (ytop <= 0)
        ytop = 1;
    double ystep = nice_step(ytop, 5);
    ytop = ceil(ytop / ystep) * ystep;
    double xstep = nice_step(t_end, 8);
    double pw = W - L - R, ph = H - T - B;
#define X(t) (L + (t) / t_end * pw)
#define Y(bytes) (T + ph - ((double)(bytes) / unit) / ytop * ph)

    sb_printf(&b,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
              "viewBox=\"0 0 %.0f %.0f\" font-family=\"Helvetica, Arial, sans-serif\">\n",
              W, H, W, H);
    sb_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    sb_printf(&b,
              "<text x=\"%.0f\" y=\"28\" font-size=\"18\" font-weight=\"bold\" "
              "fill=\"#1f2937\">",
              L);
    sb_escaped(&b, o->title && *o->title ? o->title : "oomguard run", 72);
    sb_printf(&b, "</text>\n");
    if (o->subtitle && *o->subtitle) {
        sb_printf(&b, "<text x=\"%.0f\" y=\"50\" font-size=\"13\" fill=\"#4b5563\">", L);
        sb_escaped(&b, o->subtitle, 140);
        sb_printf(&b, "</text>\n");
    }

    /* Pressure bands behind everything. */
    for (size_t i = 1; i < n; i++) {
        if (s[i].pressure < OG_PRESSURE_WARN)
            continue;
        const char *c = s[i].pressure == OG_PRESSURE_CRITICAL ? "#fecaca" : "#fef3c7";
        double x0 = X(s[i - 1].t_s), x1 = X(s[i].t_s);
        sb_printf(&b, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>\n",
                  x0, T, x1 - x0 + 0.3, ph, c);
    }

    /* Grid and axes. */
    for (double v = 0; v <= ytop + 1e-9; v += ystep) {
        double y = T + ph - v / ytop * ph;
        sb_printf(&b,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e7eb\"/>\n"
                  "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" fill=\"#6b7280\" "
                  "text-anchor=\"end\">%g %s</text>\n",
                  L, W - R, y, y, L - 8, y + 4, v, unit_mib ? "MiB" : "GiB");
    }
    for (double t = 0; t <= t_end + 1e-9; t += xstep) {
        double x = X(t);
        sb_printf(&b,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#f3f4f6\"/>\n"
                  "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" fill=\"#6b7280\" "
                  "text-anchor=\"middle\">%gs</text>\n",
                  x, x, T, T + ph, x, T + ph + 18, t);
    }
    sb_printf(&b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#9ca3af\"/>\n", L,
              W - R, T + ph, T + ph);

    /* At most ~1200 points a line: per bucket the worst reading (max tree and
     * swap, min available) so that peaks survive. */
    size_t step = n > 1200 ? (n + 1199) / 1200 : 1;

    /* Tree memory: filled area. */
    if (n) {
        sb_printf(&b, "<path d=\"M%.1f %.1f", X(s[0].t_s), Y(0));
        for (size_t i = 0; i < n; i += step) {
            uint64_t v = 0;
            size_t e = i + step < n ? i + step : n;
            for (size_t k = i; k < e; k++)
                if (s[k].tree_bytes + s[k].tree_gpu_bytes > v)
                    v = s[k].tree_bytes + s[k].tree_gpu_bytes;
            sb_printf(&b, " L%.1f %.1f", X(s[e - 1].t_s), Y(v));
        }
        sb_printf(&b,
                  " L%.1f %.1f Z\" fill=\"#3b82f6\" fill-opacity=\"0.25\" stroke=\"#2563eb\" "
                  "stroke-width=\"2\"/>\n",
                  X(s[n - 1].t_s), Y(0));
    }
    /* Available and swap: lines. */
    for (int which = 0; which < 2; which++) {
        int started = 0;
        for (size_t i = 0; i < n; i += step) {
            size_t e = i + step < n ? i + step : n;
            uint64_t v = which == 0 ? UINT64_MAX : 0;
            int known = 0;
            for (size_t k = i; k < e; k++) {
                if (which == 0 && s[k].avail_known) {
                    known = 1;
                    uint64_t a = clip && s[k].avail_bytes > clip ? clip : s[k].avail_bytes;
                    if (a < v)
                        v = a;
                } else if (which == 1 && s[k].swap_known) {
                    known = 1;
                    if (s[k].swap_used_bytes > v)
                        v = s[k].swap_used_bytes;
                }
            }
            if (!known)
                continue;
            sb_printf(&b, "%s%.1f %.1f", started ? " L" : "<path d=\"M", X(s[e - 1].t_s), Y(v));
            started = 1;
        }
        if (started)
            sb_printf(&b, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                      which == 0 ? "#16a34a" : "#ea580c");
    }
    char a[32];
    if (o->budget_bytes) {
        double y = Y(o->budget_bytes);
        sb_printf(&b,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#dc2626\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
                  "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" fill=\"#dc2626\" "
                  "text-anchor=\"end\">",
                  L, W - R, y, y, W - R - 4, y - 5);
        sb_escaped(&b, o->budget_label ? o->budget_label : "budget", 40);
        sb_printf(&b, " %s</text>\n", og_format_bytes(o->budget_bytes, a, sizeof a));
    }
    if (o->predicted_bytes) {
        double y = Y(o->predicted_bytes);
        sb_printf(&b,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#7c3aed\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n"
                  "<text x=\"%.0f\" y=\"%.1f\" font-size=\"12\" fill=\"#7c3aed\">predicted peak "
                  "%s</text>\n",
                  L, W - R, y, y, L + 6, y - 5, og_format_bytes(o->predicted_bytes, a, sizeof a));
    }
    if (o->guard_t_s >= 0 && o->guard_label) {
        double x = X(o->guard_t_s);
        sb_printf(&b,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#b91c1c\" "
                  "stroke-width=\"2\"/>\n"
                  "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" font-weight=\"bold\" "
                  "fill=\"#b91c1c\" text-anchor=\"%s\">",
                  x, x, T, T + ph, x + (x > W / 2 ? -6 : 6), T + 14, x > W / 2 ? "end" : "start");
        sb_escaped(&b, o->guard_label, 80);
        sb_printf(&b, "</text>\n");
    }

    if (clip) {
        char b2[32];
        sb_printf(&b,
                  "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#16a34a\">system "
                  "available is above the chart: %s at the lowest, %s at the highest</text>\n",
                  L + 6, T - 6, og_format_bytes(avail_min, a, sizeof a),
                  og_format_bytes(avail_max, b2, sizeof b2));
    }
    /* Legend. */
    struct {
        const char *label, *color;
        int dash;
    } leg[] = {{"process tree", "#2563eb", 0},  {"system available", "#16a34a", 0},
               {"swap used", "#ea580c", 0},     {"budget", "#dc2626", 1},
               {"pressure warn", "#fde68a", 2}, {"pressure critical", "#fca5a5", 2}};
    double lx = L;
    for (size_t i = 0; i < sizeof leg / sizeof leg[0]; i++) {
        if (leg[i].dash == 1 && !o->budget_bytes)
            continue;
        if (leg[i].dash == 2)
            sb_printf(&b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"10\" fill=\"%s\"/>\n",
                      lx, H - 24, leg[i].color);
        else
            sb_printf(&b,
                      "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                      "stroke-width=\"3\"%s/>\n",
                      lx, lx + 18, H - 19, H - 19, leg[i].color,
                      leg[i].dash ? " stroke-dasharray=\"5 3\"" : "");
        sb_printf(&b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" fill=\"#374151\">%s</text>\n",
                  lx + 24, H - 15, leg[i].label);
        lx += 24 + 7.0 * (double)strlen(leg[i].label) + 22;
    }
    sb_printf(&b, "</svg>\n");
#undef X
#undef Y
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
