/* out.c - where a command's output goes, and aligned text tables.
 *
 * A file is written under a temporary name in its directory and renamed
 * over the path only when whole and flushed: an error half-way (a full
 * disk) leaves no half-written file, and a reader never sees one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

char *fmt(const char *format, ...)
{
	va_list ap;
	char *s;

	va_start(ap, format);
	if (vasprintf(&s, format, ap) < 0) {
		fputs("memstats: out of memory\n", stderr);
		exit(2);
	}
	va_end(ap);
	return s;
}

int out_open(struct out *o, const char *path)
{
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	memset(o, 0, sizeof(*o));
	if (!path || strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	o->path = strdup(path);
	o->tmp = fmt("%s.tmp.XXXXXX", path);
	if (!o->path || (fd = mkstemp(o->tmp)) < 0) {
		fprintf(stderr, "memstats: %s: cannot write: %s\n", path, strerror(errno));
		free(o->path);
		free(o->tmp);
		return -1;
	}
	if (fchmod(fd, 0666 & ~mask) < 0 || !(o->f = fdopen(fd, "w"))) {
		fprintf(stderr, "memstats: %s: cannot write: %s\n", path, strerror(errno));
		close(fd);
		unlink(o->tmp);
		free(o->path);
		free(o->tmp);
		return -1;
	}
	return 0;
}

void out_abort(struct out *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

int out_close(struct out *o)
{
	int failed = ferror(o->f) || fflush(o->f) != 0;

	if (o->f == stdout) {
		if (failed && errno != EPIPE)
			fprintf(stderr, "memstats: writing the output: %s\n", strerror(errno));
		return failed ? -1 : 0;
	}
	failed = failed || fsync(fileno(o->f)) != 0;
	failed = fclose(o->f) != 0 || failed;
	o->f = NULL;
	if (failed || rename(o->tmp, o->path) != 0) {
		fprintf(stderr, "memstats: %s: cannot write: %s\n", o->path, strerror(errno));
		out_abort(o);
		return -1;
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	return 0;
}

void table_print(FILE *f, const char *const *heads, const int *right, size_t ncols, char **cells, size_t nrows)
{
	size_t *w = calloc(ncols, sizeof(*w));

	if (!w)
		return;
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(heads[c]);
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++)
			if (strlen(cells[r * ncols + c]) > w[c])
				w[c] = strlen(cells[r * ncols + c]);
	for (size_t r = 0; r <= nrows; r++) {
		size_t pad = 0; /* blanks owed: written only before something */

		for (size_t c = 0; c < ncols; c++) {
			const char *s = r ? cells[(r - 1) * ncols + c] : heads[c];
			size_t len = strlen(s);

			if (right[c])
				pad += w[c] - len;
			if (len)
				fprintf(f, "%*s%s", (int)pad, "", s), pad = 0;
			pad += (right[c] ? 0 : w[c] - len) + 2;
		}
		fputc('\n', f);
	}
	free(w);
}

void json_str(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
