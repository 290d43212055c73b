// json.cc - see json.h. A recursive-descent reader over RFC 8259's grammar.
#include "json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace smmusim::json
{

const Value *Value::get(const std::string &key) const
{
	if (kind != Object)
		return nullptr;
	for (const auto &m : members)
		if (m.first == key)
			return &m.second;
	return nullptr;
}

const Value *Value::at(std::initializer_list<const char *> path) const
{
	const Value *v = this;
	for (const char *k : path) {
		v = v ? v->get(k) : nullptr;
		if (!v)
			return nullptr;
	}
	return v;
}

namespace
{

class Reader
{
public:
	Reader(const std::string &t, Error &e) : s_(t), err_(e) {}

	bool document(Value &v)
	{
		ws();
		if (!value(v, 0))
			return false;
		ws();
		if (i_ != s_.size())
			return fail("end of input after the value");
		return true;
	}

private:
	const std::string &s_;
	Error &err_;
	size_t i_ = 0, line_ = 1, col_ = 1;

	bool fail(const std::string &expected)
	{
		err_.line = line_;
		err_.col = col_;
		std::string got = i_ >= s_.size() ? "end of input" : std::string("'") + s_[i_] + "'";
		if (i_ < s_.size() && (unsigned char)s_[i_] < 0x20)
			got = "a control character";
		err_.what = "expected " + expected + ", got " + got;
		return false;
	}
	void adv()
	{
		if (s_[i_] == '\n') {
			line_++;
			col_ = 1;
		} else {
			col_++;
		}
		i_++;
	}
	void ws()
	{
		while (i_ < s_.size() &&
		       (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
			adv();
	}
	bool lit(const char *word, Value &v, Value::Kind k, bool b)
	{
		for (const char *p = word; *p; p++) {
			if (i_ >= s_.size() || s_[i_] != *p)
				return fail(std::string("'") + word + "'");
			adv();
		}
		v.kind = k;
		v.b = b;
		return true;
	}
	bool value(Value &v, unsigned depth)
	{
		if (depth > kMaxDepth)
			return fail("at most " + std::to_string(kMaxDepth) + " levels of nesting");
		if (i_ >= s_.size())
			return fail("a value");
		char c = s_[i_];
		switch (c) {
		case '{':
			return object(v, depth);
		case '[':
			return array(v, depth);
		case '"':
			v.kind = Value::String;
			return string(v.text);
		case 't':
			return lit("true", v, Value::Bool, true);
		case 'f':
			return lit("false", v, Value::Bool, false);
		case 'n':
			return lit("null", v, Value::Null, false);
		default:
			if (c == '-' || (c >= '0' && c <= '9'))
				return number(v);
			return fail("a value");
		}
	}
	bool digits()
	{
		if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9')
			return fail("a digit");
		while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
			adv();
		return true;
	}
	bool number(Value &v)
	{
		size_t start = i_;
		if (s_[i_] == '-')
			adv();
		if (i_ < s_.size() && s_[i_] == '0') {
			adv();
			if (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
				return fail("no leading zero ('.', 'e' or the end of the number)");
		} else if (!digits()) {
			return false;
		}
		if (i_ < s_.size() && s_[i_] == '.') {
			adv();
			if (!digits())
				return false;
		}
		if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
			adv();
			if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-'))
				adv();
			if (!digits())
				return false;
		}
		v.kind = Value::Number;
		v.text = s_.substr(start, i_ - start);
		errno = 0;
		v.num = std::strtod(v.text.c_str(), nullptr);
		return true;
	}
	bool hex4(unsigned &u)
	{
		u = 0;
		for (int k = 0; k < 4; k++) {
			if (i_ >= s_.size())
				return fail("four hex digits");
			char c = s_[i_];
			unsigned d;
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return fail("a hex digit");
			u = u * 16 + d;
			adv();
		}
		return true;
	}
	static void utf8(std::string &out, unsigned cp)
	{
		if (cp < 0x80) {
			out += (char)cp;
		} else if (cp < 0x800) {
			out += (char)(0xC0 | (cp >> 6));
			out += (char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			out += (char)(0xE0 | (cp >> 12));
			out += (char)(0x80 | ((cp >> 6) & 0x3F));
			out += (char)(0x80 | (cp & 0x3F));
		} else {
			out += (char)(0xF0 | (cp >> 18));
			out += (char)(0x80 | ((cp >> 12) & 0x3F));
			out += (char)(0x80 | ((cp >> 6) & 0x3F));
			out += (char)(0x80 | (cp & 0x3F));
		}
	}
	bool string(std::string &out)
	{
		adv(); // the opening quote
		out.clear();
		for (;;) {
			if (i_ >= s_.size())
				return fail("'\"' to end the string");
			unsigned char c = (unsigned char)s_[i_];
			if (c == '"') {
				adv();
				return true;
			}
			if (c < 0x20)
				return fail("an escaped control character");
			if (c != '\\') {
				out += (char)c;
				adv();
				continue;
			}
			adv();
			if (i_ >= s_.size())
				return fail("an escape");
			char e = s_[i_];
			const char *simple = "\"\\/bfnrt";
			const char *map = "\"\\/\b\f\n\r\t";
			const char *p = nullptr;
			for (int k = 0; simple[k]; k++)
				if (simple[k] == e)
					p = &map[k];
			if (p) {
				out += *p;
				adv();
				continue;
			}
			if (e != 'u')
				return fail("an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
			adv();
			unsigned u;
			if (!hex4(u))
				return false;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
					return fail("a low surrogate (\\uDC00..\\uDFFF) after a high one");
				adv();
				adv();
				unsigned lo;
				if (!hex4(lo))
					return false;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail("a low surrogate (\\uDC00..\\uDFFF) after a high one");
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			} else if (u >= 0xDC00 && u <= 0xDFFF) {
				return fail("a high surrogate before a low one");
			}
			utf8(out, u);
		}
	}
	bool array(Value &v, unsigned depth)
	{
		v.kind = Value::Array;
		adv();
		ws();
		if (i_ < s_.size() && s_[i_] == ']') {
			adv();
			return true;
		}
		for (;;) {
			v.items.emplace_back();
			if (!value(v.items.back(), depth + 1))
				return false;
			ws();
			if (i_ < s_.size() && s_[i_] == ',') {
				adv();
				ws();
				continue;
			}
			if (i_ < s_.size() && s_[i_] == ']') {
				adv();
				return true;
			}
			return fail("',' or ']'");
		}
	}
	bool object(Value &v, unsigned depth)
	{
		v.kind = Value::Object;
		adv();
		ws();
		if (i_ < s_.size() && s_[i_] == '}') {
			adv();
			return true;
		}
		for (;;) {
			if (i_ >= s_.size() || s_[i_] != '"')
				return fail("a member name (a string)");
			std::string key;
			if (!string(key))
				return false;
			ws();
			if (i_ >= s_.size() || s_[i_] != ':')
				return fail("':'");
			adv();
			ws();
			v.members.emplace_back(key, Value{});
			if (!value(v.members.back().second, depth + 1))
				return false;
			ws();
			if (i_ < s_.size() && s_[i_] == ',') {
				adv();
				ws();
				continue;
			}
			if (i_ < s_.size() && s_[i_] == '}') {
				adv();
				return true;
			}
			return fail("',' or '}'");
		}
	}
};

} // namespace

bool parse(const std::string &text, Value &out, Error &err)
{
	out = Value{};
	err = Error{};
	Reader r(text, err);
	return r.document(out);
}

bool parse_file(const std::string &path, Value &out, Error &err)
{
	std::ifstream f(path, std::ios::binary);
	if (!f) {
		err = Error{0, 0, "cannot open the file"};
		return false;
	}
	std::ostringstream ss;
	ss << f.rdbuf();
	return parse(ss.str(), out, err);
}

std::string quote(const std::string &s)
{
	std::string o = "\"";
	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			o += '\\';
			o += (char)c;
		} else if (c < 0x20) {
			char b[8];
			snprintf(b, sizeof(b), "\\u%04x", c);
			o += b;
		} else {
			o += (char)c;
		}
	}
	return o + "\"";
}

std::string number_text(double v)
{
	char b[64];
	if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15)
		snprintf(b, sizeof(b), "%.0f", v);
	else
		snprintf(b, sizeof(b), "%.4g", v);
	return b;
}

std::string format_error(const std::string &file, const Error &err)
{
	if (!err.line)
		return file + ": error: " + err.what;
	return file + ":" + std::to_string(err.line) + ":" + std::to_string(err.col) +
	       ": error: " + err.what;
}

} // namespace smmusim::json
