/* SPDX-License-Identifier: MIT
 * Value formatting for the CLI's human output (see fmt.h). */
#include "cli/fmt.h"

#include <stdio.h>
#include <time.h>

const char *gt_cli_jstr(const json_t *o, const char *key, const char *dflt) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

long long gt_cli_jint(const json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : (long long)json_number_value(v);
}

double gt_cli_jnum(const json_t *o, const char *key) {
    return json_number_value(json_object_get(o, key));
}

double gt_cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void gt_cli_sleep(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

const char *gt_cli_fmt_age(double s, char *buf, size_t len) {
    if (s < 0)
        snprintf(buf, len, "-");
    else if (s < 120)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 7200)
        snprintf(buf, len, "%lldm", (long long)(s / 60));
    else if (s < 172800)
        snprintf(buf, len, "%lldh", (long long)(s / 3600));
    else
        snprintf(buf, len, "%lldd", (long long)(s / 86400));
    return buf;
}

const char *gt_cli_fmt_duration(double seconds, char *buf, size_t len) {
    static const struct {
        char unit;
        long long s;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    long long left = (long long)(seconds + 0.5);
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && n < len; i++) {
        if (left >= units[i].s) {
            n += (size_t)snprintf(buf + n, len - n, "%lld%c", left / units[i].s, units[i].unit);
            left %= units[i].s;
        }
    }
    if (n == 0)
        snprintf(buf, len, "0s");
    return buf;
}

const char *gt_cli_fmt_elapsed(double seconds, char *buf, size_t len) {
    long long s = seconds > 0 ? (long long)seconds : 0;
    long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    if (d > 0)
        snprintf(buf, len, "%lld-%02lld:%02lld:%02lld", d, h, m, s % 60);
    else if (h > 0)
        snprintf(buf, len, "%lld:%02lld:%02lld", h, m, s % 60);
    else
        snprintf(buf, len, "%lld:%02lld", m, s % 60);
    return buf;
}

const char *gt_cli_fmt_time(double epoch, char *buf, size_t len) {
    time_t t = (time_t)epoch;
    struct tm tm;
    if (epoch <= 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "-");
    return buf;
}

const char *gt_cli_fmt_mb(long long mb, char *buf, size_t len) {
    if (mb <= 0)
        snprintf(buf, len, "-");
    else if (mb % (1024LL * 1024) == 0)
        snprintf(buf, len, "%lldT", mb / (1024LL * 1024));
    else if (mb % 1024 == 0)
        snprintf(buf, len, "%lldG", mb / 1024);
    else
        snprintf(buf, len, "%lldM", mb);
    return buf;
}

void gt_cli_bar(gt_sb *b, long long used, long long total, int width) {
    int full = total > 0 ? (int)((used * width + total / 2) / total) : 0;
    if (full > width)
        full = width;
    gt_sb_putc(b, '[');
    for (int i = 0; i < width; i++)
        gt_sb_putc(b, i < full ? '#' : '.');
    gt_sb_putc(b, ']');
}
