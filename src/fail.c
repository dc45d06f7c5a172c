/* fail.c - fault injection: MEMSTATS_FAIL (or the configuration file's
 * "fail"), and memstats_fail_set() from code. A spec is comma-separated
 * terms that must all hold for an allocation call to fail:
 *   site=FILE:LINE or site=FUNC, api=NAME, bytes=N (requests of at least N)
 *   select the calls that match; among those, counted from the start of the
 *   process (or of the spec):
 *   nth=N (the Nth), every=N (each Nth), after=N (all after the first N),
 *   prob=P with seed=S (each with probability P, reproducibly).
 * A failed call returns what the real failure returns (NULL and errno
 * ENOMEM; posix_memalign ENOMEM) and counts in failed and injected.
 *
 * With a spec armed every thread's calls go out of line (their inline
 * limits are 0), so every call is seen here; with none, nothing of this
 * file is on any path but one relaxed load in the entry points. A spec is
 * immutable once published; a new one replaces it whole. Each injected
 * call is also written, one line, to MEMSTATS_FAIL_LOG (for memstats
 * torture: which site's failure a crashed run died of).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct fail_spec {
	char site_file[256], site_func[256], api[64];
	unsigned int site_line;
	int has_site, has_api;
	memstats_u64 bytes, nth, every, after, seed;
	double prob;
	int has_prob;
	memstats_u64 seen;                /* calls matching the selecting terms (atomic) */
};

int fail_armed;
static struct fail_spec *spec;          /* published with release; never freed */
static int log_fd = -1;

/* ---- the spec ---------------------------------------------------------------- */

static int number(const char *v, memstats_u64 *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return *end || errno ? -1 : 0;
}

static int copy(char *to, size_t size, const char *v)
{
	if (!*v || strlen(v) >= size)
		return -1;
	strcpy(to, v);
	return 0;
}

/* One term into sp; what is wrong with it, or NULL. */
static const char *term(struct fail_spec *sp, char *t)
{
	char *eq = strchr(t, '='), *v, *colon;
	memstats_u64 n;

	if (!eq)
		return "a term without '='";
	*eq = '\0';
	v = eq + 1;
	if (strcmp(t, "site") == 0) {
		sp->has_site = 1;
		colon = strrchr(v, ':');
		if (colon && number(colon + 1, &n) == 0 && n && n < 1u << 31) {
			*colon = '\0';
			sp->site_line = (unsigned int)n;
			return copy(sp->site_file, sizeof(sp->site_file), v) ? "a bad site" : NULL;
		}
		return copy(sp->site_func, sizeof(sp->site_func), v) ? "a bad site" : NULL;
	}
	if (strcmp(t, "api") == 0)
		return sp->has_api = 1, copy(sp->api, sizeof(sp->api), v) ? "a bad api" : NULL;
	if (strcmp(t, "prob") == 0) {
		char *end;

		sp->prob = strtod(v, &end);
		sp->has_prob = 1;
		return *v && !*end && sp->prob >= 0 && sp->prob <= 1 ? NULL : "prob is not a probability from 0 to 1";
	}
	if (number(v, &n) < 0)
		return "a value that is not a number";
	if (strcmp(t, "nth") == 0)
		return (sp->nth = n) ? NULL : "nth counts from 1";
	if (strcmp(t, "every") == 0)
		return (sp->every = n) ? NULL : "every must be at least 1";
	if (strcmp(t, "after") == 0)
		return sp->after = n, NULL;
	if (strcmp(t, "seed") == 0)
		return sp->seed = n, NULL;
	if (strcmp(t, "bytes") == 0)
		return sp->bytes = n, NULL;
	return "an unknown term (site, api, nth, every, after, prob, seed, bytes)";
}

/* A spec from text, or NULL with *why set. */
static struct fail_spec *parse(const char *text, const char **why)
{
	struct fail_spec *sp = calloc(1, sizeof(*sp));
	char buf[1024], *save = NULL;

	*why = "out of memory";
	if (!sp)
		return NULL;
	*why = "too long";
	if (strlen(text) >= sizeof(buf))
		goto bad;
	strcpy(buf, text);
	*why = "no term";
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if ((*why = term(sp, t)))
			goto bad;
	}
	if (!*buf)
		goto bad;
	return sp;
bad:
	free(sp);
	return NULL;
}

static int arm(const char *text, const char *var)
{
	struct fail_spec *sp = NULL;
	const char *why = NULL;
	char shown[200];

	if (text && *text && !(sp = parse(text, &why))) {
		snprintf(shown, sizeof(shown), "%.160s", text);
		warnf_fd(2, "memstats: ignoring %s=\"%s\": %s; nothing will be failed\n", var, shown, why);
	}
	__atomic_store_n(&spec, sp, __ATOMIC_RELEASE);
	if (sp && !__atomic_exchange_n(&fail_armed, 1, __ATOMIC_ACQ_REL))
		counters_route_all_out();
	return text && *text && !sp ? -1 : 0;
}

void fail_init(const char *text, const char *log_path)
{
	if (log_path && *log_path)
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (text && *text)
		arm(text, "MEMSTATS_FAIL");
}

int fail_set(const char *text)
{
	return arm(text, "memstats_fail_set");
}

/* ---- the decision ------------------------------------------------------------ */

static int file_is(const char *file, const char *want)
{
	size_t n, w;

	if (!file)
		return 0;
	n = strlen(file);
	w = strlen(want);
	return strcmp(file, want) == 0 || (n > w && file[n - w - 1] == '/' && strcmp(file + n - w, want) == 0);
}

/* A reproducible draw in [0, 1) for the k-th matching call. */
static double draw(memstats_u64 seed, memstats_u64 k)
{
	memstats_u64 x = seed * 0x9e3779b97f4a7c15ull + k;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (double)(x >> 11) / 9007199254740992.0;
}

static void log_injected(const char *file, unsigned int line, const char *func, const char *api, memstats_u64 k)
{
	char buf[640];
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "injected %llu %s:%u %s %s\n", (unsigned long long)k, file ? file : "?", line,
		     func ? func : "?", api ? api : "?");
	if (n > 0)
		(void)!write(log_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

int fail_decide(const char *file, unsigned int line, const char *func, const char *api, memstats_u64 size)
{
	struct fail_spec *sp = __atomic_load_n(&spec, __ATOMIC_ACQUIRE);
	memstats_u64 k;
	int fail;

	if (!sp || (sp->has_api && (!api || strcmp(api, sp->api) != 0)) || size < sp->bytes)
		return 0;
	if (sp->has_site && (sp->site_line ? !(line == sp->site_line && file_is(file, sp->site_file))
					   : !(func && strcmp(func, sp->site_func) == 0)))
		return 0;
	k = __atomic_add_fetch(&sp->seen, 1, __ATOMIC_RELAXED);
	fail = (!sp->nth || k == sp->nth) && (!sp->every || k % sp->every == 0) && k > sp->after &&
	       (!sp->has_prob || draw(sp->seed, k) < sp->prob);
	if (fail)
		log_injected(file, line, func, api, k);
	return fail;
}

int fail_site(const struct memstats_site *s, memstats_u64 size)
{
	return fail_decide(s->file, s->line, s->func, s->api, size);
}
