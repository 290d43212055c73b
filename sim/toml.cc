// toml.cc - see toml.h. A hand-written reader over TOML 1.0's grammar: the
// document is read line by line into a tree of tables that remembers how
// each table came to be (a [header], an intermediate of a header, dotted
// keys), which is what TOML's "defined once" rules are about; the tree is
// turned into a json::Value at the end.
#include "toml.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace smmusim::toml
{

namespace
{

using json::Value;

struct Node {
	enum Kind { Table, TableArray, Leaf };
	// How a table was made: an intermediate of a header or of another
	// table's dotted key ([a.b] makes a), its own [header], dotted keys
	// (a.b = 1 makes a).
	enum How { Implicit, Header, Dotted };
	Kind kind = Table;
	How how = Implicit;
	size_t line = 0, col = 0; // where it was first written
	Value leaf;               // Leaf: a value (arrays and inline tables are closed)
	std::vector<std::pair<std::string, std::unique_ptr<Node>>> kids; // Table
	std::vector<std::unique_ptr<Node>> elems;                        // TableArray

	Node *find(const std::string &k)
	{
		for (auto &m : kids)
			if (m.first == k)
				return m.second.get();
		return nullptr;
	}
	Node *add(const std::string &k, Kind kd, How h, size_t l, size_t c)
	{
		kids.emplace_back(k, std::make_unique<Node>());
		Node *n = kids.back().second.get();
		n->kind = kd;
		n->how = h;
		n->line = l;
		n->col = c;
		return n;
	}
	Value to_value() const
	{
		Value v;
		switch (kind) {
		case Leaf:
			return leaf;
		case TableArray:
			v.kind = Value::Array;
			for (const auto &e : elems)
				v.items.push_back(e->to_value());
			return v;
		case Table:
			v.kind = Value::Object;
			for (const auto &m : kids)
				v.members.emplace_back(m.first, m.second->to_value());
			return v;
		}
		return v;
	}
};

struct KeyPart {
	std::string name;
	size_t line, col;
};

std::string dotted(const std::vector<KeyPart> &key, size_t upto)
{
	std::string s;
	for (size_t i = 0; i <= upto && i < key.size(); i++)
		s += (i ? "." : "") + key[i].name;
	return s;
}

class Parser
{
public:
	Parser(const std::string &t, json::Error &e) : s_(t), err_(e) {}

	bool document(Value &out)
	{
		Node root;
		cur_ = &root;
		if (s_.size() >= 3 && s_.compare(0, 3, "\xEF\xBB\xBF") == 0)
			i_ = 3; // a UTF-8 byte order mark
		while (i_ < s_.size()) {
			ws();
			if (at_eol()) {
				if (!end_of_line())
					return false;
				continue;
			}
			if (peek() == '[') {
				if (!header(root))
					return false;
			} else if (!keyval(*cur_, 0)) {
				return false;
			}
			ws();
			if (!end_of_line())
				return false;
		}
		out = root.to_value();
		return true;
	}

private:
	const std::string &s_;
	json::Error &err_;
	size_t i_ = 0, line_ = 1, col_ = 1;
	Node *cur_ = nullptr;

	char peek(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
	bool eof() const { return i_ >= s_.size(); }
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
	bool fail_at(size_t line, size_t col, const std::string &what)
	{
		err_.line = line;
		err_.col = col;
		err_.what = what;
		return false;
	}
	std::string found() const
	{
		if (eof())
			return "end of input";
		unsigned char c = (unsigned char)s_[i_];
		if (c == '\n' || (c == '\r' && peek(1) == '\n'))
			return "end of line";
		if (c < 0x20 || c == 0x7f)
			return "a control character";
		return std::string("'") + s_[i_] + "'";
	}
	bool expected(const std::string &what)
	{
		return fail_at(line_, col_, "expected " + what + ", got " + found());
	}
	void ws()
	{
		while (!eof() && (peek() == ' ' || peek() == '\t'))
			adv();
	}
	bool at_eol() const
	{
		return eof() || peek() == '\n' || peek() == '#' || (peek() == '\r' && peek(1) == '\n');
	}
	// An optional comment, then a newline or the end of the text.
	bool end_of_line()
	{
		if (peek() == '#') {
			while (!eof() && peek() != '\n') {
				unsigned char c = (unsigned char)peek();
				if (c == '\r' && peek(1) == '\n')
					break;
				if ((c < 0x20 && c != '\t') || c == 0x7f)
					return fail_at(line_, col_, "control character in a comment");
				adv();
			}
		}
		if (eof())
			return true;
		if (peek() == '\r' && peek(1) == '\n')
			adv();
		if (peek() != '\n')
			return expected("the end of the line");
		adv();
		return true;
	}
	// Whitespace, newlines and comments (inside arrays).
	bool ws_nl()
	{
		for (;;) {
			ws();
			if (eof() || !at_eol())
				return true;
			if (!end_of_line())
				return false;
		}
	}

	// ------------------------------------------------------------ keys

	static bool bare_char(char c)
	{
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '-';
	}
	bool simple_key(KeyPart &k)
	{
		k.line = line_;
		k.col = col_;
		if (peek() == '"' || peek() == '\'') {
			Value v;
			if (!string_value(v, true))
				return false;
			k.name = v.text;
			return true;
		}
		size_t b = i_;
		while (!eof() && bare_char(peek()))
			adv();
		if (i_ == b)
			return expected("a key (letters, digits, _ and -, or a quoted key)");
		k.name = s_.substr(b, i_ - b);
		return true;
	}
	bool key(std::vector<KeyPart> &parts)
	{
		for (;;) {
			KeyPart k;
			if (!simple_key(k))
				return false;
			parts.push_back(k);
			ws();
			if (peek() != '.')
				return true;
			adv();
			ws();
		}
	}

	// ---------------------------------------------------------- tables

	// [a.b] or [[a.b]]: walk to (or make) the table, which becomes current.
	bool header(Node &root)
	{
		size_t hl = line_, hc = col_;
		adv();
		bool array = peek() == '[';
		if (array)
			adv();
		ws();
		std::vector<KeyPart> key;
		if (!this->key(key))
			return false;
		if (peek() != ']' || (array && peek(1) != ']'))
			return expected(array ? "']]' closing the array-of-tables header"
					      : "']' closing the table header");
		adv();
		if (array)
			adv();
		Node *t = &root;
		for (size_t k = 0; k + 1 < key.size(); k++) {
			Node *c = t->find(key[k].name);
			if (!c)
				c = t->add(key[k].name, Node::Table, Node::Implicit, key[k].line, key[k].col);
			else if (c->kind == Node::TableArray)
				c = c->elems.back().get();
			else if (c->kind == Node::Leaf)
				return fail_at(key[k].line, key[k].col,
					       "'" + dotted(key, k) + "' is a value (line " +
						       std::to_string(c->line) + "), not a table");
			t = c;
		}
		const KeyPart &last = key.back();
		Node *c = t->find(last.name);
		std::string name = dotted(key, key.size());
		if (array) {
			if (!c)
				c = t->add(last.name, Node::TableArray, Node::Header, hl, hc);
			else if (c->kind != Node::TableArray)
				return fail_at(hl, hc,
					       "[[" + name + "]]: '" + name + "' is already defined on line " +
						       std::to_string(c->line) + " as a " +
						       (c->kind == Node::Table ? "table" : "value") +
						       ", not an array of tables");
			c->elems.push_back(std::make_unique<Node>());
			cur_ = c->elems.back().get();
			cur_->how = Node::Header;
			cur_->line = hl;
			cur_->col = hc;
			return true;
		}
		if (!c) {
			cur_ = t->add(last.name, Node::Table, Node::Header, hl, hc);
			return true;
		}
		if (c->kind == Node::Table && c->how == Node::Implicit) {
			c->how = Node::Header;
			cur_ = c;
			return true;
		}
		const char *as = c->kind == Node::Leaf         ? " as a value"
				 : c->kind == Node::TableArray ? " as an array of tables"
							       : " (a table is defined once)";
		return fail_at(hl, hc,
			       "[" + name + "]: '" + name + "' is already defined on line " +
				       std::to_string(c->line) + as);
	}

	// key = value into table t; inside an inline table t is the inline
	// table's own tree (depth: how deep that inline table is).
	bool keyval(Node &t, unsigned depth)
	{
		std::vector<KeyPart> key;
		if (!this->key(key))
			return false;
		if (peek() != '=')
			return expected("'=' after the key");
		adv();
		ws();
		Node *tab = &t;
		for (size_t k = 0; k + 1 < key.size(); k++) {
			Node *c = tab->find(key[k].name);
			if (!c)
				c = tab->add(key[k].name, Node::Table, Node::Dotted, key[k].line, key[k].col);
			else if (c->kind != Node::Table || c->how != Node::Dotted)
				return fail_at(key[k].line, key[k].col,
					       "'" + dotted(key, k) + "' is already defined on line " +
						       std::to_string(c->line) +
						       (c->kind == Node::Leaf
								? " as a value"
								: "; dotted keys cannot add to it"));
			tab = c;
		}
		const KeyPart &last = key.back();
		if (Node *c = tab->find(last.name))
			return fail_at(last.line, last.col,
				       "duplicate key '" + dotted(key, key.size()) + "' (first defined on line " +
					       std::to_string(c->line) + ")");
		Value v;
		if (!value(v, depth))
			return false;
		Node *n = tab->add(last.name, Node::Leaf, Node::Dotted, last.line, last.col);
		n->leaf = std::move(v);
		return true;
	}

	// ---------------------------------------------------------- values

	bool value(Value &v, unsigned depth)
	{
		if (depth > json::kMaxDepth)
			return fail_at(line_, col_, "values nested too deeply");
		char c = peek();
		if (c == '"' || c == '\'')
			return string_value(v, false);
		if (c == '[')
			return array(v, depth);
		if (c == '{')
			return inline_table(v, depth);
		if (c == 't' || c == 'f') {
			const char *w = c == 't' ? "true" : "false";
			size_t n = c == 't' ? 4 : 5;
			if (s_.compare(i_, n, w) == 0 && !bare_char(peek(n))) {
				v.kind = Value::Bool;
				v.b = c == 't';
				for (size_t k = 0; k < n; k++)
					adv();
				return true;
			}
		}
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i' || c == 'n')
			return number(v);
		return expected("a value (a string, number, true, false, [array] or {inline table})");
	}

	// The digits of \uXXXX or \UXXXXXXXX; (l, c) is where the escape starts.
	bool hex_escape(unsigned n, size_t l, size_t c, std::string &out)
	{
		uint32_t cp = 0;
		for (unsigned k = 0; k < n; k++) {
			char h = peek();
			int d = h >= '0' && h <= '9'   ? h - '0'
				: h >= 'a' && h <= 'f' ? h - 'a' + 10
				: h >= 'A' && h <= 'F' ? h - 'A' + 10
						       : -1;
			if (d < 0)
				return expected(std::to_string(n) + " hex digits");
			cp = cp * 16 + (uint32_t)d;
			adv();
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail_at(l, c, "escape is not a Unicode scalar value");
		if (cp < 0x80) {
			out += (char)cp;
		} else if (cp < 0x800) {
			out += (char)(0xc0 | (cp >> 6));
			out += (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out += (char)(0xe0 | (cp >> 12));
			out += (char)(0x80 | ((cp >> 6) & 0x3f));
			out += (char)(0x80 | (cp & 0x3f));
		} else {
			out += (char)(0xf0 | (cp >> 18));
			out += (char)(0x80 | ((cp >> 12) & 0x3f));
			out += (char)(0x80 | ((cp >> 6) & 0x3f));
			out += (char)(0x80 | (cp & 0x3f));
		}
		return true;
	}

	// "basic" (escapes) or 'literal' (none), on one line.
	bool string_value(Value &v, bool as_key)
	{
		char q = peek();
		if (peek(1) == q && peek(2) == q)
			return fail_at(line_, col_,
				       as_key ? "expected a key, got a multi-line string"
					      : "multi-line strings (\"\"\" or ''') are not supported here");
		size_t l = line_, c = col_;
		adv();
		std::string out;
		for (;;) {
			if (eof() || peek() == '\n' || (peek() == '\r' && peek(1) == '\n'))
				return fail_at(l, c, "unterminated string (a string ends on its line)");
			char ch = peek();
			if (ch == q) {
				adv();
				break;
			}
			unsigned char u = (unsigned char)ch;
			if ((u < 0x20 && ch != '\t') || u == 0x7f)
				return fail_at(line_, col_, "control character in a string (escape it)");
			if (q == '"' && ch == '\\') {
				size_t el = line_, ec = col_;
				adv();
				char e = peek();
				switch (e) {
				case 'b': out += '\b'; break;
				case 't': out += '\t'; break;
				case 'n': out += '\n'; break;
				case 'f': out += '\f'; break;
				case 'r': out += '\r'; break;
				case '"': out += '"'; break;
				case '\\': out += '\\'; break;
				case 'u':
				case 'U':
					adv();
					if (!hex_escape(e == 'u' ? 4 : 8, el, ec, out))
						return false;
					continue;
				default:
					return expected("an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
				}
				adv();
				continue;
			}
			out += ch;
			adv();
		}
		v.kind = Value::String;
		v.text = out;
		return true;
	}

	// Digits with single `_` between them; returns false (no message) when
	// the run is empty or an `_` is not between two digits.
	static bool digit_run(const std::string &t, size_t &p, int base)
	{
		auto is_digit = [&](char c) {
			if (base == 16)
				return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
			return c >= '0' && c < (char)('0' + base);
		};
		size_t b = p;
		bool prev_digit = false;
		while (p < t.size()) {
			if (is_digit(t[p])) {
				prev_digit = true;
			} else if (t[p] == '_' && prev_digit && p + 1 < t.size() && is_digit(t[p + 1])) {
				prev_digit = false;
			} else {
				break;
			}
			p++;
		}
		return p > b && prev_digit;
	}

	bool number(Value &v)
	{
		size_t l = line_, c = col_, b = i_;
		while (!eof()) {
			char ch = peek();
			if (ch == ' ' || ch == '\t' || ch == ',' || ch == ']' || ch == '}' || ch == '#' ||
			    ch == '\n' || ch == '\r')
				break;
			adv();
		}
		std::string t = s_.substr(b, i_ - b);
		auto bad = [&](const std::string &why) {
			return fail_at(l, c, "malformed number '" + t + "': " + why);
		};
		std::string body = t;
		bool neg = false, sign = false;
		if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
			neg = body[0] == '-';
			sign = true;
			body.erase(0, 1);
		}
		if (body == "inf" || body == "nan")
			return fail_at(l, c, "inf and nan are not supported here");
		if (body.size() >= 3 && body[0] >= '0' && body[0] <= '9' &&
		    (body.find(':') != std::string::npos ||
		     (body.size() >= 5 && body[4] == '-' && !sign)))
			return fail_at(l, c, "dates and times are not supported here");
		if (body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o' || body[1] == 'b')) {
			if (sign)
				return bad("a hex, octal or binary integer takes no sign");
			int base = body[1] == 'x' ? 16 : body[1] == 'o' ? 8 : 2;
			size_t p = 2;
			if (!digit_run(body, p, base) || p != body.size())
				return bad("expected base-" + std::to_string(base) + " digits after '" +
					   body.substr(0, 2) + "' (with _ only between digits)");
			std::string digits;
			for (size_t k = 2; k < body.size(); k++)
				if (body[k] != '_')
					digits += body[k];
			errno = 0;
			char *end = nullptr;
			unsigned long long u = strtoull(digits.c_str(), &end, base);
			if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
				return bad("out of the 64-bit range");
			v.kind = Value::Number;
			v.text = std::to_string(u);
			v.num = (double)u;
			return true;
		}
		size_t p = 0;
		if (!digit_run(body, p, 10))
			return bad("expected digits (with _ only between digits)");
		if (body[0] == '0' && p > 1)
			return bad("leading zeros are not allowed");
		bool is_float = false;
		if (p < body.size() && body[p] == '.') {
			p++;
			if (!digit_run(body, p, 10))
				return bad("expected digits after '.'");
			is_float = true;
		}
		if (p < body.size() && (body[p] == 'e' || body[p] == 'E')) {
			p++;
			if (p < body.size() && (body[p] == '+' || body[p] == '-'))
				p++;
			if (!digit_run(body, p, 10))
				return bad("expected digits in the exponent");
			is_float = true;
		}
		if (p != body.size())
			return bad("unexpected '" + body.substr(p, 1) + "'");
		std::string digits = neg ? "-" : "";
		for (char ch : body)
			if (ch != '_')
				digits += ch;
		v.kind = Value::Number;
		if (is_float) {
			v.text = digits;
			v.num = strtod(digits.c_str(), nullptr);
			return true;
		}
		errno = 0;
		long long x = strtoll(digits.c_str(), nullptr, 10);
		if (errno == ERANGE)
			return bad("out of the 64-bit range");
		v.text = std::to_string(x);
		v.num = (double)x;
		return true;
	}

	bool array(Value &v, unsigned depth)
	{
		size_t l = line_, c = col_;
		adv();
		v.kind = Value::Array;
		for (;;) {
			if (!ws_nl())
				return false;
			if (eof())
				return fail_at(l, c, "unterminated array (no ']')");
			if (peek() == ']') {
				adv();
				return true;
			}
			Value item;
			if (!value(item, depth + 1))
				return false;
			v.items.push_back(std::move(item));
			if (!ws_nl())
				return false;
			if (peek() == ',') {
				adv();
				continue;
			}
			if (peek() == ']') {
				adv();
				return true;
			}
			if (eof())
				return fail_at(l, c, "unterminated array (no ']')");
			return expected("',' or ']' in the array");
		}
	}

	// { key = value, ... } on one line, no trailing comma; closed afterwards.
	bool inline_table(Value &v, unsigned depth)
	{
		adv();
		Node t;
		ws();
		if (peek() == '}') {
			adv();
			v = t.to_value();
			return true;
		}
		for (;;) {
			ws();
			if (!keyval(t, depth + 1))
				return false;
			ws();
			if (peek() == ',') {
				adv();
				ws();
				if (peek() == '}')
					return expected("a key after ',' (an inline table has no trailing comma)");
				continue;
			}
			if (peek() == '}') {
				adv();
				v = t.to_value();
				return true;
			}
			return expected("',' or '}' in the inline table (it stays on one line)");
		}
	}
};

} // namespace

bool parse(const std::string &text, json::Value &out, json::Error &err)
{
	Parser p(text, err);
	return p.document(out);
}

bool parse_file(const std::string &path, json::Value &out, json::Error &err)
{
	std::ifstream f(path, std::ios::binary);
	if (!f) {
		err = json::Error{0, 0, "cannot open the file"};
		return false;
	}
	std::ostringstream ss;
	ss << f.rdbuf();
	return toml::parse(ss.str(), out, err);
}

} // namespace smmusim::toml
