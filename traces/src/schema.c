/*
 * schema.c - what each v1 record must look like, checked after lexing:
 * the verb table (name, section), record order (smmutrace first, header
 * records before any event, stamps that never decrease), the positional
 * words and keys of header and world records, declared device and SMMU
 * names, and variable binding (bound once by a result, used only after).
 *
 * Not checked here, on purpose: the keys of `config` and `smmu` (simulator
 * parameters, listed by `smmusim params`, not by the format), the fields of
 * process records (uapi struct members, known to the kernel model only), and
 * the names of results (the replayer compares them).
 */
#include <string.h>

#include "trc_internal.h"

static const struct {
	const char *name;
	unsigned char len;
	unsigned char section;
} verbs[TRC_VERB_COUNT_] = {
	[TRC_VERB_UNKNOWN] = { NULL, 0, 0 },
	[TRC_VERB_SMMUTRACE] = { "smmutrace", 9, TRC_SECTION_HEADER },
	[TRC_VERB_CONFIG] = { "config", 6, TRC_SECTION_HEADER },
	[TRC_VERB_SMMU] = { "smmu", 4, TRC_SECTION_HEADER },
	[TRC_VERB_DEVICE] = { "device", 6, TRC_SECTION_HEADER },
	[TRC_VERB_MEMORY] = { "memory", 6, TRC_SECTION_HEADER },
	[TRC_VERB_OPEN] = { "open", 4, TRC_SECTION_PROCESS },
	[TRC_VERB_CLOSE] = { "close", 5, TRC_SECTION_PROCESS },
	[TRC_VERB_MMAP] = { "mmap", 4, TRC_SECTION_PROCESS },
	[TRC_VERB_IOCTL] = { "ioctl", 5, TRC_SECTION_PROCESS },
	[TRC_VERB_READ] = { "read", 4, TRC_SECTION_PROCESS },
	[TRC_VERB_DMA] = { "dma", 3, TRC_SECTION_WORLD },
	[TRC_VERB_ATS] = { "ats", 3, TRC_SECTION_WORLD },
	[TRC_VERB_GUEST] = { "guest", 5, TRC_SECTION_WORLD },
	[TRC_VERB_VCPU] = { "vcpu", 4, TRC_SECTION_WORLD },
	[TRC_VERB_CPU] = { "cpu", 3, TRC_SECTION_WORLD },
	[TRC_VERB_MMIO] = { "mmio", 4, TRC_SECTION_WORLD },
	[TRC_VERB_MEM] = { "mem", 3, TRC_SECTION_WORLD },
	[TRC_VERB_WAIT] = { "wait", 4, TRC_SECTION_WORLD },
	[TRC_VERB_EXPECT] = { "expect", 6, TRC_SECTION_WORLD },
	[TRC_VERB_DMAAPI] = { "dmaapi", 6, TRC_SECTION_PROCESS },
	[TRC_VERB_PRI] = { "pri", 3, TRC_SECTION_WORLD },
	[TRC_VERB_WRITE] = { "write", 5, TRC_SECTION_PROCESS },
	[TRC_VERB_EVENTFD] = { "eventfd", 7, TRC_SECTION_PROCESS },
	[TRC_VERB_MEMFD] = { "memfd", 5, TRC_SECTION_PROCESS },
};

/* Length test first, so memcmp never reads past the text; constant sizes inline. */
#define VERB_IS(lit) (len == sizeof(lit) - 1 && memcmp(s, lit, sizeof(lit) - 1) == 0)

enum trc_verb trc_verb_lookup(const char *s, size_t len)
{
	if (len == 0)
		return TRC_VERB_UNKNOWN;
	/* Every record goes through here: one switch and one or two compares. */
	switch (s[0]) {
	case 'a':
		return VERB_IS("ats") ? TRC_VERB_ATS : TRC_VERB_UNKNOWN;
	case 'c':
		return VERB_IS("cpu") ? TRC_VERB_CPU : VERB_IS("config") ? TRC_VERB_CONFIG
			: VERB_IS("close") ? TRC_VERB_CLOSE : TRC_VERB_UNKNOWN;
	case 'd':
		return VERB_IS("dma") ? TRC_VERB_DMA : VERB_IS("device") ? TRC_VERB_DEVICE
			: VERB_IS("dmaapi") ? TRC_VERB_DMAAPI : TRC_VERB_UNKNOWN;
	case 'e':
		return VERB_IS("expect") ? TRC_VERB_EXPECT : VERB_IS("eventfd") ? TRC_VERB_EVENTFD
			: TRC_VERB_UNKNOWN;
	case 'g':
		return VERB_IS("guest") ? TRC_VERB_GUEST : TRC_VERB_UNKNOWN;
	case 'i':
		return VERB_IS("ioctl") ? TRC_VERB_IOCTL : TRC_VERB_UNKNOWN;
	case 'm':
		return VERB_IS("mem") ? TRC_VERB_MEM : VERB_IS("mmio") ? TRC_VERB_MMIO
			: VERB_IS("mmap") ? TRC_VERB_MMAP : VERB_IS("memory") ? TRC_VERB_MEMORY
			: VERB_IS("memfd") ? TRC_VERB_MEMFD : TRC_VERB_UNKNOWN;
	case 'o':
		return VERB_IS("open") ? TRC_VERB_OPEN : TRC_VERB_UNKNOWN;
	case 'p':
		return VERB_IS("pri") ? TRC_VERB_PRI : TRC_VERB_UNKNOWN;
	case 'r':
		return VERB_IS("read") ? TRC_VERB_READ : TRC_VERB_UNKNOWN;
	case 's':
		return VERB_IS("smmu") ? TRC_VERB_SMMU : VERB_IS("smmutrace") ? TRC_VERB_SMMUTRACE
			: TRC_VERB_UNKNOWN;
	case 'v':
		return VERB_IS("vcpu") ? TRC_VERB_VCPU : TRC_VERB_UNKNOWN;
	case 'w':
		return VERB_IS("wait") ? TRC_VERB_WAIT : VERB_IS("write") ? TRC_VERB_WRITE
			: TRC_VERB_UNKNOWN;
	default:
		return TRC_VERB_UNKNOWN;
	}
}

#undef VERB_IS

const char *trc_verb_name(enum trc_verb verb)
{
	if ((int)verb <= 0 || (int)verb >= TRC_VERB_COUNT_)
		return NULL;
	return verbs[verb].name;
}

enum trc_verb trc_verb_from_name(const char *name)
{
	if (!name || !*name)
		return TRC_VERB_UNKNOWN;
	return trc_verb_lookup(name, strlen(name));
}

static inline enum trc_section verb_section(enum trc_verb verb)
{
	if ((int)verb <= 0 || (int)verb >= TRC_VERB_COUNT_)
		return TRC_SECTION_WORLD;
	return (enum trc_section)verbs[verb].section;
}

enum trc_section trc_verb_section(enum trc_verb verb)
{
	return verb_section(verb);
}

/* ------------------------------------------------------------- helpers */

/* Short text of a value for messages. */
static const char *describe(const struct trc_value *v, char *buf, size_t size)
{
	switch (v->kind) {
	case TRC_INT:
		if (v->radix == 10)
			snprintf(buf, size, "%llu", (unsigned long long)v->u);
		else
			snprintf(buf, size, "0x%llx", (unsigned long long)v->u);
		break;
	case TRC_DURATION:
		snprintf(buf, size, "%llu%s", (unsigned long long)v->count,
			 trc_unit_name((enum trc_unit)v->unit));
		break;
	case TRC_VAR:
		snprintf(buf, size, "$%s", v->s);
		break;
	case TRC_STRING:
		snprintf(buf, size, "\"%s\"", v->s);
		break;
	case TRC_LIST:
		snprintf(buf, size, "a list");
		break;
	case TRC_NONE:
		snprintf(buf, size, "nothing");
		break;
	default:
		snprintf(buf, size, "%s", v->s);
		break;
	}
	return buf;
}

/* Does the NAME/WORD v equal one of "a|b|c"? */
static int in_choices(const struct trc_value *v, const char *choices)
{
	const char *c = choices, *s = v->s;
	size_t len = v->len, k;

	if (v->kind != TRC_NAME && v->kind != TRC_WORD)
		return 0;
	/* No strchr/strlen/memcmp per record: compare along a choice, else skip it. */
	for (;;) {
		if (!*c)
			return 0;
		if (*c == *s) {
			for (k = 1; k < len && c[k] == s[k] && c[k] != '|'; k++)
				;
			if (k >= len && (c[len] == '|' || c[len] == '\0'))
				return 1;
		}
		while (*c && *c != '|')
			c++;
		if (*c)
			c++;
	}
}

/* "read|write" -> "read or write" for messages. */
static const char *choices_text(const char *choices, char *buf, size_t size)
{
	size_t o = 0;
	const char *c;

	for (c = choices; *c && o + 5 < size; c++) {
		if (*c == '|') {
			const char *sep = strchr(c + 1, '|') ? ", " : " or ";

			memcpy(buf + o, sep, strlen(sep));
			o += strlen(sep);
		} else {
			buf[o++] = *c;
		}
	}
	buf[o] = '\0';
	return buf;
}

enum key_type {
	K_ANY,      /* any value */
	K_INT,      /* integer or variable */
	K_INTS,     /* integer, variable or list (u64=V or u64=[V,V]) */
	K_NAME,     /* a name */
	K_PATH,     /* word, name or string (paths, BDFs) */
	K_CHOICE,   /* a name among choices */
	K_ICHOICE,  /* an integer among choices (decimal) */
};

struct key_spec {
	const char *key;
	unsigned char id;     /* enum trc_key_id of key */
	unsigned char type;
	unsigned char required;
	const char *choices;
};

#define SPEC_N(a) (sizeof(a) / sizeof((a)[0]))
/* check_keys() keeps one bit per key of a spec. */
#define SPEC_MAX 32

static int int_in_choices(uint64_t u, const char *choices)
{
	const char *c = choices;

	while (*c) {
		uint64_t x = 0;

		while (*c >= '0' && *c <= '9')
			x = x * 10 + (uint64_t)(*c++ - '0');
		/* Choices such as 4K name binary multiples, as the trace does. */
		if (*c == 'K') {
			x <<= 10;
			c++;
		}
		if (x == u)
			return 1;
		if (*c == '|')
			c++;
	}
	return 0;
}

static int check_value_type(struct trc_reader *r, const char *what, const struct trc_arg *a,
			    const struct key_spec *k)
{
	const struct trc_value *v = &a->value;
	char buf[64], cb[96];
	const char *expected = NULL;

	switch (k->type) {
	case K_ANY:
		return 0;
	case K_INT:
		if (v->kind == TRC_INT || v->kind == TRC_VAR)
			return 0;
		expected = "an integer or $variable";
		break;
	case K_INTS:
		if (v->kind == TRC_INT || v->kind == TRC_VAR || v->kind == TRC_LIST)
			return 0;
		expected = "an integer, $variable or list";
		break;
	case K_NAME:
		if (v->kind == TRC_NAME)
			return 0;
		expected = "a name";
		break;
	case K_PATH:
		if (v->kind == TRC_WORD || v->kind == TRC_NAME || v->kind == TRC_STRING)
			return 0;
		expected = "a path or word";
		break;
	case K_CHOICE:
		if (in_choices(v, k->choices))
			return 0;
		expected = choices_text(k->choices, cb, sizeof(cb));
		break;
	case K_ICHOICE:
		if (v->kind == TRC_INT && int_in_choices(v->u, k->choices))
			return 0;
		expected = choices_text(k->choices, cb, sizeof(cb));
		break;
	}
	return trc_fail(r, TRC_E_SCHEMA, v->line, v->col, "%s: %s=%s: expected %s", what, a->key,
			describe(v, buf, sizeof(buf)), expected);
}

/*
 * Every argument must be a listed key of the right type; every required key
 * must be there. what names the record form in messages ("guest s1map").
 */
static int check_keys_full(struct trc_reader *r, const struct trc_record *rec, const char *what,
			   const struct key_spec *spec, size_t n)
{
	uint32_t seen = 0;
	size_t i, j;
	int rc;

	/* Specs stay under 32 keys, so one bit per key records what was given. */
	for (i = 0; i < rec->nargs; i++) {
		const struct trc_arg *a = &rec->args[i];

		for (j = 0; j < n; j++) {
			if (a->key[0] == spec[j].key[0] && strcmp(a->key, spec[j].key) == 0)
				break;
		}
		if (j == n) {
			char list[200];
			size_t o = 0;

			list[0] = '\0';
			for (j = 0; j < n && o < sizeof(list); j++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", j ? ", " : "", spec[j].key);
			if (n == 0) {
				return trc_fail(r, TRC_E_SCHEMA, a->line, a->col,
						"unknown key '%s': %s takes no key=value arguments", a->key, what);
			}
			return trc_fail(r, TRC_E_SCHEMA, a->line, a->col,
					"unknown key '%s' for %s (expected %s)", a->key, what, list);
		}
		seen |= 1u << j;
		rc = check_value_type(r, what, a, &spec[j]);
		if (rc)
			return rc;
	}
	for (j = 0; j < n; j++) {
		if (spec[j].required && !(seen & (1u << j))) {
			return trc_fail(r, TRC_E_SCHEMA, rec->line, r->args_end_col,
					"%s: missing %s=", what, spec[j].key);
		}
	}
	return 0;
}

/* check_value_type() without the message: 1 if the value suits the key. */
static int value_type_ok(const struct trc_value *v, const struct key_spec *k)
{
	switch (k->type) {
	case K_ANY:
		return 1;
	case K_INT:
		return v->kind == TRC_INT || v->kind == TRC_VAR;
	case K_INTS:
		return v->kind == TRC_INT || v->kind == TRC_VAR || v->kind == TRC_LIST;
	case K_NAME:
		return v->kind == TRC_NAME;
	case K_PATH:
		return v->kind == TRC_WORD || v->kind == TRC_NAME || v->kind == TRC_STRING;
	case K_CHOICE:
		return in_choices(v, k->choices);
	case K_ICHOICE:
		return v->kind == TRC_INT && int_in_choices(v->u, k->choices);
	}
	return 0;
}

/*
 * check_keys_full() for a record whose keys the lexer numbered (the usual
 * case), and without a message to build: every key of the spec that was
 * given has a value of the right type, every required one was given, and
 * no other was (a bit left over in the mask). Duplicates were ruled out
 * before. Anything amiss, or keys that are not numbered, and the full check
 * runs from the start to report the first problem as it would have alone.
 */
static int check_keys(struct trc_reader *r, const struct trc_record *rec, const char *what,
		      const struct key_spec *spec, size_t n)
{
	uint64_t left = r->argkey_mask;
	size_t j;

	if (!r->argkey_all)
		return check_keys_full(r, rec, what, spec, n);
	for (j = 0; j < n; j++) {
		uint64_t bit = (uint64_t)1 << spec[j].id;

		if (left & bit) {
			left &= ~bit;
			if (!value_type_ok(&rec->args[r->argpos[spec[j].id]].value, &spec[j]))
				return check_keys_full(r, rec, what, spec, n);
		} else if (spec[j].required) {
			return check_keys_full(r, rec, what, spec, n);
		}
	}
	return left ? check_keys_full(r, rec, what, spec, n) : 0;
}

/* Positional word i must exist; expected says what it should be. */
static int need_word(struct trc_reader *r, const struct trc_record *rec, size_t i,
		     const char *what, const char *expected)
{
	if (i < rec->nwords)
		return 0;
	/* Where the missing word belongs: after the verb or the last word. */
	return trc_fail(r, TRC_E_SCHEMA, rec->line, r->words_end_col, "%s: expected %s", what, expected);
}

/* Positional word i must be one of choices ("read|write"). */
static int word_choice(struct trc_reader *r, const struct trc_record *rec, size_t i,
		       const char *what, const char *choices)
{
	char cb[128], buf[64];
	const struct trc_value *v;
	int rc;

	rc = need_word(r, rec, i, what, choices_text(choices, cb, sizeof(cb)));
	if (rc)
		return rc;
	v = &rec->words[i];
	if (in_choices(v, choices))
		return 0;
	return trc_fail(r, TRC_E_SCHEMA, v->line, v->col, "%s: expected %s, found '%s'", what,
			choices_text(choices, cb, sizeof(cb)), describe(v, buf, sizeof(buf)));
}

/* Positional word i must be of kind (or a second kind, or 0). */
static int word_kind(struct trc_reader *r, const struct trc_record *rec, size_t i,
		     const char *what, const char *expected, enum trc_kind k1, enum trc_kind k2,
		     enum trc_kind k3)
{
	char buf[64];
	const struct trc_value *v;
	int rc = need_word(r, rec, i, what, expected);

	if (rc)
		return rc;
	v = &rec->words[i];
	if (v->kind == k1 || (k2 && v->kind == k2) || (k3 && v->kind == k3))
		return 0;
	return trc_fail(r, TRC_E_SCHEMA, v->line, v->col, "%s: expected %s, found '%s'", what,
			expected, describe(v, buf, sizeof(buf)));
}

/* No positional words from index i on. */
static int words_end(struct trc_reader *r, const struct trc_record *rec, size_t i, const char *what)
{
	char buf[64];

	if (rec->nwords <= i)
		return 0;
	return trc_fail(r, TRC_E_SCHEMA, rec->words[i].line, rec->words[i].col,
			"%s: unexpected '%s'", what, describe(&rec->words[i], buf, sizeof(buf)));
}

static const struct trc_value *find_arg(const struct trc_reader *r, const struct trc_record *rec,
				       unsigned id, const char *key)
{
	size_t i;

	if (r->argkey_all && !r->argkey_dup) {
		if (!(r->argkey_mask & ((uint64_t)1 << id)))
			return NULL;
		return &rec->args[r->argpos[id]].value;
	}
	for (i = 0; i < rec->nargs; i++) {
		if (strcmp(rec->args[i].key, key) == 0)
			return &rec->args[i].value;
	}
	return NULL;
}

/* An SMMU name is valid if declared, or if none is declared and it is smmu0. */
static int smmu_known(struct trc_reader *r, const struct trc_value *v)
{
	if (v->kind != TRC_NAME)
		return 0;
	if (r->smmus.count == 0)
		return strcmp(v->s, "smmu0") == 0;
	return trc_names_find(&r->smmus, v->s, v->len) != NULL;
}

static int check_smmu_ref(struct trc_reader *r, const char *what, const struct trc_value *v)
{
	char buf[64];

	if (smmu_known(r, v))
		return 0;
	if (r->smmus.count == 0) {
		return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
				"%s: unknown smmu '%s' (without smmu records the only instance is smmu0)",
				what, describe(v, buf, sizeof(buf)));
	}
	return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
			"%s: unknown smmu '%s' (declare it with an smmu record)", what,
			describe(v, buf, sizeof(buf)));
}

/*
 * Is the device name v declared? Every dma and ats record asks, mostly for
 * the same few devices: a small cache of names found before (pointers to the
 * table's own copies, which live as long as the reader) answers without
 * hashing. Names are never undeclared, so a cached name stays valid.
 */
uint32_t trc_device_known(struct trc_reader *r, const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned slot;
	const struct trc_name_ent *e;
	const char *c;
	uint64_t head;

	if (len == 0) {
		e = trc_names_find(&r->devices, name, len);
		return e ? e->line : 0;
	}
	slot = (s[0] + 3u * s[len - 1] + (unsigned)len) % TRC_DEVICE_CACHE;
	c = r->device_cache[slot];
	head = trc_name_head(name, len);
	/* The head first: the cached copy is read only past 8 bytes. */
	if (c && r->device_cache_len[slot] == len && r->device_cache_head[slot] == head &&
	    trc_name_rest_eq(c, name, len))
		return r->device_cache_line[slot];
	e = trc_names_find(&r->devices, name, len);
	if (!e)
		return 0;
	r->device_cache[slot] = e->name;
	r->device_cache_len[slot] = len;
	r->device_cache_head[slot] = head;
	r->device_cache_line[slot] = e->line;
	return e->line;
}

static int check_device_ref(struct trc_reader *r, const char *what, const struct trc_value *v)
{
	if (trc_device_known(r, v->s, v->len))
		return 0;
	return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
			"%s: unknown device '%s' (declare it with a device record in the header)", what,
			v->s);
}

/* Two arguments (or two results) with one key make a record ambiguous. */
static int check_duplicates(struct trc_reader *r, const struct trc_arg *a, size_t n,
			    const char *part)
{
	size_t i, j;

	/* Records carry a handful of keys; a quadratic scan is the fast case. */
	if (n > 64) {
		/* Long generated lines: compare hashes first so this stays near-linear. */
		struct trc_name_table seen = { 0 };
		struct trc_arena tmp = { 0 };
		int rc = 0;

		for (i = 0; i < n && !rc; i++) {
			const struct trc_name_ent *e = trc_names_find(&seen, a[i].key, strlen(a[i].key));

			if (e) {
				rc = trc_fail(r, TRC_E_SCHEMA, a[i].line, a[i].col, "duplicate %s '%s'",
					      part, a[i].key);
			} else if (trc_names_add(&seen, &tmp, a[i].key, strlen(a[i].key), a[i].line)) {
				rc = trc_fail(r, TRC_E_NOMEM, a[i].line, a[i].col, "out of memory");
			}
		}
		trc_names_free(&seen);
		trc_arena_free(&tmp);
		return rc;
	}
	for (i = 1; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (a[i].key[0] == a[j].key[0] && strcmp(a[i].key, a[j].key) == 0) {
				return trc_fail(r, TRC_E_SCHEMA, a[i].line, a[i].col, "duplicate %s '%s'",
						part, a[i].key);
			}
		}
	}
	return 0;
}

/* ----------------------------------------------------- header records */

static int check_smmutrace(struct trc_reader *r, struct trc_record *rec)
{
	const struct trc_value *v;
	const char *s;
	unsigned long major = 0, minor = 0;
	int rc;

	if (rec->nwords == 0) {
		return trc_fail(r, TRC_E_VERSION, rec->line, r->words_end_col,
				"smmutrace: expected a version such as 1 or 1.2");
	}
	v = &rec->words[0];
	s = v->s;
	if (v->kind != TRC_WORD || !(*s >= '0' && *s <= '9'))
		goto bad;
	/* Every digit is read; the values saturate (1.N for any N). */
	for (; *s >= '0' && *s <= '9'; s++)
		if (major < 100000)
			major = major * 10 + (unsigned long)(*s - '0');
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			goto bad;
		for (; *s >= '0' && *s <= '9'; s++)
			if (minor < 100000)
				minor = minor * 10 + (unsigned long)(*s - '0');
	}
	if (*s)
		goto bad;
	if (major > TRC_VERSION_MAJOR) {
		return trc_fail(r, TRC_E_VERSION, v->line, v->col,
				"trace version %s is newer than this reader, which reads version %d (1.N)",
				v->s, TRC_VERSION_MAJOR);
	}
	if (major < 1) {
		return trc_fail(r, TRC_E_VERSION, v->line, v->col,
				"unsupported trace version %s (expected 1 or 1.N)", v->s);
	}
	r->major = (unsigned)major;
	r->minor = (unsigned)minor;
	rc = words_end(r, rec, 1, "smmutrace");
	if (!rc && rec->nargs) {
		rc = trc_fail(r, TRC_E_VERSION, rec->args[0].line, rec->args[0].col,
			      "smmutrace: unexpected '%s=' (the header is just `smmutrace 1`)", rec->args[0].key);
	}
	return rc;
bad:
	return trc_fail(r, TRC_E_VERSION, v->line, v->col,
			"bad version '%s': expected MAJOR or MAJOR.MINOR (such as 1 or 1.2)", v->s);
}

static int check_config(struct trc_reader *r, struct trc_record *rec)
{
	int rc = words_end(r, rec, 0, "config (expected KEY=VALUE)");

	if (rc)
		return rc;
	if (!rec->nargs) {
		return trc_fail(r, TRC_E_SCHEMA, rec->line, r->args_end_col,
				"config: expected at least one KEY=VALUE");
	}
	return 0;
}

static int check_smmu(struct trc_reader *r, struct trc_record *rec)
{
	const struct trc_name_ent *e;
	const struct trc_value *v;
	int rc;

	rc = word_kind(r, rec, 0, "smmu", "an SMMU name", TRC_NAME, 0, 0);
	if (!rc)
		rc = words_end(r, rec, 1, "smmu");
	if (rc)
		return rc;
	v = &rec->words[0];
	e = trc_names_find(&r->smmus, v->s, v->len);
	if (e) {
		return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
				"smmu '%s' is already declared on line %u", v->s, e->line);
	}
	if (r->smmu0_implicit && strcmp(v->s, "smmu0") != 0 &&
	    !trc_names_find(&r->smmus, "smmu0", 5)) {
		return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
				"smmu '%s' declared after a device used the default smmu0: declare SMMUs before devices",
				v->s);
	}
	if (trc_names_add(&r->smmus, &r->names, v->s, v->len, rec->line))
		return trc_fail(r, TRC_E_NOMEM, rec->line, rec->col, "out of memory");
	return 0;
}

static const struct key_spec device_keys[] = {
	{ "smmu", TRC_KEY_SMMU, K_NAME, 1, NULL },
	{ "sid", TRC_KEY_SID, K_INT, 1, NULL },
	{ "ssid_bits", TRC_KEY_SSID_BITS, K_INT, 0, NULL },
	{ "ats", TRC_KEY_ATS, K_CHOICE, 0, "on|off" },
	{ "pri", TRC_KEY_PRI, K_CHOICE, 0, "on|off" },
	{ "snoop", TRC_KEY_SNOOP, K_CHOICE, 0, "enforced|no" },
	{ "cdev", TRC_KEY_CDEV, K_PATH, 0, NULL },
	{ "group", TRC_KEY_GROUP, K_PATH, 0, NULL },
	{ "bdf", TRC_KEY_BDF, K_PATH, 0, NULL },
};

static int check_device(struct trc_reader *r, struct trc_record *rec)
{
	const struct trc_name_ent *e;
	const struct trc_value *v, *s;
	int rc;

	rc = word_kind(r, rec, 0, "device", "a device name", TRC_NAME, 0, 0);
	if (!rc)
		rc = words_end(r, rec, 1, "device");
	if (!rc)
		rc = check_keys(r, rec, "device", device_keys, SPEC_N(device_keys));
	if (rc)
		return rc;
	v = &rec->words[0];
	e = trc_names_find(&r->devices, v->s, v->len);
	if (e) {
		return trc_fail(r, TRC_E_SCHEMA, v->line, v->col,
				"device '%s' is already declared on line %u", v->s, e->line);
	}
	s = find_arg(r, rec, TRC_KEY_SMMU, "smmu");
	rc = check_smmu_ref(r, "device", s);
	if (rc)
		return rc;
	if (r->smmus.count == 0)
		r->smmu0_implicit = 1;
	if (trc_names_add(&r->devices, &r->names, v->s, v->len, rec->line))
		return trc_fail(r, TRC_E_NOMEM, rec->line, rec->col, "out of memory");
	return 0;
}

static const struct key_spec memory_keys[] = {
	{ "size", TRC_KEY_SIZE, K_INT, 1, NULL },
};

static int check_memory(struct trc_reader *r, struct trc_record *rec)
{
	int rc = words_end(r, rec, 0, "memory");

	return rc ? rc : check_keys(r, rec, "memory", memory_keys, SPEC_N(memory_keys));
}

/* ---------------------------------------------------- process records */

/* Fields are uapi struct members: only the shape (fd, request) is checked. */
static int check_process(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	switch (rec->verb) {
	case TRC_VERB_OPEN:
		rc = word_kind(r, rec, 0, "open", "a path", TRC_WORD, TRC_STRING, TRC_NAME);
		return rc ? rc : words_end(r, rec, 1, "open");
	case TRC_VERB_CLOSE:
		rc = word_kind(r, rec, 0, "close", "an fd ($variable)", TRC_VAR, TRC_INT, 0);
		return rc ? rc : words_end(r, rec, 1, "close");
	case TRC_VERB_READ:
		rc = word_kind(r, rec, 0, "read", "an fd ($variable)", TRC_VAR, TRC_INT, 0);
		return rc ? rc : words_end(r, rec, 1, "read");
	case TRC_VERB_WRITE:
		rc = word_kind(r, rec, 0, "write", "an fd ($variable)", TRC_VAR, TRC_INT, 0);
		return rc ? rc : words_end(r, rec, 1, "write");
	case TRC_VERB_MMAP:
		return words_end(r, rec, 0, "mmap");
	case TRC_VERB_EVENTFD:
		return words_end(r, rec, 0, "eventfd");
	case TRC_VERB_MEMFD:
		return words_end(r, rec, 0, "memfd");
	case TRC_VERB_IOCTL:
		rc = word_kind(r, rec, 0, "ioctl", "an fd ($variable)", TRC_VAR, TRC_INT, 0);
		if (!rc)
			rc = word_kind(r, rec, 1, "ioctl", "a request name or number", TRC_NAME, TRC_INT, 0);
		return rc ? rc : words_end(r, rec, 2, "ioctl");
	default:
		return 0;
	}
}

/* dmaapi DEV map len=N dir=to|from|bidi [pa=P] [cpu=N]
 * dmaapi DEV unmap iova=V len=N [dir=...] [cpu=N] */
static const struct key_spec dmaapi_map_keys[] = {
	{ "len", TRC_KEY_LEN, K_INT, 1, NULL },
	{ "dir", TRC_KEY_DIR, K_CHOICE, 1, "to|from|bidi" },
	{ "pa", TRC_KEY_PA, K_INT, 0, NULL },
	{ "cpu", TRC_KEY_CPU, K_INT, 0, NULL },
};

static const struct key_spec dmaapi_unmap_keys[] = {
	{ "iova", TRC_KEY_IOVA, K_INT, 1, NULL },
	{ "len", TRC_KEY_LEN, K_INT, 1, NULL },
	{ "dir", TRC_KEY_DIR, K_CHOICE, 0, "to|from|bidi" },
	{ "cpu", TRC_KEY_CPU, K_INT, 0, NULL },
};

static int check_dmaapi(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "dmaapi", "a device name", TRC_NAME, 0, 0);
	if (!rc)
		rc = check_device_ref(r, "dmaapi", &rec->words[0]);
	if (!rc)
		rc = word_choice(r, rec, 1, "dmaapi", "map|unmap");
	if (!rc)
		rc = words_end(r, rec, 2, "dmaapi");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[1], "map"))
		return check_keys(r, rec, "dmaapi map", dmaapi_map_keys, SPEC_N(dmaapi_map_keys));
	return check_keys(r, rec, "dmaapi unmap", dmaapi_unmap_keys, SPEC_N(dmaapi_unmap_keys));
}

/* ------------------------------------------------------ world records */

static const struct key_spec dma_keys[] = {
	{ "addr", TRC_KEY_ADDR, K_INT, 1, NULL },
	{ "len", TRC_KEY_LEN, K_INT, 1, NULL },
	{ "dir", TRC_KEY_DIR, K_CHOICE, 1, "read|write" },
	{ "ssid", TRC_KEY_SSID, K_INT, 0, NULL },
};

static int check_dma(struct trc_reader *r, struct trc_record *rec)
{
	size_t i;
	int rc;

	/* The usual case tested here, word_kind() for the message. */
	rc = rec->nwords && rec->words[0].kind == TRC_NAME ? 0
		: word_kind(r, rec, 0, "dma", "a device name", TRC_NAME, 0, 0);
	if (!rc)
		rc = check_device_ref(r, "dma", &rec->words[0]);
	for (i = 1; !rc && i < rec->nwords; i++)
		rc = word_choice(r, rec, i, "dma", "priv|exec");
	return rc ? rc : check_keys(r, rec, "dma", dma_keys, SPEC_N(dma_keys));
}

static const struct key_spec ats_keys[] = {
	{ "addr", TRC_KEY_ADDR, K_INT, 1, NULL },
	{ "ssid", TRC_KEY_SSID, K_INT, 0, NULL },
};

static int check_ats(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "ats", "a device name", TRC_NAME, 0, 0);
	if (!rc)
		rc = check_device_ref(r, "ats", &rec->words[0]);
	if (!rc)
		rc = word_choice(r, rec, 1, "ats", "translate");
	if (!rc)
		rc = words_end(r, rec, 2, "ats");
	return rc ? rc : check_keys(r, rec, "ats", ats_keys, SPEC_N(ats_keys));
}

/* pri DEV request addr=A prg=N [ssid=N] [dir=read|write|rw] [last] [priv] [exec]
 * pri DEV stop ssid=N prg=N
 * pri DEV status prg=N [ssid=N] */
static const struct key_spec pri_request_keys[] = {
	{ "addr", TRC_KEY_ADDR, K_INT, 1, NULL },
	{ "prg", TRC_KEY_PRG, K_INT, 1, NULL },
	{ "ssid", TRC_KEY_SSID, K_INT, 0, NULL },
	{ "dir", TRC_KEY_DIR, K_CHOICE, 0, "read|write|rw" },
};
static const struct key_spec pri_stop_keys[] = {
	{ "ssid", TRC_KEY_SSID, K_INT, 1, NULL },
	{ "prg", TRC_KEY_PRG, K_INT, 1, NULL },
};
static const struct key_spec pri_status_keys[] = {
	{ "prg", TRC_KEY_PRG, K_INT, 1, NULL },
	{ "ssid", TRC_KEY_SSID, K_INT, 0, NULL },
};

static int check_pri(struct trc_reader *r, struct trc_record *rec)
{
	size_t i;
	int rc;

	rc = word_kind(r, rec, 0, "pri", "a device name", TRC_NAME, 0, 0);
	if (!rc)
		rc = check_device_ref(r, "pri", &rec->words[0]);
	if (!rc)
		rc = word_choice(r, rec, 1, "pri", "request|stop|status");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[1], "request")) {
		for (i = 2; !rc && i < rec->nwords; i++)
			rc = word_choice(r, rec, i, "pri request", "last|priv|exec");
		return rc ? rc : check_keys(r, rec, "pri request", pri_request_keys,
					    SPEC_N(pri_request_keys));
	}
	rc = words_end(r, rec, 2, "pri");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[1], "stop"))
		return check_keys(r, rec, "pri stop", pri_stop_keys, SPEC_N(pri_stop_keys));
	return check_keys(r, rec, "pri status", pri_status_keys, SPEC_N(pri_status_keys));
}

static const struct key_spec guest_write_keys[] = {
	{ "ipa", TRC_KEY_IPA, K_INT, 1, NULL },
	{ "u64", TRC_KEY_U64, K_INTS, 1, NULL },
	{ "count", TRC_KEY_COUNT, K_INT, 0, NULL },
};

static const struct key_spec guest_s1map_keys[] = {
	{ "ttb", TRC_KEY_TTB, K_INT, 1, NULL },
	{ "asid", TRC_KEY_ASID, K_INT, 1, NULL },
	{ "va", TRC_KEY_VA, K_INT, 1, NULL },
	{ "ipa", TRC_KEY_IPA, K_INT, 1, NULL },
	{ "len", TRC_KEY_LEN, K_INT, 1, NULL },
	{ "perm", TRC_KEY_PERM, K_CHOICE, 1, "r|rw|rwx" },
	{ "granule", TRC_KEY_GRANULE, K_ICHOICE, 0, "4K|16K|64K" },
	{ "va_bits", TRC_KEY_VA_BITS, K_INT, 0, NULL },
	{ "pool", TRC_KEY_POOL, K_INT, 0, NULL },
};

static const struct key_spec guest_s1unmap_keys[] = {
	{ "ttb", TRC_KEY_TTB, K_INT, 1, NULL },
	{ "va", TRC_KEY_VA, K_INT, 1, NULL },
	{ "len", TRC_KEY_LEN, K_INT, 1, NULL },
};

static int check_guest(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "guest", "a VM ($variable)", TRC_VAR, 0, 0);
	if (!rc)
		rc = word_choice(r, rec, 1, "guest", "write|s1map|s1unmap");
	if (!rc)
		rc = words_end(r, rec, 2, "guest");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[1], "write"))
		return check_keys(r, rec, "guest write", guest_write_keys, SPEC_N(guest_write_keys));
	if (trc_value_is(&rec->words[1], "s1map"))
		return check_keys(r, rec, "guest s1map", guest_s1map_keys, SPEC_N(guest_s1map_keys));
	return check_keys(r, rec, "guest s1unmap", guest_s1unmap_keys, SPEC_N(guest_s1unmap_keys));
}

static const struct key_spec vcpu_keys[] = {
	{ "cpu", TRC_KEY_CPU, K_INT, 1, NULL },
	{ "vcpu", TRC_KEY_VCPU, K_INT, 0, NULL },
};

static int check_vcpu(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "vcpu", "a VM ($variable)", TRC_VAR, 0, 0);
	if (!rc)
		rc = word_choice(r, rec, 1, "vcpu", "load|put");
	if (!rc)
		rc = words_end(r, rec, 2, "vcpu");
	return rc ? rc : check_keys(r, rec, "vcpu", vcpu_keys, SPEC_N(vcpu_keys));
}

static const struct key_spec cpu_keys[] = {
	{ "vmid", TRC_KEY_VMID, K_INT, 0, NULL },
	{ "vm", TRC_KEY_VM, K_INT, 0, NULL },
	{ "asid", TRC_KEY_ASID, K_INT, 0, NULL },
	{ "va", TRC_KEY_VA, K_INT, 0, NULL },
	{ "ipa", TRC_KEY_IPA, K_INT, 0, NULL },
};

static int check_cpu(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_choice(r, rec, 0, "cpu", "tlbi");
	if (!rc)
		rc = word_kind(r, rec, 1, "cpu tlbi", "a TLBI operation such as VAE1IS", TRC_NAME, 0, 0);
	if (!rc)
		rc = words_end(r, rec, 2, "cpu tlbi");
	return rc ? rc : check_keys(r, rec, "cpu tlbi", cpu_keys, SPEC_N(cpu_keys));
}

static const struct key_spec mmio_keys[] = {
	{ "val", TRC_KEY_VAL, K_INT, 0, NULL },
	{ "width", TRC_KEY_WIDTH, K_ICHOICE, 0, "32|64" },
};

static int check_mmio(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "mmio", "an SMMU name", TRC_NAME, 0, 0);
	if (!rc)
		rc = check_smmu_ref(r, "mmio", &rec->words[0]);
	if (!rc)
		rc = word_choice(r, rec, 1, "mmio", "read|write");
	if (!rc)
		rc = word_kind(r, rec, 2, "mmio", "a register offset", TRC_INT, TRC_VAR, 0);
	if (!rc)
		rc = words_end(r, rec, 3, "mmio");
	if (!rc)
		rc = check_keys(r, rec, "mmio", mmio_keys, SPEC_N(mmio_keys));
	if (!rc && trc_value_is(&rec->words[1], "write") && !find_arg(r, rec, TRC_KEY_VAL, "val"))
		rc = trc_fail(r, TRC_E_SCHEMA, rec->line, r->args_end_col, "mmio write: missing val=");
	return rc;
}

static const struct key_spec mem_rw_keys[] = {
	{ "u64", TRC_KEY_U64, K_INTS, 0, NULL },
	{ "count", TRC_KEY_COUNT, K_INT, 0, NULL },
};

static const struct key_spec mem_load_keys[] = {
	{ "pa", TRC_KEY_PA, K_INT, 1, NULL },
};

static int check_mem(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_choice(r, rec, 0, "mem", "read|write|load");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[0], "load")) {
		rc = word_kind(r, rec, 1, "mem load", "a file path", TRC_WORD, TRC_STRING, TRC_NAME);
		if (!rc)
			rc = words_end(r, rec, 2, "mem load");
		return rc ? rc : check_keys(r, rec, "mem load", mem_load_keys, SPEC_N(mem_load_keys));
	}
	rc = word_kind(r, rec, 1, "mem", "a physical address", TRC_INT, TRC_VAR, 0);
	if (!rc)
		rc = words_end(r, rec, 2, "mem");
	if (!rc)
		rc = check_keys(r, rec, "mem", mem_rw_keys, SPEC_N(mem_rw_keys));
	if (!rc && trc_value_is(&rec->words[0], "write") && !find_arg(r, rec, TRC_KEY_U64, "u64"))
		rc = trc_fail(r, TRC_E_SCHEMA, rec->line, r->args_end_col, "mem write: missing u64=");
	return rc;
}

static int check_wait(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_kind(r, rec, 0, "wait", "a duration such as 10us", TRC_DURATION, 0, 0);
	if (!rc)
		rc = words_end(r, rec, 1, "wait");
	return rc ? rc : check_keys(r, rec, "wait", NULL, 0);
}

static int check_expect(struct trc_reader *r, struct trc_record *rec)
{
	int rc;

	rc = word_choice(r, rec, 0, "expect", "isolation|violation|stat");
	if (rc)
		return rc;
	if (trc_value_is(&rec->words[0], "isolation")) {
		rc = words_end(r, rec, 1, "expect isolation");
		return rc ? rc : check_keys(r, rec, "expect isolation", NULL, 0);
	}
	if (trc_value_is(&rec->words[0], "violation")) {
		/* `expect violation KIND [...]`: what follows KIND is left open. */
		return word_choice(r, rec, 1, "expect violation",
				   "cross-domain|stale|alias|foreign-invalidation");
	}
	rc = word_kind(r, rec, 1, "expect stat", "a statistic name", TRC_NAME, 0, 0);
	if (!rc)
		rc = word_choice(r, rec, 2, "expect stat", "==|<=|>=");
	if (!rc)
		rc = word_kind(r, rec, 3, "expect stat", "a value", TRC_INT, TRC_DURATION, TRC_VAR);
	if (!rc)
		rc = words_end(r, rec, 4, "expect stat");
	return rc ? rc : check_keys(r, rec, "expect stat", NULL, 0);
}

/* ------------------------------------------------------------ variables */

static int check_uses(struct trc_reader *r, const struct trc_value *v)
{
	size_t i;
	int rc;

	if (v->kind == TRC_VAR) {
		if (trc_names_find(&r->vars, v->s, v->len))
			return 0;
		return trc_fail(r, TRC_E_VAR, v->line, v->col,
				"variable $%s is used before it is bound (bind it with a result, such as -> fd=$%s)",
				v->s, v->s);
	}
	if (v->kind == TRC_LIST) {
		for (i = 0; i < v->nitems; i++) {
			rc = check_uses(r, &v->items[i]);
			if (rc)
				return rc;
		}
	}
	return 0;
}

#define MAY_USE(v) ((v)->kind == TRC_VAR || (v)->kind == TRC_LIST)

static int check_vars(struct trc_reader *r, const struct trc_record *rec)
{
	size_t i;
	int rc;

	/* The lexer noted whether any value is a variable or a list: most records hold none. */
	if (!r->rec_uses)
		return 0;

	/* Only variables and lists can hold a use: test the kind before calling. */
	for (i = 0; i < rec->nwords; i++) {
		if (!MAY_USE(&rec->words[i]))
			continue;
		rc = check_uses(r, &rec->words[i]);
		if (rc)
			return rc;
	}
	for (i = 0; i < rec->nargs; i++) {
		if (!MAY_USE(&rec->args[i].value))
			continue;
		rc = check_uses(r, &rec->args[i].value);
		if (rc)
			return rc;
	}
	/* Results bind after the arguments are used: `ioctl $f X -> fd=$f` is a use error. */
	for (i = 0; i < rec->nresults; i++) {
		const struct trc_value *v = &rec->results[i].value;
		const struct trc_name_ent *e;
		int iova_bind;

		if (v->kind != TRC_VAR) {
			rc = check_uses(r, v);
			if (rc)
				return rc;
			continue;
		}
		/* The IOVA of a `dmaapi DEV map`: the one binding its unmap
		 * may release (below). */
		iova_bind = rec->verb == TRC_VERB_DMAAPI && rec->nwords >= 2 &&
			    trc_value_is(&rec->words[1], "map") && strcmp(rec->results[i].key, "iova") == 0;
		e = trc_names_find(&r->vars, v->s, v->len);
		if (e && e->line) {
			return trc_fail(r, TRC_E_VAR, v->line, v->col,
					"variable $%s is already bound on line %u (a variable is bound once)",
					v->s, e->line);
		}
		if (e && !iova_bind) {
			return trc_fail(r, TRC_E_VAR, v->line, v->col,
					"variable $%s is already bound (a variable is bound once; one that "
					"`dmaapi ... unmap` released is bound again only by `dmaapi ... map -> iova=$%s`)",
					v->s, v->s);
		}
		if (trc_names_add(&r->vars, &r->names, v->s, v->len, rec->line))
			return trc_fail(r, TRC_E_NOMEM, v->line, v->col, "out of memory");
		/* (the table's own entry: found again after the add) */
		((struct trc_name_ent *)trc_names_find(&r->vars, v->s, v->len))->iova = (uint8_t)iova_bind;
	}
	/*
	 * `dmaapi DEV unmap iova=$v` ends the mapping $v names, and with it the
	 * name's single binding: a later map may bind $v again (FORMAT.md
	 * section 5). A driver's ring then needs as many names as buffers in
	 * flight, and a stream of any length keeps this table (and the
	 * simulator's variables) that small. $v keeps its value until then.
	 */
	if (rec->verb == TRC_VERB_DMAAPI && rec->nwords >= 2 && trc_value_is(&rec->words[1], "unmap")) {
		const struct trc_value *iova = trc_record_arg(rec, "iova");

		if (iova && iova->kind == TRC_VAR)
			trc_names_release(&r->vars, iova->s, iova->len);
	}
	return 0;
}

/* --------------------------------------------------------------- entry */

int trc_check_record(struct trc_reader *r, struct trc_record *rec)
{
	enum trc_section section = verb_section(rec->verb);
	char b1[48], b2[48];
	int rc;

	rec->section = section;
	if (r->nrecords == 0 && rec->verb != TRC_VERB_SMMUTRACE) {
		return trc_fail(r, TRC_E_VERSION, rec->line, rec->col,
				"expected the header `smmutrace 1` as the first record, found '%s'",
				rec->verb_name);
	}
	if (rec->verb == TRC_VERB_SMMUTRACE && r->nrecords != 0) {
		return trc_fail(r, TRC_E_SCHEMA, rec->line, rec->col,
				"smmutrace may only be the first record");
	}
	if (section == TRC_SECTION_HEADER) {
		if (r->in_events) {
			return trc_fail(r, TRC_E_SCHEMA, rec->line, rec->col,
					"header record '%s' after the first event: smmutrace, config, smmu, device and memory come before any other record",
					rec->verb_name);
		}
		if (rec->stamp) {
			return trc_fail(r, TRC_E_SCHEMA, rec->stamp->line, rec->stamp->col,
					"header record '%s' takes no time stamp", rec->verb_name);
		}
		if (rec->nresults) {
			return trc_fail(r, TRC_E_SCHEMA, rec->results[0].line, rec->results[0].col,
					"header record '%s' has no results", rec->verb_name);
		}
	}
	if (rec->stamp) {
		if (r->have_stamp && rec->stamp->u < r->last_stamp_ps) {
			return trc_fail(r, TRC_E_ORDER, rec->stamp->line, rec->stamp->col,
					"time stamp @%s is earlier than @%s on line %u: stamps must not decrease",
					describe(rec->stamp, b1, sizeof(b1)),
					describe(&r->last_stamp, b2, sizeof(b2)), r->last_stamp_line);
		}
	}
	/* Distinct numbered keys are distinct keys: nothing to compare then. */
	rc = r->argkey_all && !r->argkey_dup ? 0
		: check_duplicates(r, rec->args, rec->nargs, "key");
	if (!rc && rec->nresults > 1)
		rc = check_duplicates(r, rec->results, rec->nresults, "result");
	if (rc)
		return rc;

	switch (rec->verb) {
	case TRC_VERB_SMMUTRACE:
		rc = check_smmutrace(r, rec);
		break;
	case TRC_VERB_CONFIG:
		rc = check_config(r, rec);
		break;
	case TRC_VERB_SMMU:
		rc = check_smmu(r, rec);
		break;
	case TRC_VERB_DEVICE:
		rc = check_device(r, rec);
		break;
	case TRC_VERB_MEMORY:
		rc = check_memory(r, rec);
		break;
	case TRC_VERB_OPEN:
	case TRC_VERB_CLOSE:
	case TRC_VERB_MMAP:
	case TRC_VERB_IOCTL:
	case TRC_VERB_READ:
	case TRC_VERB_WRITE:
	case TRC_VERB_EVENTFD:
	case TRC_VERB_MEMFD:
		rc = check_process(r, rec);
		break;
	case TRC_VERB_DMAAPI:
		rc = check_dmaapi(r, rec);
		break;
	case TRC_VERB_DMA:
		rc = check_dma(r, rec);
		break;
	case TRC_VERB_ATS:
		rc = check_ats(r, rec);
		break;
	case TRC_VERB_PRI:
		rc = check_pri(r, rec);
		break;
	case TRC_VERB_GUEST:
		rc = check_guest(r, rec);
		break;
	case TRC_VERB_VCPU:
		rc = check_vcpu(r, rec);
		break;
	case TRC_VERB_CPU:
		rc = check_cpu(r, rec);
		break;
	case TRC_VERB_MMIO:
		rc = check_mmio(r, rec);
		break;
	case TRC_VERB_MEM:
		rc = check_mem(r, rec);
		break;
	case TRC_VERB_WAIT:
		rc = check_wait(r, rec);
		break;
	case TRC_VERB_EXPECT:
		rc = check_expect(r, rec);
		break;
	default:
		rc = trc_fail(r, TRC_E_SCHEMA, rec->line, rec->col, "unknown verb");
		break;
	}
	if (!rc)
		rc = check_vars(r, rec);
	if (rc)
		return rc;

	if (section != TRC_SECTION_HEADER)
		r->in_events = 1;
	if (rec->stamp) {
		r->have_stamp = 1;
		r->last_stamp_ps = rec->stamp->u;
		r->last_stamp = *rec->stamp;
		r->last_stamp_line = rec->line;
	}
	return 0;
}
