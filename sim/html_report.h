// html_report.h - one self-contained HTML page from a replay's JSON report
// (or two, for `smmusim compare`): no script, no external stylesheet, font,
// image or link; readable without JavaScript. Charts are inline SVG drawn
// from the report's numbers: per-kind latency histograms (the report's
// 2^(k/4) bins) and CDFs, the breakdown as stacked bars, and tables for the
// summary, percentiles, the slowest requests, the violations with their
// provenance and the configuration. Every string is HTML-escaped.
#ifndef SMMUSIM_HTML_REPORT_H
#define SMMUSIM_HTML_REPORT_H

#include <string>

#include "json.h"

namespace smmusim
{

std::string html_escape(const std::string &s);
// The page of one report.
std::string html_report(const json::Value &report);
// The page of a comparison (compare.h builds `diff`, the comparison JSON).
std::string html_compare(const json::Value &diff, const json::Value &a, const json::Value &b);

} // namespace smmusim

#endif
