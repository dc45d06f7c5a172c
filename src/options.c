/* options.c - the MEMSTATS_* environment, read once at start-up.
 *
 * A bad value is never fatal: one line on stderr names the variable and the
 * value, and the default stays.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

static int parse_interval(const char *val, unsigned int *out, int fd)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(val, &end, 10);
	if (val[0] < '0' || val[0] > '9' || *end || errno || n == 0 || n > INT_MAX)
		return bad(fd, "MEMSTATS_INTERVAL", val, "a number of seconds, 1 to 2147483647");
	*out = (unsigned int)n;
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

static int parse_signal(const char *val, int *out, int fd)
{
	int sig = signal_of(val);

	if (!sig)
		return bad(fd, "MEMSTATS_SIGNAL", val,
			   "a signal to catch: USR2, SIGHUP, RTMIN+1, 12... (not KILL, STOP, ABRT or a fault)");
	*out = sig;
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

/* An empty variable is an unset one: scripts leave "MEMSTATS_TRACK=" behind. */
static const char *setting(getenv_fn get, const char *name)
{
	const char *v = get(name);

	return v && *v ? v : NULL;
}

int config_parse(struct config *cfg, getenv_fn get, int fd)
{
	const char *v;
	int nbad = 0, n = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->output = OUTPUT_STDERR;

	if ((v = setting(get, "MEMSTATS_OUTPUT")))
		nbad += parse_output(cfg, v, fd);
	if ((v = setting(get, "MEMSTATS_FORMAT"))) {
		if (parse_keyword("MEMSTATS_FORMAT", v, formats, &n, "text, json or csv", fd))
			nbad++;
		else
			cfg->report.format = (enum memstats_format)n;
	}
	if ((v = setting(get, "MEMSTATS_SORT"))) {
		if (parse_keyword("MEMSTATS_SORT", v, sorts, &n, "bytes, calls or site", fd))
			nbad++;
		else
			cfg->report.sort = (enum memstats_sort)n;
	}
	if ((v = setting(get, "MEMSTATS_TOP")))
		nbad += parse_top(v, &cfg->report.top, fd);
	if ((v = setting(get, "MEMSTATS_MATCH")))
		nbad += parse_match(cfg, v, fd);
	if ((v = setting(get, "MEMSTATS_ALL"))) {
		if (parse_keyword("MEMSTATS_ALL", v, booleans, &n, "0 or 1", fd))
			nbad++;
		else
			cfg->report.all = n;
	}
	if ((v = setting(get, "MEMSTATS_TRACK"))) {
		if (parse_keyword("MEMSTATS_TRACK", v, booleans, &n, "0 or 1", fd))
			nbad++;
		else
			cfg->track = n;
	}
	if ((v = setting(get, "MEMSTATS_INTERVAL")))
		nbad += parse_interval(v, &cfg->interval, fd);
	if ((v = setting(get, "MEMSTATS_SIGNAL")))
		nbad += parse_signal(v, &cfg->signal, fd);
	return nbad;
}
