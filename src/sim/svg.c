/* SPDX-License-Identifier: MIT
 * SVG line charts: one polyline per run, axes with ticks, a legend. Plain SVG 1.1 that a
 * browser shows as is. */
#include <math.h>
#include <stdlib.h>

#include "sim/report.h"

#define W 820.0
#define H 440.0
#define ML 70.0
#define MR 170.0
#define MT 40.0
#define MB 55.0

static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

typedef struct {
    const char *title, *xlabel, *ylabel;
    double x0, x1, y0, y1;
    int logx;
} chart_t;

static double px(const chart_t *c, double x) {
    if (c->logx)
        x = log10(x), x = x < log10(c->x0) ? log10(c->x0) : x;
    double a = c->logx ? log10(c->x0) : c->x0, b = c->logx ? log10(c->x1) : c->x1;
    return ML + (b > a ? (x - a) / (b - a) : 0) * (W - ML - MR);
}

static double py(const chart_t *c, double y) {
    return H - MB - (c->y1 > c->y0 ? (y - c->y0) / (c->y1 - c->y0) : 0) * (H - MT - MB);
}

/* 1, 2 or 5 times a power of ten, at least `raw`: tick spacing people read at a glance. */
static double nice_step(double raw) {
    if (!(raw > 0))
        return 1;
    double p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void frame(const chart_t *c, gt_sb *o) {
    gt_sb_printf(o,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
                 "height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"24\" "
                 "font-size=\"16\">%s</text>\n",
                 W, H, ML, c->title);
    gt_sb_printf(o, "<path d=\"M%.1f %.1f V%.1f H%.1f\" stroke=\"black\" fill=\"none\"/>\n", ML, MT,
                 H - MB, W - MR);
    for (int i = 0; i <= 5; i++) {
        double y = c->y0 + (c->y1 - c->y0) * i / 5;
        gt_sb_printf(o,
                     "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                     ML, W - MR, py(c, y), py(c, y), ML - 6, py(c, y) + 4, y);
    }
    if (c->logx) {
        for (double x = pow(10, ceil(log10(c->x0) - 1e-9)); x <= c->x1 * 1.0001; x *= 10)
            gt_sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                         px(c, x), H - MB + 18, x);
    } else {
        double step = nice_step((c->x1 - c->x0) / 6);
        for (double x = ceil(c->x0 / step) * step; x <= c->x1 + step * 1e-9; x += step)
            gt_sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                         px(c, x), H - MB + 18, x);
    }
    gt_sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                 (ML + W - MR) / 2, H - 12, c->xlabel);
    gt_sb_printf(o,
                 "<text transform=\"translate(18 %.1f) rotate(-90)\" "
                 "text-anchor=\"middle\">%s</text>\n",
                 (MT + H - MB) / 2, c->ylabel);
}

static void legend(const gt_sim_result *r, int n, gt_sb *o) {
    for (int i = 0; i < n; i++)
        gt_sb_printf(o,
                     "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                     "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                     W - MR + 12, MT + 10 + 20 * i, colors[i % 6], W - MR + 32, MT + 15 + 20 * i,
                     r[i].policy);
}

static void polyline(const chart_t *c, const double *x, const double *y, uint64_t n, uint64_t step,
                     const char *color, gt_sb *o) {
    gt_sb_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    for (uint64_t i = 0; i < n; i += step)
        gt_sb_printf(o, "%.1f,%.1f ", px(c, x[i]), py(c, y[i]));
    gt_sb_puts(o, "\"/>\n");
}

void gt_report_svg_util(const gt_sim_result *r, int n, gt_sb *o) {
    chart_t c = {"GPU utilisation over time",
                 "hours since the first submission",
                 "GPUs allocated (%)",
                 0,
                 1,
                 0,
                 100,
                 0};
    for (int i = 0; i < n; i++)
        if (r[i].nutil && r[i].util_t[r[i].nutil - 1] > c.x1)
            c.x1 = r[i].util_t[r[i].nutil - 1];
    frame(&c, o);
    for (int i = 0; i < n; i++) {
        double *pct = malloc((r[i].nutil + 1) * sizeof *pct);
        for (uint32_t k = 0; pct && k < r[i].nutil; k++)
            pct[k] = 100 * r[i].util_v[k];
        if (pct)
            polyline(&c, r[i].util_t, pct, r[i].nutil, 1, colors[i % 6], o);
        free(pct);
    }
    legend(r, n, o);
    gt_sb_puts(o, "</svg>\n");
}

void gt_report_svg_jct(const gt_sim_result *r, int n, gt_sb *o) {
    chart_t c = {
        "Job completion time (CDF)", "hours (log scale)", "jobs finished (%)", 1e-3, 1, 0, 100, 1};
    for (int i = 0; i < n; i++)
        if (r[i].njct && r[i].jct[r[i].njct - 1] / 3600 > c.x1)
            c.x1 = r[i].jct[r[i].njct - 1] / 3600;
    frame(&c, o);
    for (int i = 0; i < n; i++) {
        uint64_t m = r[i].njct, step = m > 2000 ? m / 2000 : 1, k = 0;
        double *x = malloc((m / step + 2) * sizeof *x), *y = malloc((m / step + 2) * sizeof *y);
        for (uint64_t j = 0; x && y && j < m; j += step, k++) {
            x[k] = r[i].jct[j] / 3600 > 1e-3 ? r[i].jct[j] / 3600 : 1e-3;
            y[k] = 100.0 * (double)(j + 1) / (double)m;
        }
        if (x && y)
            polyline(&c, x, y, k, 1, colors[i % 6], o);
        free(x);
        free(y);
    }
    legend(r, n, o);
    gt_sb_puts(o, "</svg>\n");
}
