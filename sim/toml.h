// toml.h - a strict reader for the part of TOML 1.0 (toml.io/en/v1.0.0)
// that smmusim's configuration files need (sweep plans): comments, bare,
// quoted and dotted keys, [tables], [[arrays of tables]], basic and literal
// strings (one line), integers (decimal, 0x, 0o, 0b, `_` separators,
// 64-bit), floats, booleans, arrays (over several lines, trailing comma) and
// inline tables. What a plan does not need is refused by name rather than
// half-read: multi-line strings, dates and times, inf and nan.
//
// The result is a json::Value (objects keep the order keys first appear),
// so that a TOML file and a JSON file with the same content read the same:
// integers become Numbers whose text is their decimal value, floats keep
// their text without `_` and a leading `+`. TOML's own rules are enforced:
// a key is defined once, a table once (a [header] may not reopen a table,
// dotted keys may not extend one defined elsewhere), an inline table or an
// array written as a value is closed. Errors name the 1-based line and
// column (in bytes) of the offending token and what was expected.
#ifndef SMMUSIM_TOML_H
#define SMMUSIM_TOML_H

#include <string>

#include "json.h"

namespace smmusim::toml
{

// Parses a whole document; out is an Object.
bool parse(const std::string &text, json::Value &out, json::Error &err);
// Reads and parses a file; I/O errors have line 0 (json::format_error
// prints either kind as FILE:LINE:COL: error: WHAT).
bool parse_file(const std::string &path, json::Value &out, json::Error &err);

} // namespace smmusim::toml

#endif
