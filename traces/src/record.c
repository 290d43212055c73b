/*
 * record.c - small helpers around records and values that consumers call:
 * lookups by key or position, typed accessors, value builders for writers,
 * names of kinds/units/sections, and the error codes' text and exit status.
 */
#include <string.h>

#include "trc_internal.h"

/* ------------------------------------------------------------- lookups */

const struct trc_value *trc_record_word(const struct trc_record *rec, size_t i)
{
	if (!rec || i >= rec->nwords)
		return NULL;
	return &rec->words[i];
}

const struct trc_value *trc_record_arg(const struct trc_record *rec, const char *key)
{
	size_t i;

	if (!rec || !key)
		return NULL;
	for (i = 0; i < rec->nargs; i++) {
		if (strcmp(rec->args[i].key, key) == 0)
			return &rec->args[i].value;
	}
	return NULL;
}

const struct trc_value *trc_record_result(const struct trc_record *rec, const char *key)
{
	size_t i;

	if (!rec || !key)
		return NULL;
	for (i = 0; i < rec->nresults; i++) {
		if (strcmp(rec->results[i].key, key) == 0)
			return &rec->results[i].value;
	}
	return NULL;
}

int trc_record_has_word(const struct trc_record *rec, const char *word)
{
	size_t i;

	if (!rec || !word)
		return 0;
	for (i = 0; i < rec->nwords; i++) {
		const struct trc_value *v = &rec->words[i];

		if ((v->kind == TRC_NAME || v->kind == TRC_WORD) && strcmp(v->s, word) == 0)
			return 1;
	}
	return 0;
}

int trc_record_stamp_ps(const struct trc_record *rec, uint64_t *ps)
{
	if (!rec || !rec->stamp)
		return 0;
	if (ps)
		*ps = rec->stamp->u;
	return 1;
}

/* ----------------------------------------------------------- accessors */

int trc_value_u64(const struct trc_value *v, uint64_t *out)
{
	if (!v || v->kind != TRC_INT)
		return TRC_E_TYPE;
	if (out)
		*out = v->u;
	return TRC_OK;
}

int trc_value_ps(const struct trc_value *v, uint64_t *out)
{
	if (!v || v->kind != TRC_DURATION)
		return TRC_E_TYPE;
	if (out)
		*out = v->u;
	return TRC_OK;
}

const char *trc_value_setting(const struct trc_value *v, char *buf, size_t len)
{
	if (!v || !buf || !len)
		return NULL;
	switch (v->kind) {
	case TRC_INT:
		snprintf(buf, len, "%llu", (unsigned long long)v->u);
		return buf;
	case TRC_DURATION:
		snprintf(buf, len, "%llups", (unsigned long long)v->u);
		return buf;
	case TRC_NAME:
	case TRC_WORD:
	case TRC_STRING:
	case TRC_FLAGS:
		snprintf(buf, len, "%s", v->s);
		return buf;
	default:
		return NULL;
	}
}

const char *trc_value_str(const struct trc_value *v)
{
	if (!v)
		return NULL;
	switch (v->kind) {
	case TRC_NAME:
	case TRC_FLAGS:
	case TRC_VAR:
	case TRC_STRING:
	case TRC_WORD:
		return v->s;
	default:
		return NULL;
	}
}

int trc_value_is(const struct trc_value *v, const char *text)
{
	if (!v || !text || !v->s)
		return 0;
	switch (v->kind) {
	case TRC_NAME:
	case TRC_FLAGS:
	case TRC_STRING:
	case TRC_WORD:
		return strlen(text) == v->len && memcmp(v->s, text, v->len) == 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ builders */

static struct trc_value make_text(enum trc_kind kind, const char *s)
{
	struct trc_value v;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.s = s ? s : "";
	v.len = strlen(v.s);
	return v;
}

struct trc_value trc_value_make_int(uint64_t u)
{
	struct trc_value v;

	memset(&v, 0, sizeof(v));
	v.kind = TRC_INT;
	v.radix = 16;
	v.u = u;
	return v;
}

struct trc_value trc_value_make_dec(uint64_t u)
{
	struct trc_value v = trc_value_make_int(u);

	v.radix = 10;
	return v;
}

struct trc_value trc_value_make_name(const char *s)
{
	return make_text(TRC_NAME, s);
}

struct trc_value trc_value_make_flags(const char *s)
{
	return make_text(TRC_FLAGS, s);
}

struct trc_value trc_value_make_var(const char *name)
{
	return make_text(TRC_VAR, name);
}

struct trc_value trc_value_make_string(const char *s)
{
	return make_text(TRC_STRING, s);
}

struct trc_value trc_value_make_word(const char *s)
{
	return make_text(TRC_WORD, s);
}

struct trc_value trc_value_make_list(const struct trc_value *items, size_t n)
{
	struct trc_value v;

	memset(&v, 0, sizeof(v));
	v.kind = TRC_LIST;
	v.items = items;
	v.nitems = n;
	return v;
}

struct trc_value trc_value_make_duration(uint64_t count, enum trc_unit unit, uint64_t cycle_ps)
{
	struct trc_value v;

	memset(&v, 0, sizeof(v));
	v.kind = TRC_DURATION;
	v.radix = 10;
	v.unit = (uint8_t)unit;
	v.count = count;
	v.u = count * trc_unit_ps(unit, cycle_ps ? cycle_ps : TRC_DEFAULT_CYCLE_PS);
	return v;
}

/* --------------------------------------------------------------- names */

uint64_t trc_unit_ps(enum trc_unit unit, uint64_t cycle_ps)
{
	switch (unit) {
	case TRC_UNIT_NS:
		return 1000ull;
	case TRC_UNIT_US:
		return 1000000ull;
	case TRC_UNIT_MS:
		return 1000000000ull;
	case TRC_UNIT_S:
		return 1000000000000ull;
	case TRC_UNIT_CYC:
		return cycle_ps;
	default:
		return 0;
	}
}

const char *trc_unit_name(enum trc_unit unit)
{
	static const char *const names[] = { "", "ns", "us", "ms", "s", "cyc" };

	if ((unsigned)unit >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[unit];
}

const char *trc_kind_name(enum trc_kind kind)
{
	static const char *const names[] = { "none", "int", "duration", "name", "flags",
					     "var", "list", "string", "word" };

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[kind];
}

const char *trc_section_name(enum trc_section section)
{
	switch (section) {
	case TRC_SECTION_HEADER:
		return "header";
	case TRC_SECTION_PROCESS:
		return "process";
	case TRC_SECTION_WORLD:
		return "world";
	}
	return "?";
}

void trc_copy_name(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* -------------------------------------------------------------- errors */

const char *trc_strerror(int code)
{
	switch (code) {
	case TRC_OK:
		return "success";
	case TRC_EOF:
		return "end of trace";
	case TRC_DMA:
		return "a plain dma record (trc_reader_next_dma)";
	case TRC_E_INVAL:
		return "invalid argument";
	case TRC_E_NOMEM:
		return "out of memory";
	case TRC_E_IO:
		return "input/output error";
	case TRC_E_GZIP:
		return "corrupt or truncated gzip stream";
	case TRC_E_SYNTAX:
		return "malformed token or value";
	case TRC_E_LIMIT:
		return "reader limit exceeded";
	case TRC_E_VERSION:
		return "missing header or unsupported version";
	case TRC_E_SCHEMA:
		return "record does not match the format";
	case TRC_E_ORDER:
		return "time stamps decrease";
	case TRC_E_VAR:
		return "unbound or rebound variable";
	case TRC_E_TYPE:
		return "value of another kind";
	}
	return "unknown error";
}

int trc_exit_status(int code)
{
	switch (code) {
	case TRC_OK:
	case TRC_EOF:
	case TRC_DMA:
		return 0;
	case TRC_E_GZIP:
	case TRC_E_SYNTAX:
	case TRC_E_LIMIT:
	case TRC_E_VERSION:
	case TRC_E_SCHEMA:
	case TRC_E_ORDER:
	case TRC_E_VAR:
		return 2;
	default:
		return 1;
	}
}

size_t trc_error_format(const struct trc_error *err, char *buf, size_t size)
{
	int n;

	if (!err)
		return 0;
	if (err->line)
		n = snprintf(buf, size, "%s:%u:%u: error: %s", err->file, (unsigned)err->line,
			     (unsigned)err->col, err->msg);
	else
		n = snprintf(buf, size, "%s: error: %s", err->file, err->msg);
	return n < 0 ? 0 : (size_t)n;
}
