/* SPDX-License-Identifier: MIT
 * SVG line charts: one polyline per run, axes with ticks, a legend. Plain SVG 1.1 that a
 * browser shows as is. A polyline has at most 2 x BUCKETS points whatever the length of its
 * series (polyline), so a chart stays small. */
#include <math.h>

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

/* Point i of a series of one run, as the chart plots it. */
typedef void (*point_fn)(const gt_sim_result *r, uint64_t i, double *x, double *y);

#define BUCKETS 1000

static void point(const chart_t *c, const gt_sim_result *r, point_fn at, uint64_t i, gt_sb *o) {
    double x, y;
    at(r, i, &x, &y);
    gt_sb_printf(o, "%.1f,%.1f ", px(c, x), py(c, y));
}

/* The points lo..hi-1 with the lowest and the highest y (the first of equals). */
static void extremes(const gt_sim_result *r, point_fn at, uint64_t lo, uint64_t hi, uint64_t *imin,
                     uint64_t *imax) {
    double x, y, ymin, ymax;
    at(r, lo, &x, &ymin);
    ymax = ymin;
    *imin = *imax = lo;
    for (uint64_t i = lo + 1; i < hi; i++) {
        at(r, i, &x, &y);
        if (y < ymin)
            ymin = y, *imin = i;
        if (y > ymax)
            ymax = y, *imax = i;
    }
}

/* The n points of a series; beyond 2 x BUCKETS of them, the series is cut into BUCKETS
 * runs of (nearly) equal count and each run gives its lowest and its highest point, in
 * their order: a peak of a single point stays visible. */
static void polyline(const chart_t *c, const gt_sim_result *r, point_fn at, uint64_t n,
                     const char *color, gt_sb *o) {
    gt_sb_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    if (n <= 2 * BUCKETS) {
        for (uint64_t i = 0; i < n; i++)
            point(c, r, at, i, o);
    } else {
        for (uint64_t b = 0; b < BUCKETS; b++) {
            uint64_t imin, imax;
            extremes(r, at, n * b / BUCKETS, n * (b + 1) / BUCKETS, &imin, &imax);
            point(c, r, at, imin < imax ? imin : imax, o);
            if (imin != imax)
                point(c, r, at, imin < imax ? imax : imin, o);
        }
    }
    gt_sb_puts(o, "\"/>\n");
}

static void util_at(const gt_sim_result *r, uint64_t i, double *x, double *y) {
    *x = r->util_t[i];
    *y = 100 * r->util_v[i];
}

/* The CDF: the i-th shortest completion time (from 0.001 h, the axis' start), and the
 * share of finished jobs up to it. */
static void jct_at(const gt_sim_result *r, uint64_t i, double *x, double *y) {
    *x = r->jct[i] / 3600 > 1e-3 ? r->jct[i] / 3600 : 1e-3;
    *y = 100.0 * (double)(i + 1) / (double)r->njct;
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
    for (int i = 0; i < n; i++)
        polyline(&c, &r[i], util_at, r[i].nutil, colors[i % 6], o);
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
    for (int i = 0; i < n; i++)
        polyline(&c, &r[i], jct_at, r[i].njct, colors[i % 6], o);
    legend(r, n, o);
    gt_sb_puts(o, "</svg>\n");
}
