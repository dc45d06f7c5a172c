/* options.c - the settings, read once at start-up: the file MEMSTATS_CONFIG
 * names, then the MEMSTATS_* environment over it, one table row per setting
 * (its name, how its value is read, where it goes). A bad value is never
 * fatal: one line names the variable (or the file and line) and the value,
 * and what was there stays. An empty variable is an unset one.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

struct config config;

struct keyword {
	const char *name;
	int value;
};

struct option;
/* Reads val into cfg; 0, or -1 with *expected set to what a good value is. */
typedef int (*parse_fn)(const struct option *o, const char *val, struct config *cfg, const char **expected);

struct option {
	const char *name;                 /* after MEMSTATS_ */
	parse_fn parse;
	size_t offset, size;              /* the field of struct config it sets */
	const struct keyword *keywords;   /* parse_keyword's */
	unsigned long long min, max;      /* parse_number's */
	const char *expected;             /* what a good value is, for the warning */
};

static void *field(const struct option *o, struct config *cfg)
{
	return (char *)cfg + o->offset;
}

/* ---- the kinds of values -------------------------------------------------- */

static int parse_keyword(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	(void)expected;
	for (const struct keyword *k = o->keywords; k->name; k++) {
		if (strcmp(val, k->name) == 0) {
			*(int *)field(o, cfg) = k->value;
			return 0;
		}
	}
	return -1;
}

/* Decimal digits only, within [min, max], into a field of o->size bytes. */
static int parse_number(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	unsigned long long n;
	char *end;

	(void)expected;
	errno = 0;
	n = strtoull(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || n < o->min || n > o->max)
		return -1;
	if (o->size == sizeof(memstats_u64))
		*(memstats_u64 *)field(o, cfg) = n;
	else if (o->size == sizeof(size_t))
		*(size_t *)field(o, cfg) = (size_t)n;
	else
		*(unsigned int *)field(o, cfg) = (unsigned int)n;
	return 0;
}

/* A list of names (MEMSTATS_WRAPPERS): kept as given, split by wrappers.c. */
static int parse_list(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	(void)expected;
	if (strlen(val) >= o->size)
		return -1;
	strcpy(field(o, cfg), val);
	return 0;
}

/* The same, one more line of the file: added to the list. */
static int append_list(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	char *list = field(o, cfg);
	size_t len = strlen(list);

	if (!len)
		return parse_list(o, val, cfg, expected);
	if (len + 1 + strlen(val) >= o->size)
		return -1;
	list[len] = ',';
	strcpy(list + len + 1, val);
	return 0;
}

static int parse_match(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	(void)o;
	(void)expected;
	if (strlen(val) >= sizeof(cfg->match))
		return -1;
	strcpy(cfg->match, val);
	cfg->report.match = cfg->match;
	return 0;
}

/* The signals a report may be asked with: those a handler can catch and
 * return from. KILL and STOP cannot be caught; after a fault (SEGV, BUS,
 * FPE, ILL, TRAP, SYS) or ABRT a returning handler would not let the
 * program go on. */
static const struct keyword signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },   { "USR1", SIGUSR1 },   { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },   { "CHLD", SIGCHLD },   { "CONT", SIGCONT },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },   { "URG", SIGURG },     { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },       { "PWR", SIGPWR },
	{ "VTALRM", SIGVTALRM }, { NULL, 0 },
};

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n": a real-time signal, or 0. */
static int parse_rt(const char *name)
{
	int min = strncasecmp(name, "RTMIN", 5) == 0;
	long n = 0;
	char *end;

	if (!min && strncasecmp(name, "RTMAX", 5) != 0)
		return 0;
	if (name[5]) {
		if (name[5] != (min ? '+' : '-') || name[6] < '0' || name[6] > '9')
			return 0;
		errno = 0;
		n = strtol(name + 6, &end, 10);
		if (*end || errno || n > SIGRTMAX - SIGRTMIN)
			return 0;
	}
	return min ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
}

/* USR2, SIGUSR2, usr2, RTMIN+1 or a number; 0 if none that may be used. */
static int signal_of(const char *val)
{
	const char *name = strncasecmp(val, "SIG", 3) == 0 ? val + 3 : val;
	long n;
	char *end;

	if (name == val && val[0] >= '0' && val[0] <= '9') {
		errno = 0;
		n = strtol(val, &end, 10);
		if (*end || errno)
			return 0;
		if (n >= SIGRTMIN && n <= SIGRTMAX)
			return (int)n;
		for (const struct keyword *k = signals; k->name; k++) {
			if (k->value == n)
				return (int)n;
		}
		return 0;
	}
	for (const struct keyword *k = signals; k->name; k++) {
		if (strcasecmp(name, k->name) == 0)
			return k->value;
	}
	return parse_rt(name);
}

static int parse_signal(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	int sig = signal_of(val);

	(void)expected;
	if (!sig)
		return -1;
	*(int *)field(o, cfg) = sig;
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
static int parse_path(struct config *cfg, const char *val, const char **expected)
{
	char cwd[PATH_MAX];
	int n;

	if (val[0] == '/') {
		n = snprintf(cfg->path, sizeof(cfg->path), "%s", val);
	} else if (getcwd(cwd, sizeof(cwd)) && escape_percent(cwd, sizeof(cwd)) == 0) {
		n = snprintf(cfg->path, sizeof(cfg->path), "%s/%s", cwd, val);
	} else {
		*expected = "an absolute path (the current directory is unknown)";
		return -1;
	}
	if ((size_t)n >= sizeof(cfg->path)) {
		cfg->path[0] = '\0';
		*expected = "a path shorter than PATH_MAX";
		return -1;
	}
	cfg->output = OUTPUT_PATH;
	return 0;
}

static const struct keyword outputs[] = {
	{ "stderr", OUTPUT_STDERR }, { "stdout", OUTPUT_STDOUT }, { "off", OUTPUT_OFF }, { NULL, 0 },
};

static int parse_output(const struct option *o, const char *val, struct config *cfg, const char **expected)
{
	return parse_keyword(o, val, cfg, expected) == 0 ? 0 : parse_path(cfg, val, expected);
}

/* ---- the table ------------------------------------------------------------ */

static const struct keyword formats[] = {
	{ "text", MEMSTATS_FORMAT_TEXT }, { "json", MEMSTATS_FORMAT_JSON }, { "csv", MEMSTATS_FORMAT_CSV },
	{ "openmetrics", MEMSTATS_FORMAT_OPENMETRICS }, { NULL, 0 },
};

static const struct keyword sorts[] = {
	{ "bytes", MEMSTATS_SORT_BYTES }, { "calls", MEMSTATS_SORT_CALLS }, { "site", MEMSTATS_SORT_SITE }, { NULL, 0 },
};

static const struct keyword booleans[] = {
	{ "0", 0 }, { "1", 1 }, { "no", 0 }, { "yes", 1 }, { "false", 0 }, { "true", 1 }, { "off", 0 }, { "on", 1 }, { NULL, 0 },
};

static const struct keyword tracks[] = {
	{ "0", 0 }, { "1", 1 }, { "no", 0 }, { "yes", 1 }, { "false", 0 }, { "true", 1 }, { "off", 0 }, { "on", 1 },
	{ "exact", 1 }, { "sample", 2 }, { NULL, 0 },
};

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

static const struct option options[] = {
	{ "OUTPUT", parse_output, FIELD(output), outputs, 0, 0, "stderr, stdout, off or a path" },
	{ "FORMAT", parse_keyword, FIELD(report.format), formats, 0, 0, "text, json, csv or openmetrics" },
	{ "SORT", parse_keyword, FIELD(report.sort), sorts, 0, 0, "bytes, calls or site" },
	{ "TOP", parse_number, FIELD(report.top), NULL, 0, SIZE_MAX, "a number of rows (0: all)" },
	{ "MATCH", parse_match, FIELD(match), NULL, 0, 0, "at most 255 bytes" },
	{ "ALL", parse_keyword, FIELD(report.all), booleans, 0, 0, "0 or 1" },
	{ "TRACK", parse_keyword, FIELD(track), tracks, 0, 0, "0, 1 (exact) or sample" },
	{ "SAMPLE", parse_number, FIELD(sample), NULL, 1, (unsigned long long)1 << 40,
	  "a number of bytes, 1 to 2^40 (the mean gap between samples)" },
	{ "INTERVAL", parse_number, FIELD(interval), NULL, 1, INT_MAX, "a number of seconds, 1 to 2147483647" },
	{ "SIGNAL", parse_signal, FIELD(signal), NULL, 0, 0,
	  "a signal to catch: USR2, SIGHUP, RTMIN+1, 12... (not KILL, STOP, ABRT or a fault)" },
	{ "WRAPPERS", parse_list, FIELD(wrappers), NULL, 0, 0, "function names, comma-separated, at most 4095 bytes" },
	{ "FAIL", parse_list, FIELD(fail), NULL, 0, 0, "a fault injection spec of at most 1023 bytes" },
};

/* ---- reading them ---------------------------------------------------------- */

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

/* One setting from its variable: 0, or 1 if its value was bad (warned). */
static int read_option(const struct option *o, getenv_fn get, struct config *cfg, int fd)
{
	char var[64], shown[120];
	const char *val, *expected = o->expected;

	snprintf(var, sizeof(var), "MEMSTATS_%s", o->name);
	val = get(var);
	if (!val || !*val || o->parse(o, val, cfg, &expected) == 0)
		return 0;
	printable(shown, sizeof(shown), val);
	warnf_fd(fd, "memstats: ignoring %s=\"%s\": expected %s\n", var, shown, expected);
	return 1;
}

/* ---- the file (MEMSTATS_CONFIG) ------------------------------------------ */

static const struct option *option_named(const char *name)
{
	for (size_t i = 0; i < NELEM(options); i++)
		if (strcasecmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One line of the file: "name = value", a comment or blank; 0, or 1 if it
 * was bad (warned, skipped). */
static int file_line(const char *path, unsigned int no, char *line, struct config *cfg, int fd)
{
	char *eq, *name, *val, shown[120];
	const char *expected;
	const struct option *o;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	if (!(eq = strchr(line, '='))) {
		printable(shown, sizeof(shown), line);
		warnf_fd(fd, "memstats: %s:%u: ignoring \"%s\": expected name = value\n", path, no, shown);
		return 1;
	}
	*eq = '\0';
	name = trim(line);
	val = trim(eq + 1);
	if (!(o = option_named(name)) || strcasecmp(name, "config") == 0) {
		printable(shown, sizeof(shown), name);
		warnf_fd(fd, "memstats: %s:%u: ignoring unknown setting \"%s\"\n", path, no, shown);
		return 1;
	}
	expected = o->expected;
	if (*val && (o->parse == parse_list ? append_list(o, val, cfg, &expected) : o->parse(o, val, cfg, &expected)) == 0)
		return 0;
	if (!*val)
		expected = "a value after '='";
	printable(shown, sizeof(shown), val);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	warnf_fd(fd, "memstats: %s:%u: ignoring %s = \"%s\": expected %s\n", path, no, name, shown, expected);
	return 1;
}

/* Every line of the file at path, read without stdio (nothing of the
 * runtime's start-up allocates through the program's malloc). The number
 * of bad lines; an unreadable file is one. */
static int read_file(const char *path, struct config *cfg, int fd)
{
	static char line[8192];
	char buf[4096];
	size_t len = 0;
	unsigned int no = 1;
	int in = open(path, O_RDONLY | O_CLOEXEC), nbad = 0, too_long = 0;
	ssize_t n;

	if (in < 0) {
		warnf_fd(fd, "memstats: cannot read MEMSTATS_CONFIG %s: %s; using the environment and defaults\n", path,
			 strerror(errno));
		return 1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnf_fd(fd, "memstats: cannot read MEMSTATS_CONFIG %s: %s\n", path, strerror(errno));
			nbad++;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len + 1 < sizeof(line))
					line[len++] = buf[i];
				else
					too_long = 1;
				continue;
			}
			line[len] = '\0';
			if (too_long) {
				warnf_fd(fd, "memstats: %s:%u: ignoring a line longer than %zu bytes\n", path, no,
					 sizeof(line) - 1);
				nbad++;
			} else {
				nbad += file_line(path, no, line, cfg, fd);
			}
			no++;
			len = 0;
			too_long = 0;
		}
	}
	if (len && !too_long) { /* the last line without its newline */
		line[len] = '\0';
		nbad += file_line(path, no, line, cfg, fd);
	}
	close(in);
	return nbad;
}

int config_parse(struct config *cfg, getenv_fn get, int fd)
{
	const char *file = get("MEMSTATS_CONFIG");
	int nbad = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->output = OUTPUT_STDERR;
	if (file && *file)
		nbad += read_file(file, cfg, fd);
	for (size_t i = 0; i < NELEM(options); i++)
		nbad += read_option(&options[i], get, cfg, fd);
	return nbad;
}
