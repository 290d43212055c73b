// json.h - a strict RFC 8259 JSON reader for what smmusim writes and reads
// back (compare, the HTML report, tests): every value kind, strings with
// every escape (\uXXXX and surrogate pairs to UTF-8), numbers kept as text
// and as a double, objects keeping their key order. Errors name the line and
// column (1-based) and what was expected. Depth is limited (kMaxDepth) so
// that a hostile file cannot exhaust the stack.
#ifndef SMMUSIM_JSON_H
#define SMMUSIM_JSON_H

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace smmusim::json
{

constexpr unsigned kMaxDepth = 256;

struct Value {
	enum Kind { Null, Bool, Number, String, Array, Object };
	Kind kind = Null;
	bool b = false;
	double num = 0;
	std::string text; // String: the decoded string; Number: its text
	std::vector<Value> items;
	std::vector<std::pair<std::string, Value>> members;

	// The member `key` of an object (the first one), or nullptr.
	const Value *get(const std::string &key) const;
	// A path of member names ("latency", "by_kind"), or nullptr.
	const Value *at(std::initializer_list<const char *> path) const;
	double number_or(double def) const { return kind == Number ? num : def; }
	const std::string &str() const { return text; }
};

struct Error {
	size_t line = 0, col = 0;
	std::string what;
};

// Parses the whole text (one value, surrounded by whitespace only).
bool parse(const std::string &text, Value &out, Error &err);
// Reads and parses a file; I/O errors have line 0.
bool parse_file(const std::string &path, Value &out, Error &err);
// "FILE:LINE:COL: error: WHAT" (or "FILE: error: WHAT" for I/O).
std::string format_error(const std::string &file, const Error &err);

// Writing: a string as a JSON string literal (quotes, escapes), and a
// number as short text (an integer when it is one, else 4 significant
// digits).
std::string quote(const std::string &s);
std::string number_text(double v);

} // namespace smmusim::json

#endif
