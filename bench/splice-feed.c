/*
 * splice-feed.c - write FILE to standard output, a pipe, by splice(2):
 * the pipe is given references to FILE's pages in the page cache, so
 * the feeder copies nothing, where cat reads each byte into its buffer
 * and writes it into the pipe (two copies).  bench/pipe-floor.sh runs a
 * tool behind it to tell what the tool itself pays for a pipe from what
 * its producer costs: on a machine of two hyperthreads, cat's copies
 * take the core the tool would have used.
 *
 *	splice-feed FILE | TOOL -
 *
 * Exits 1 with a message when FILE cannot be read or standard output is
 * not a pipe (splice needs one end to be a pipe).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STEP (1 << 20)	/* bytes a call: the pipe takes what fits */

int
main(int argc, char **argv)
{
	struct stat st;
	ssize_t moved;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: splice-feed FILE\n");
		return 2;
	}
	if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "splice-feed: standard output is not a pipe\n");
		return 1;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(stderr, "splice-feed: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	for (;;) {
		moved = splice(fd, NULL, STDOUT_FILENO, NULL, STEP,
		    SPLICE_F_MORE);
		if (moved > 0)
			continue;
		if (moved == 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* EPIPE, where SIGPIPE is ignored: the reader has gone */
		fprintf(stderr, "splice-feed: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
}
