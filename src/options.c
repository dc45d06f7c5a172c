/* options.c - the MEMSTATS_* environment, read once at start-up.
 *
 * A bad value is never fatal: one line on stderr names the variable and the
 * value, and the default stays.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memstats-int.h"

struct keyword {
	const char *name;
	int value;
};

static const struct keyword formats[] = {
	{ "text", MEMSTATS_FORMAT_TEXT }, { "json", MEMSTATS_FORMAT_JSON }, { "csv", MEMSTATS_FORMAT_CSV }, { NULL, 0 },
};

static const struct keyword sorts[] = {
	{ "bytes", MEMSTATS_SORT_BYTES }, { "calls", MEMSTATS_SORT_CALLS }, { "site", MEMSTATS_SORT_SITE }, { NULL, 0 },
};

static const struct keyword booleans[] = {
	{ "0", 0 }, { "1", 1 }, { "no", 0 }, { "yes", 1 }, { "false", 0 }, { "true", 1 }, { "off", 0 }, { "on", 1 }, { NULL, 0 },
};

/* The value as the warning shows it: one line, so control bytes escaped,
 * and short enough to leave room for the rest of the line. */
static void printable(char *out, size_t size, const char *val)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *val && n + 8 < size; val++) {
		unsigned char c = (unsigned char)*val;

		if (c < 0x20 || c == 0x7f) {
			memcpy(out + n, (char[]){ '\\', 'x', hex[c >> 4], hex[c & 15] }, 4);
			n += 4;
		} else {
			out[n++] = (char)c;
		}
	}
	if (*val) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int bad(int fd, const char *var, const char *val, const char *expected)
{
	char shown[120];

	printable(shown, sizeof(shown), val);
	warnf_fd(fd, "memstats: ignoring %s=\"%s\": expected %s\n", var, shown, expected);
	return 1;
}

static int parse_keyword(const char *var, const char *val, const struct keyword *kw, int *out, const char *expected, int fd)
{
	for (; kw->name; kw++) {
		if (strcmp(val, kw->name) == 0) {
			*out = kw->value;
			return 0;
		}
	}
	return bad(fd, var, val, expected);
}

static int parse_top(const char *val, size_t *out, int fd)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || n > SIZE_MAX)
		return bad(fd, "MEMSTATS_TOP", val, "a number of rows (0: all)");
	*out = (size_t)n;
	return 0;
}

/* The directory is part of the template: its own % must stay a %. */
static int escape_percent(char *s, size_t size)
{
	size_t len = strlen(s), extra = 0;

	for (size_t i = 0; i < len; i++)
		extra += s[i] == '%';
	if (len + extra >= size)
		return -1;
	for (size_t i = len + 1; i-- > 0;) {
		s[i + extra] = s[i];
		if (s[i] == '%')
			s[i + --extra] = '%';
	}
	return 0;
}

/* A relative path is taken from the directory the program started in: a
 * daemon's chdir("/") must not send its report elsewhere. */
static int parse_path(struct config *cfg, const char *val, int fd)
{
	char cwd[PATH_MAX];
	int n;

	if (val[0] == '/')
		n = snprintf(cfg->path, sizeof(cfg->path), "%s", val);
	else if (getcwd(cwd, sizeof(cwd)) && escape_percent(cwd, sizeof(cwd)) == 0)
		n = snprintf(cfg->path, sizeof(cfg->path), "%s/%s", cwd, val);
	else
		return bad(fd, "MEMSTATS_OUTPUT", val, "an absolute path (the current directory is unknown)");
	if ((size_t)n >= sizeof(cfg->path)) {
		cfg->path[0] = '\0';
		return bad(fd, "MEMSTATS_OUTPUT", val, "a path shorter than PATH_MAX");
	}
	cfg->output = OUTPUT_PATH;
	return 0;
}

static int parse_output(struct config *cfg, const char *val, int fd)
{
	if (!*val)
		return bad(fd, "MEMSTATS_OUTPUT", val, "stderr, stdout, off or a path");
	if (strcmp(val, "stderr") == 0)
		cfg->output = OUTPUT_STDERR;
	else if (strcmp(val, "stdout") == 0)
		cfg->output = OUTPUT_STDOUT;
	else if (strcmp(val, "off") == 0)
		cfg->output = OUTPUT_OFF;
	else
		return parse_path(cfg, val, fd);
	return 0;
}

static int parse_match(struct config *cfg, const char *val, int fd)
{
	if (strlen(val) >= sizeof(cfg->match))
		return bad(fd, "MEMSTATS_MATCH", val, "at most 255 bytes");
	strcpy(cfg->match, val);
	cfg->report.match = cfg->match[0] ? cfg->match : NULL;
	return 0;
}

int config_parse(struct config *cfg, getenv_fn get, int fd)
{
	const char *v;
	int nbad = 0, n = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->output = OUTPUT_STDERR;

	if ((v = get("MEMSTATS_OUTPUT")))
		nbad += parse_output(cfg, v, fd);
	if ((v = get("MEMSTATS_FORMAT"))) {
		if (parse_keyword("MEMSTATS_FORMAT", v, formats, &n, "text, json or csv", fd))
			nbad++;
		else
			cfg->report.format = (enum memstats_format)n;
	}
	if ((v = get("MEMSTATS_SORT"))) {
		if (parse_keyword("MEMSTATS_SORT", v, sorts, &n, "bytes, calls or site", fd))
			nbad++;
		else
			cfg->report.sort = (enum memstats_sort)n;
	}
	if ((v = get("MEMSTATS_TOP")))
		nbad += parse_top(v, &cfg->report.top, fd);
	if ((v = get("MEMSTATS_MATCH")))
		nbad += parse_match(cfg, v, fd);
	if ((v = get("MEMSTATS_ALL"))) {
		if (parse_keyword("MEMSTATS_ALL", v, booleans, &n, "0 or 1", fd))
			nbad++;
		else
			cfg->report.all = n;
	}
	if ((v = get("MEMSTATS_TRACK"))) {
		if (parse_keyword("MEMSTATS_TRACK", v, booleans, &n, "0 or 1", fd))
			nbad++;
		else
			cfg->track = n;
	}
	return nbad;
}
