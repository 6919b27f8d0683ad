/*
 * nsl - run an nsl tool: `nsl TOOL ARGS` execs nsl-TOOL ARGS, as git does
 * for its commands.  `nsl` alone lists the tools with their summaries.
 *
 * A tool is looked for first beside this executable (so a build tree or
 * an install prefix is self-contained), then on PATH.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nsl/err.h"

#define MAX_TOOLS 256

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: nsl [-hV] TOOL [ARG ...]\n"
	    "\n"
	    "Run nsl-TOOL with the arguments.  With no TOOL, list the tools.\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n"
	    "\n"
	    "See nsl(7) for the record conventions and `nsl TOOL --help`\n"
	    "or nsl-TOOL(1) for each tool.\n");
}

/* The directory this executable lives in, or "" if unknown. */
static void
self_dir(char *dir, size_t n)
{
	ssize_t len;
	char *slash;

	len = readlink("/proc/self/exe", dir, n - 1);
	if (len <= 0) {
		dir[0] = '\0';
		return;
	}
	dir[len] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the nsl-* executables of dir to names[], skipping ones seen. */
static size_t
scan_dir(const char *dir, char **names, size_t n)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t i;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return n;
	while ((de = readdir(d)) != NULL && n < MAX_TOOLS) {
		if (strncmp(de->d_name, "nsl-", 4) != 0 || de->d_name[4] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (access(path, X_OK) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(names[i], de->d_name + 4) == 0)
				break;
		if (i == n && (names[n] = strdup(de->d_name + 4)) != NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* Path of nsl-TOOL: beside us if there, else the bare name for PATH. */
static void
tool_path(const char *self, const char *tool, char *path, size_t n)
{
	snprintf(path, n, "%s/nsl-%s", self, tool);
	if (self[0] == '\0' || access(path, X_OK) != 0)
		snprintf(path, n, "nsl-%s", tool);
}

static int
list_tools(const char *self)
{
	char *names[MAX_TOOLS], *pathvar, *dir, *save, cmd[PATH_MAX + 32];
	char path[PATH_MAX], summary[256];
	size_t n = 0, i;
	FILE *p;

	if (self[0] != '\0')
		n = scan_dir(self, names, n);
	if ((pathvar = getenv("PATH")) != NULL &&
	    (pathvar = strdup(pathvar)) != NULL) {
		for (dir = strtok_r(pathvar, ":", &save); dir != NULL;
		    dir = strtok_r(NULL, ":", &save))
			n = scan_dir(dir, names, n);
		free(pathvar);
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	printf("usage: nsl TOOL [ARG ...]\n\ntools:\n");
	for (i = 0; i < n; i++) {
		tool_path(self, names[i], path, sizeof(path));
		snprintf(cmd, sizeof(cmd), "'%s' --summary 2>/dev/null", path);
		summary[0] = '\0';
		if ((p = popen(cmd, "r")) != NULL) {
			if (fgets(summary, sizeof(summary), p) == NULL)
				summary[0] = '\0';
			pclose(p);
		}
		summary[strcspn(summary, "\n")] = '\0';
		printf("  %-16s %s\n", names[i], summary);
		free(names[i]);
	}
	printf("\nRun 'nsl TOOL --help' for a tool's options.\n");
	return nsl_finish();
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX];
	const char *tool;

	self_dir(self, sizeof(self));
	if (argc < 2)
		return list_tools(self);
	tool = argv[1];
	if (strcmp(tool, "-h") == 0 || strcmp(tool, "--help") == 0) {
		usage(stdout);
		return nsl_finish();
	}
	if (strcmp(tool, "-V") == 0 || strcmp(tool, "--version") == 0) {
		printf("nsl %s\n", NSL_VERSION);
		return nsl_finish();
	}
	if (tool[0] == '-' || strchr(tool, '/') != NULL) {
		fprintf(stderr, "nsl: unknown option '%s'\n", tool);
		usage(stderr);
		return NSL_EX_USAGE;
	}
	tool_path(self, tool, path, sizeof(path));
	argv[1] = path;
	execvp(path, argv + 1);
	if (errno == ENOENT) {
		fprintf(stderr, "nsl: '%s' is not an nsl tool; run 'nsl' "
		    "for the list\n", tool);
		return NSL_EX_USAGE;
	}
	fprintf(stderr, "nsl: cannot run %s: %s\n", path, strerror(errno));
	return NSL_EX_SOFTWARE;
}
