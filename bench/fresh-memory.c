/*
 * fresh-memory.c - what it costs here to put SIZE bytes (default 1 GiB)
 * into memory the process has not had before, the ways a spool can:
 * pages mapped into the process (4 KiB pages, then huge pages, each
 * written twice: the first pass takes the pages, the second reuses
 * them; then each made present in one call first, as lib/mem.c does), a memfd (write(2), then pread(2) back), and an unlinked file in
 * TMPDIR (the same).  Each figure is seconds of wall time.  On a
 * virtual machine the first touch of memory can cost far more than the
 * copy; lib/spool.c keeps a pipe's copy in a memfd for that reason.
 * "fresh-memory MIB memfd" does the memfd alone (bench/pipe-floor.sh).
 *
 * "fresh-memory MIB populate" maps MIB MiB and makes it present in one
 * call, as lib/mem.c does, and prints the seconds (bench/fresh-memory.sh
 * SIZES=...: where memory stops being cheap).
 *
 * "fresh-memory MIB hold CMD [ARG ...]" writes MIB MiB into a memfd,
 * prints nothing, and runs CMD in its place with the memfd still open:
 * CMD then runs with that memory taken, as a tool reading a pipe runs
 * beside its copy (bench/pipe-floor.sh's "file, the copy held").  Here
 * the first gigabyte or so that processes take is cheap and the rest
 * dear, so a tool's own memory costs more with a copy beside it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (256 * 1024)
/* seconds between the ways: memory freed a moment before is cheaper */
#define PAUSE 5

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/*
 * n bytes mapped and written twice: 4 KiB or huge pages (MADV_HUGEPAGE),
 * faulted in by the writing or made present first in one call
 * (MADV_POPULATE_WRITE, as lib/mem.c does), that call counted in "first".
 */
static void
mapped(size_t n, int huge, int populate)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, t1, t2;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	t0 = now();
#ifdef MADV_HUGEPAGE
	if (huge)
		(void)madvise(p, n, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	if (populate)
		(void)madvise(p, n, MADV_POPULATE_WRITE);
#endif
	memset(p, 1, n);
	t1 = now();
	memset(p, 2, n);
	t2 = now();
	printf("%-28s first %6.3f s  again %6.3f s\n", huge ? (populate ?
	    "mapped, huge, populated" : "mapped, huge pages") : (populate ?
	    "mapped, 4 KiB, populated" : "mapped, 4 KiB pages"), t1 - t0,
	    t2 - t1);
	munmap(p, n);
	sleep(PAUSE);
}

/* n bytes mapped and made present in one call, timed. */
static int
populate_only(size_t n)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0, took;

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	t0 = now();
#ifdef MADV_POPULATE_WRITE
	if (madvise(p, n, MADV_POPULATE_WRITE) != 0)
#endif
		memset(p, 1, n);
	took = now() - t0;
	printf("populated %6zu MiB  %6.3f s  %6.3f s a GiB\n", n >> 20,
	    took, took / ((double)n / (1 << 30)));
	munmap(p, n);
	return 0;
}

/* n bytes (whole blocks) written to fd, or exit(1). */
static void
fill_fd(int fd, size_t n)
{
	static char buf[BLOCK];
	size_t done;

	memset(buf, 'x', sizeof(buf));
	for (done = 0; done < n; done += BLOCK)
		if (write(fd, buf, BLOCK) != BLOCK) {
			perror("write");
			exit(1);
		}
}

static void
through_fd(int fd, size_t n, const char *what)
{
	static char buf[BLOCK];
	double t0, t1, t2;
	size_t done;

	t0 = now();
	fill_fd(fd, n);
	t1 = now();
	for (done = 0; done < n; done += BLOCK)
		if (pread(fd, buf, BLOCK, (off_t)done) != BLOCK) {
			perror("pread");
			exit(1);
		}
	t2 = now();
	printf("%-28s write %6.3f s  read  %6.3f s\n", what, t1 - t0,
	    t2 - t1);
	close(fd);
}

/* n bytes into a memfd that stays open across exec, then argv[0]. */
static int
hold_and_run(size_t n, char **argv)
{
	int fd = memfd_create("fresh-memory-hold", 0);

	if (fd < 0) {
		perror("memfd_create");
		return 1;
	}
	fill_fd(fd, n);
	execvp(argv[0], argv);
	perror(argv[0]);
	return 127;
}

int
main(int argc, char **argv)
{
	size_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 1024) << 20;
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, only_memfd = 0;

	n = n / BLOCK * BLOCK;
	if (argc > 3 && strcmp(argv[2], "hold") == 0)
		return hold_and_run(n, argv + 3);
	if (argc > 2 && strcmp(argv[2], "populate") == 0)
		return populate_only(n);
	printf("%zu MiB\n", n >> 20);
	if (argc > 2 && strcmp(argv[2], "memfd") == 0)
		only_memfd = 1;
	if (only_memfd)
		goto memfd;
	mapped(n, 0, 0);
	mapped(n, 1, 0);
	mapped(n, 0, 1);
	mapped(n, 1, 1);
memfd:
	if ((fd = memfd_create("fresh-memory", MFD_CLOEXEC)) < 0) {
		perror("memfd_create");
		return 1;
	}
	through_fd(fd, n, "memfd");
	if (only_memfd)
		return 0;
	snprintf(path, sizeof(path), "%s/fresh-memory.XXXXXX",
	    dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		perror(path);
		return 1;
	}
	unlink(path);
	through_fd(fd, n, "file in TMPDIR");
	return 0;
}
