// compare.cc - see compare.h.
#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "html_report.h"
#include "json.h"

namespace smmusim
{

using json::Value;

namespace
{

std::string fmt(double v)
{
	return json::number_text(v);
}

std::string jstr(const std::string &s)
{
	return json::quote(s);
}

std::string text(const Value *v)
{
	if (!v)
		return "";
	return v->kind == Value::String ? v->str() : v->text;
}

// A violation's identity across runs: what happened to whom, not where in
// the trace.
std::string identity(const Value &v)
{
	std::string id = text(v.get("kind")) + " owner=" + text(v.get("owner")) +
			 " other=" + text(v.get("other"));
	for (const char *k : {"smmu", "vmid", "device", "ssid", "pa"})
		if (const Value *f = v.get(k))
			id += std::string(" ") + k + "=" + text(f);
	return id;
}

struct Limit {
	std::string key; // p50 p90 p99 max mean violations
	double value;    // a fraction for percentiles, a count for violations
};

} // namespace

int run_compare(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
	std::vector<std::string> files;
	std::string html_out, json_out;
	std::vector<Limit> limits;
	auto usage = [&](const std::string &why) {
		err << "smmusim: error: " << why
		    << "\nusage: smmusim compare A.json B.json [--html OUT] [--json OUT] "
		       "[--max-regress KEY=LIMIT ...]\n";
		return 1;
	};
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "--html" || a == "--json") {
			if (i + 1 >= args.size())
				return usage(a + " expects a file name");
			(a == "--html" ? html_out : json_out) = args[++i];
		} else if (a == "--max-regress") {
			if (i + 1 >= args.size())
				return usage("--max-regress expects KEY=LIMIT");
			std::string kv = args[++i];
			size_t eq = kv.find('=');
			std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
			static const std::set<std::string> keys = {"p50", "p90", "p99", "max", "mean",
								   "violations"};
			if (!keys.count(k) || v.empty())
				return usage("--max-regress: unknown or empty '" + kv +
					     "' (p50, p90, p99, max, mean=PCT%; violations=N)");
			char *end = nullptr;
			double x = std::strtod(v.c_str(), &end);
			bool pct = end && *end == '%' && end[1] == 0;
			if (!end || end == v.c_str() || (k == "violations" ? *end != 0 : !pct) || x < 0)
				return usage("--max-regress: bad limit '" + v + "' for " + k);
			limits.push_back({k, k == "violations" ? x : x / 100.0});
		} else if (a == "--help" || a == "-h") {
			out << "usage: smmusim compare A.json B.json [--html OUT] [--json OUT] "
			       "[--max-regress KEY=LIMIT ...]\n";
			return 0;
		} else if (!a.empty() && a[0] == '-') {
			return usage("unknown option '" + a + "'");
		} else {
			files.push_back(a);
		}
	}
	if (files.size() != 2)
		return usage("compare expects two JSON reports");
	Value A, B;
	for (int k = 0; k < 2; k++) {
		json::Error e;
		if (!json::parse_file(files[k], k ? B : A, e)) {
			err << "smmusim: " << json::format_error(files[k], e) << "\n";
			return 1;
		}
		const Value &r = k ? B : A;
		if (r.kind != Value::Object || !r.get("status")) {
			err << "smmusim: error: " << files[k] << " is not an smmusim replay report\n";
			return 1;
		}
	}

	bool regressed = false;
	std::string txt, js = "{\n  \"a\": " + jstr(files[0]) + ",\n  \"b\": " + jstr(files[1]);

	// Latency per kind.
	const char *pcts[] = {"p50", "p90", "p99", "max", "mean"};
	std::set<std::string> kinds;
	for (const Value *r : {&A, &B})
		if (const Value *k = r->at({"latency", "by_kind"}))
			for (const auto &m : k->members)
				kinds.insert(m.first);
	txt += "latency (ns)          A          B      B/A\n";
	js += ",\n  \"latency\": {";
	bool firstk = true;
	std::vector<std::string> exceeded;
	for (const std::string &k : kinds) {
		const Value *ta = A.at({"latency", "by_kind"}), *tb = B.at({"latency", "by_kind"});
		ta = ta && ta->get(k) ? ta->get(k)->get("total_ns") : nullptr;
		tb = tb && tb->get(k) ? tb->get(k)->get("total_ns") : nullptr;
		js += std::string(firstk ? "" : ",") + "\n    " + jstr(k) + ": {";
		firstk = false;
		bool firstp = true;
		for (const char *p : pcts) {
			double a = ta && ta->get(p) ? ta->get(p)->num : NAN;
			double b = tb && tb->get(p) ? tb->get(p)->num : NAN;
			// From a zero baseline any rise is unbounded (a regression
			// past every limit), no rise is a ratio of 1.
			double ratio = (a > 0 && !std::isnan(b)) ? b / a
				       : (a == 0 && !std::isnan(b)) ? (b > 0 ? INFINITY : 1.0)
								    : NAN;
			char line[256];
			snprintf(line, sizeof(line), "  %-24s %-4s %10s %10s %8s\n", k.c_str(), p,
				 std::isnan(a) ? "-" : fmt(a).c_str(), std::isnan(b) ? "-" : fmt(b).c_str(),
				 std::isnan(ratio) ? "-" : std::isinf(ratio) ? "inf" : fmt(ratio).c_str());
			txt += line;
			js += std::string(firstp ? "" : ",") + "\"" + p + "\": {\"a\": " +
			      (std::isnan(a) ? "null" : fmt(a)) + ", \"b\": " +
			      (std::isnan(b) ? "null" : fmt(b)) + ", \"ratio\": " +
			      (std::isnan(ratio) || std::isinf(ratio) ? "null" : fmt(ratio)) + "}";
			firstp = false;
			for (const Limit &l : limits)
				if (l.key == p && !std::isnan(ratio) && ratio - 1.0 > l.value + 1e-12) {
					regressed = true;
					exceeded.push_back(k + " " + p + " " +
							   (std::isinf(ratio) ? std::string("from 0 to ") + fmt(b)
									      : "+" + fmt((ratio - 1) * 100) + "%") +
							   " (limit " + fmt(l.value * 100) + "%)");
				}
		}
		js += "}";
	}
	js += "\n  }";

	// Violations added / removed.
	std::multiset<std::string> va, vb;
	for (int k = 0; k < 2; k++)
		if (const Value *v = (k ? B : A).get("violations"))
			for (const Value &x : v->items)
				(k ? vb : va).insert(identity(x));
	std::vector<std::string> added, removed;
	for (const std::string &s : vb)
		if (va.count(s) < vb.count(s) && std::find(added.begin(), added.end(), s) == added.end())
			for (size_t n = va.count(s); n < vb.count(s); n++)
				added.push_back(s);
	for (const std::string &s : va)
		if (vb.count(s) < va.count(s) &&
		    std::find(removed.begin(), removed.end(), s) == removed.end())
			for (size_t n = vb.count(s); n < va.count(s); n++)
				removed.push_back(s);
	txt += "violations: " + std::to_string(va.size()) + " -> " + std::to_string(vb.size()) +
	       " (added " + std::to_string(added.size()) + ", removed " +
	       std::to_string(removed.size()) + ")\n";
	for (const std::string &s : added)
		txt += "  + " + s + "\n";
	for (const std::string &s : removed)
		txt += "  - " + s + "\n";
	js += ",\n  \"violations\": {\"added\": [";
	for (size_t i = 0; i < added.size(); i++)
		js += (i ? ", " : "") + jstr(added[i]);
	js += "], \"removed\": [";
	for (size_t i = 0; i < removed.size(); i++)
		js += (i ? ", " : "") + jstr(removed[i]);
	js += "]}";
	for (const Limit &l : limits)
		if (l.key == "violations" && double(added.size()) > l.value) {
			regressed = true;
			exceeded.push_back("violations +" + std::to_string(added.size()) + " (limit " +
					   fmt(l.value) + ")");
		}

	// Counters: DMAs, commands (total and per opcode), cache hits per SMMU.
	std::map<std::string, std::pair<double, double>> ctr;
	auto collect = [&](const Value &r, bool b) {
		auto put = [&](const std::string &k, const Value *v) {
			if (v && v->kind == Value::Number)
				(b ? ctr[k].second : ctr[k].first) = v->num;
		};
		put("dma.count", r.at({"dma", "count"}));
		put("dma.faults", r.at({"dma", "faults"}));
		put("commands.count", r.at({"commands", "count"}));
		if (const Value *c = r.get("commands"))
			for (const auto &m : c->members)
				if (m.second.kind == Value::Object)
					put("commands." + m.first, m.second.get("count"));
		for (const auto &m : r.members)
			if (const Value *hit = m.second.get("hit"); hit && m.second.get("xlate")) {
				put(m.first + ".xlate", m.second.get("xlate"));
				for (const auto &h : hit->members)
					put(m.first + ".hit." + h.first, &h.second);
			}
	};
	collect(A, false);
	collect(B, true);
	txt += "counters                              A          B\n";
	js += ",\n  \"counters\": {";
	bool firstc = true;
	for (const auto &c : ctr) {
		if (c.second.first != c.second.second) {
			char line[256];
			snprintf(line, sizeof(line), "  %-30s %10s %10s\n", c.first.c_str(),
				 fmt(c.second.first).c_str(), fmt(c.second.second).c_str());
			txt += line;
		}
		js += std::string(firstc ? "" : ",") + "\n    " + jstr(c.first) + ": {\"a\": " +
		      fmt(c.second.first) + ", \"b\": " + fmt(c.second.second) + "}";
		firstc = false;
	}
	js += "\n  },\n  \"regressed\": " + std::string(regressed ? "true" : "false") +
	      ",\n  \"exceeded\": [";
	for (size_t i = 0; i < exceeded.size(); i++)
		js += (i ? ", " : "") + jstr(exceeded[i]);
	js += "]\n}\n";

	if (added.empty() && removed.empty() && !regressed) {
		bool same = true;
		for (const auto &c : ctr)
			same &= c.second.first == c.second.second;
		if (same)
			txt += "no change in latency percentiles' thresholds, violations or counters\n";
	}
	for (const std::string &x : exceeded)
		txt += "regressed: " + x + "\n";
	out << txt;

	int status = regressed ? kExitRegressed : 0;
	auto write = [&](const std::string &path, const std::string &body) {
		std::ofstream f(path, std::ios::binary | std::ios::trunc);
		f << body;
		f.close();
		if (!f) {
			err << "smmusim: error: cannot write " << path << "\n";
			status = 1;
		}
	};
	if (!json_out.empty())
		write(json_out, js);
	if (!html_out.empty()) {
		Value diff;
		json::Error e;
		if (json::parse(js, diff, e))
			write(html_out, html_compare(diff, A, B));
		else
			write(html_out, "");
	}
	return status;
}

} // namespace smmusim
