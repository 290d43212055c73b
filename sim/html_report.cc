// html_report.cc - see html_report.h.
#include "html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace smmusim
{

using json::Value;

std::string html_escape(const std::string &s)
{
	std::string o;
	o.reserve(s.size());
	for (char c : s) {
		switch (c) {
		case '&': o += "&amp;"; break;
		case '<': o += "&lt;"; break;
		case '>': o += "&gt;"; break;
		case '"': o += "&quot;"; break;
		case '\'': o += "&#39;"; break;
		default: o += c;
		}
	}
	return o;
}

namespace
{

std::string num(double v)
{
	return json::number_text(v);
}

std::string text_of(const Value *v)
{
	if (!v)
		return "";
	switch (v->kind) {
	case Value::String: return v->str();
	case Value::Number: return v->text;
	case Value::Bool: return v->b ? "true" : "false";
	case Value::Null: return "null";
	default: return "";
	}
}

const char *kCss =
    "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1100px}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
    "text-align:right;font-size:.9em}th{background:#f2f2f2}td.l,th.l{text-align:left}"
    ".bad{color:#b00;font-weight:bold}.ok{color:#060;font-weight:bold}"
    "svg{background:#fafafa;border:1px solid #ddd;margin:4px}.kind{display:inline-block;"
    "vertical-align:top;margin-right:1em}code{font-size:.9em}";

// Colours of the breakdown parts, in the report's part order.
const char *kPartColour[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
			     "#edc948", "#b07aa1", "#9c755f", "#bab0ac"};

struct Bin {
	double lo, hi, count;
};

std::vector<Bin> bins_of(const Value *hist)
{
	std::vector<Bin> out;
	if (!hist || hist->kind != Value::Array)
		return out;
	for (const Value &b : hist->items)
		if (b.kind == Value::Array && b.items.size() == 3)
			out.push_back({b.items[0].num, b.items[1].num, b.items[2].num});
	return out;
}

// A histogram: one bar per bin (the bins are logarithmic: equal width).
void histogram_svg(std::string &o, const std::string &kind, const std::vector<Bin> &bins)
{
	const int W = 360, H = 160, L = 40, B = 30;
	double maxc = 1;
	for (const Bin &b : bins)
		maxc = std::max(maxc, b.count);
	double bw = bins.empty() ? 0 : double(W - L - 10) / double(bins.size());
	o += "<svg width=\"" + std::to_string(W) +
	     "\" height=\"" + std::to_string(H) + "\" role=\"img\" aria-label=\"histogram of " +
	     html_escape(kind) + "\" class=\"hist\">";
	o += "<title>" + html_escape(kind) + ": latency histogram (ns)</title>";
	o += "<line x1=\"" + std::to_string(L) + "\" y1=\"" + std::to_string(H - B) + "\" x2=\"" +
	     std::to_string(W - 5) + "\" y2=\"" + std::to_string(H - B) + "\" stroke=\"#444\"/>";
	for (size_t i = 0; i < bins.size(); i++) {
		double h = (H - B - 10) * bins[i].count / maxc;
		char r[256];
		snprintf(r, sizeof(r),
			 "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			 "fill=\"#4e79a7\"><title>",
			 L + i * bw + 1, H - B - h, std::max(1.0, bw - 2), h);
		o += r;
		o += num(bins[i].lo) + "-" + num(bins[i].hi) + " ns: " + num(bins[i].count) +
		     "</title></rect>";
	}
	if (!bins.empty()) {
		o += "<text x=\"" + std::to_string(L) + "\" y=\"" + std::to_string(H - 10) +
		     "\" font-size=\"10\">" + num(bins.front().lo) + " ns</text>";
		o += "<text x=\"" + std::to_string(W - 70) + "\" y=\"" + std::to_string(H - 10) +
		     "\" font-size=\"10\">" + num(bins.back().hi) + " ns</text>";
	}
	o += "<text x=\"2\" y=\"12\" font-size=\"10\">" + num(maxc) + "</text></svg>";
}

// The CDF over the same bins: a step line at each bin's upper edge.
void cdf_svg(std::string &o, const std::string &kind, const std::vector<Bin> &bins)
{
	const int W = 360, H = 160, L = 40, B = 30;
	double total = 0;
	for (const Bin &b : bins)
		total += b.count;
	o += "<svg width=\"" + std::to_string(W) +
	     "\" height=\"" + std::to_string(H) + "\" role=\"img\" aria-label=\"CDF of " +
	     html_escape(kind) + "\" class=\"cdf\">";
	o += "<title>" + html_escape(kind) + ": cumulative distribution</title>";
	o += "<line x1=\"" + std::to_string(L) + "\" y1=\"" + std::to_string(H - B) + "\" x2=\"" +
	     std::to_string(W - 5) + "\" y2=\"" + std::to_string(H - B) + "\" stroke=\"#444\"/>";
	if (total > 0 && !bins.empty()) {
		// A step at each bin's upper edge: the fraction of requests
		// that took at most that long.
		double bw = double(W - L - 10) / double(bins.size()), acc = 0;
		std::string pts = std::to_string(L) + "," + std::to_string(H - B);
		for (size_t i = 0; i < bins.size(); i++) {
			double y0 = (H - B) - (H - B - 10) * acc / total;
			acc += bins[i].count;
			double y = (H - B) - (H - B - 10) * acc / total;
			char p[96];
			snprintf(p, sizeof(p), " %.1f,%.1f %.1f,%.1f", L + (i + 1) * bw, y0,
				 L + (i + 1) * bw, y);
			pts += p;
		}
		o += "<polyline fill=\"none\" stroke=\"#e15759\" stroke-width=\"2\" points=\"" + pts +
		     "\"/>";
		o += "<text x=\"2\" y=\"12\" font-size=\"10\">100%</text>";
	}
	o += "</svg>";
}

// The breakdown: one stacked bar per kind, mean ns of each part.
void breakdown_svg(std::string &o, const Value *lat)
{
	const Value *parts = lat ? lat->get("parts") : nullptr;
	const Value *kinds = lat ? lat->get("by_kind") : nullptr;
	if (!parts || !kinds || kinds->members.empty())
		return;
	double maxt = 1;
	for (const auto &k : kinds->members) {
		double t = 0;
		if (const Value *pn = k.second.get("parts_ns"))
			for (const auto &p : pn->members)
				t += p.second.number_or(0);
		maxt = std::max(maxt, t);
	}
	const int W = 760, L = 230, row = 22;
	int H = (int)kinds->members.size() * row + 40;
	o += "<svg width=\"" + std::to_string(W) +
	     "\" height=\"" + std::to_string(H) + "\" role=\"img\" aria-label=\"breakdown\" "
	     "class=\"breakdown\"><title>mean time of each part, per kind of request (ns)</title>";
	int y = 8;
	for (const auto &k : kinds->members) {
		o += "<text x=\"4\" y=\"" + std::to_string(y + 14) + "\" font-size=\"11\">" +
		     html_escape(k.first) + "</text>";
		double x = L;
		const Value *pn = k.second.get("parts_ns");
		for (size_t i = 0; pn && i < parts->items.size(); i++) {
			const std::string &name = parts->items[i].str();
			const Value *v = pn->get(name);
			double w = v ? (W - L - 20) * v->number_or(0) / maxt : 0;
			if (w <= 0)
				continue;
			char r[200];
			snprintf(r, sizeof(r),
				 "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\">",
				 x, y + 2, w, kPartColour[i % 9]);
			o += r;
			o += "<title>" + html_escape(name) + ": " + num(v->num) + " ns</title></rect>";
			x += w;
		}
		y += row;
	}
	double lx = 4;
	for (size_t i = 0; i < parts->items.size(); i++) {
		char r[160];
		snprintf(r, sizeof(r), "<rect x=\"%.0f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
			 lx, y + 6, kPartColour[i % 9]);
		o += r;
		o += "<text x=\"" + num(lx + 13) + "\" y=\"" + std::to_string(y + 15) +
		     "\" font-size=\"10\">" + html_escape(parts->items[i].str()) + "</text>";
		lx += 90;
	}
	o += "</svg>";
}

void row(std::string &o, const std::string &k, const std::string &v, const char *cls = nullptr)
{
	o += "<tr><th class=\"l\">" + html_escape(k) + "</th><td class=\"l" +
	     (cls ? std::string(" ") + cls : "") + "\">" + html_escape(v) + "</td></tr>";
}

void head(std::string &o, const std::string &title)
{
	o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	     "<meta name=\"viewport\" content=\"width=device-width\"><title>";
	o += html_escape(title);
	o += "</title><style>";
	o += kCss;
	o += "</style></head><body>\n";
}

void summary(std::string &o, const Value &r)
{
	o += "<table>";
	row(o, "trace", text_of(r.at({"config", "trace"})));
	std::string st = text_of(r.get("status"));
	row(o, "status", st + " (exit " + text_of(r.get("exit_status")) + ")",
	    st == "ok" ? "ok" : "bad");
	row(o, "records", text_of(r.get("records")));
	row(o, "simulated time (ns)", text_of(r.get("sim_time_ns")));
	row(o, "oracle", text_of(r.get("oracle")));
	const Value *vc = r.get("violations_count");
	row(o, "violations", text_of(vc), vc && vc->num > 0 ? "bad" : "ok");
	if (const Value *d = r.get("dma"))
		row(o, "DMA", text_of(d->get("count")) + " (ok " + text_of(d->get("ok")) +
				  ", faults " + text_of(d->get("faults")) + ", aborts " +
				  text_of(d->get("aborts")) + ")");
	if (const Value *c = r.get("commands"))
		row(o, "commands", text_of(c->get("count")) + " (cerrors " + text_of(c->get("cerrors")) +
				       ")");
	o += "</table>\n";
	// Cache behaviour per SMMU.
	o += "<table><tr><th class=\"l\">SMMU</th><th>xlate</th><th>utlb</th><th>mtlb</th>"
	     "<th>tlb</th><th>walk cache</th><th>walk</th><th>faults</th><th>cmds</th></tr>";
	for (const auto &m : r.members) {
		const Value *hit = m.second.get("hit");
		if (!hit || !m.second.get("xlate"))
			continue;
		o += "<tr><td class=\"l\">" + html_escape(m.first) + "</td><td>" +
		     text_of(m.second.get("xlate")) + "</td>";
		for (const char *h : {"utlb", "mtlb", "tlb", "walk_cache", "walk"})
			o += "<td>" + text_of(hit->get(h)) + "</td>";
		o += "<td>" + text_of(m.second.get("faults")) + "</td><td>" +
		     text_of(m.second.get("cmds")) + "</td></tr>";
	}
	o += "</table>\n";
}

void latency(std::string &o, const Value &r)
{
	const Value *lat = r.get("latency");
	const Value *kinds = lat ? lat->get("by_kind") : nullptr;
	o += "<h2 id=\"latency\">Invalidation latency</h2>\n";
	if (!kinds || kinds->members.empty()) {
		o += "<p>No invalidating request in this run.</p>\n";
		return;
	}
	o += "<table><tr><th class=\"l\">kind</th><th>count</th><th>min</th><th>p50</th>"
	     "<th>p90</th><th>p99</th><th>max</th><th>mean</th></tr>";
	for (const auto &k : kinds->members) {
		const Value *t = k.second.get("total_ns");
		o += "<tr><td class=\"l\">" + html_escape(k.first) + "</td><td>" +
		     text_of(k.second.get("count")) + "</td>";
		for (const char *p : {"min", "p50", "p90", "p99", "max", "mean"})
			o += "<td>" + text_of(t ? t->get(p) : nullptr) + "</td>";
		o += "</tr>";
	}
	o += "</table>\n<h3>Histograms and CDFs (ns, logarithmic bins)</h3>\n";
	for (const auto &k : kinds->members) {
		std::vector<Bin> bins = bins_of(k.second.get("hist"));
		o += "<div class=\"kind\"><p><code>" + html_escape(k.first) + "</code></p>";
		histogram_svg(o, k.first, bins);
		cdf_svg(o, k.first, bins);
		o += "</div>\n";
	}
	o += "<h3>Where the time went (mean per part)</h3>\n";
	breakdown_svg(o, lat);
	const Value *top = lat->get("top"), *reqs = lat->get("requests");
	if (top && reqs && top->kind == Value::Array && !top->items.empty()) {
		o += "<h3>Slowest requests</h3><table><tr><th class=\"l\">kind</th><th>line</th>"
		     "<th class=\"l\">who</th><th>total ns</th><th class=\"l\">parts (ns)</th></tr>";
		for (const Value &t : top->items) {
			// `top` lists request seq numbers
			const Value *found = nullptr;
			for (const Value &q : reqs->items)
				if (q.get("seq") && q.get("seq")->num == t.num)
					found = &q;
			if (!found)
				continue;
			const Value &q = *found;
			std::string parts;
			if (const Value *pn = q.get("parts_ns"))
				for (const auto &p : pn->members)
					if (p.second.number_or(0) > 0)
						parts += p.first + " " + p.second.text + "  ";
			o += "<tr><td class=\"l\">" + html_escape(text_of(q.get("kind"))) + "</td><td>" +
			     text_of(q.get("line")) + "</td><td class=\"l\">" +
			     html_escape(text_of(q.get("who"))) + "</td><td>" +
			     text_of(q.get("total_ns")) + "</td><td class=\"l\">" + html_escape(parts) +
			     "</td></tr>";
		}
		o += "</table>\n";
	}
}

void violations(std::string &o, const Value &r)
{
	o += "<h2 id=\"violations\">Isolation</h2>\n";
	const Value *vs = r.get("violations");
	if (!vs || vs->items.empty()) {
		o += "<p class=\"ok\">No violation.</p>\n";
		return;
	}
	std::map<std::string, std::vector<const Value *>> by_kind;
	for (const Value &v : vs->items)
		by_kind[text_of(v.get("kind"))].push_back(&v);
	for (const auto &k : by_kind) {
		o += "<h3 class=\"bad\">" + html_escape(k.first) + " (" +
		     std::to_string(k.second.size()) + ")</h3>\n";
		for (const Value *v : k.second) {
			o += "<table class=\"violation\">";
			for (const auto &m : v->members) {
				if (m.second.kind == Value::Object) {
					std::string s;
					for (const auto &e : m.second.members)
						s += e.first + "=" + text_of(&e.second) + " ";
					row(o, m.first, s);
				} else {
					row(o, m.first, text_of(&m.second));
				}
			}
			o += "</table>\n";
		}
	}
}

void config(std::string &o, const Value &r)
{
	o += "<h2 id=\"config\">Configuration</h2>\n";
	const Value *c = r.get("config");
	if (!c) {
		o += "<p>The report has no configuration section.</p>\n";
		return;
	}
	auto table = [&](const std::string &title, const Value *t) {
		if (!t || t->members.empty())
			return;
		o += "<h3>" + html_escape(title) + "</h3><table>";
		for (const auto &m : t->members)
			row(o, m.first, text_of(&m.second));
		o += "</table>\n";
	};
	table("platform", c->get("platform"));
	table("emulated kernel", c->get("kernel"));
	if (const Value *s = c->get("smmu"))
		for (const auto &m : s->members)
			table("SMMU " + m.first, &m.second);
}

} // namespace

std::string html_report(const Value &r)
{
	std::string o;
	std::string trace = text_of(r.at({"config", "trace"}));
	head(o, "smmusim report: " + trace);
	o += "<h1>smmusim report</h1>\n<p><a href=\"#latency\">latency</a> · "
	     "<a href=\"#violations\">isolation</a> · <a href=\"#config\">configuration</a></p>\n";
	summary(o, r);
	latency(o, r);
	violations(o, r);
	config(o, r);
	o += "</body></html>\n";
	return o;
}

std::string html_compare(const Value &diff, const Value &a, const Value &b)
{
	std::string o;
	head(o, "smmusim compare");
	o += "<h1>smmusim compare</h1>\n<table>";
	row(o, "A", text_of(a.at({"config", "trace"})));
	row(o, "B", text_of(b.at({"config", "trace"})));
	const Value *verdict = diff.get("regressed");
	row(o, "verdict", verdict && verdict->b ? "regressed" : "within thresholds",
	    verdict && verdict->b ? "bad" : "ok");
	o += "</table>\n<h2>Latency per kind (ns)</h2>\n<table><tr><th class=\"l\">kind</th>"
	     "<th class=\"l\">percentile</th><th>A</th><th>B</th><th>B/A</th></tr>";
	if (const Value *k = diff.get("latency"))
		for (const auto &m : k->members)
			for (const auto &p : m.second.members) {
				const Value *ra = p.second.get("a"), *rb = p.second.get("b"),
					    *ratio = p.second.get("ratio");
				o += "<tr><td class=\"l\">" + html_escape(m.first) + "</td><td class=\"l\">" +
				     html_escape(p.first) + "</td><td>" + text_of(ra) + "</td><td>" +
				     text_of(rb) + "</td><td>" + text_of(ratio) + "</td></tr>";
			}
	o += "</table>\n<h2>Violations</h2>";
	for (const char *which : {"added", "removed"}) {
		const Value *v = diff.at({"violations", which});
		o += "<h3>" + std::string(which) + " (" +
		     std::to_string(v ? v->items.size() : 0) + ")</h3>";
		if (v)
			for (const Value &x : v->items)
				o += "<p><code>" + html_escape(x.str()) + "</code></p>";
	}
	o += "<h2>Commands and caches</h2><table><tr><th class=\"l\">what</th><th>A</th><th>B</th>"
	     "</tr>";
	if (const Value *c = diff.get("counters"))
		for (const auto &m : c->members)
			o += "<tr><td class=\"l\">" + html_escape(m.first) + "</td><td>" +
			     text_of(m.second.get("a")) + "</td><td>" + text_of(m.second.get("b")) +
			     "</td></tr>";
	o += "</table>\n</body></html>\n";
	return o;
}

} // namespace smmusim
