/*
 * spool.h - read records once, choose some, write the chosen ones back in
 * input order, holding only a few bytes per record in memory.
 *
 * A tool that must see every record before it can decide which to write
 * (nsl-prune) reads its inputs through a spool: nsl_spool_open() starts
 * an input, nsl_spool_next() gives its records one by one (parsed, as
 * nsl_rec_read() does), and nsl_spool_emit() later writes the lines of the
 * records flagged in keep[], byte for byte and in input order.
 *
 * How the lines come back: a plain regular file is read again from the
 * start, standard input too when it is a regular file (a shell's '<': it
 * is read again from the offset where it began), and the spool keeps
 * each record's line number (8 bytes per record).  A gzip file is copied
 * as a pipe is while its copy fits in the memory below, and read again
 * when it does not (its copy dropped).  Anything else (a pipe, a
 * device) is copied, decompressed, as it is read: the
 * reader reads ahead in a thread of its own, which writes the copy in
 * blocks of 256 KB beside the parsing (nsl_reader_tee), each packed
 * (nsl/pack.h: number text in half its bytes) unless that would not
 * make it smaller.  The copy is kept in memory (a memfd) up to a
 * budget of its packed bytes, $NSL_SPOOL_MEMORY (bytes,
 * with K, M, G or T, or a percentage; default an eighth of the memory
 * of the machine or of the process's control group, whichever is less),
 * while a sixteenth of that memory stays free besides (asked every
 * 64 MB), and past it in an unlinked temporary file in $TMPDIR (default
 * /tmp).
 * For such an input the spool keeps each record's byte offset in the
 * copy instead of its line number, and the second pass reads only the
 * kept lines' runs (dropped stretches of 64 KB or more are skipped).  So
 * memory is O(number of records) plus about 2 MB, plus the copy up to
 * the budget; disk use is the rest of the piped input (both given back
 * behind the second pass when it is the only one, nsl_spool_once), and
 * reading a pipe costs about what reading a file does plus the packing
 * and one sequential write (of about half its bytes for embeddings),
 * which a second core hides.
 *
 * Invariants: records are numbered 0, 1, ... over all inputs in the
 * order read; nsl_spool_count() is the number read so far.  Strings
 * given to the spool are copied.  A regular file that changes between
 * the two passes is detected when it ends early (an I/O error naming it).
 */
#ifndef NSL_SPOOL_H
#define NSL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nsl_rec;
struct nsl_writer;
struct nsl_spool;

/* A new spool (free with nsl_spool_free), or NULL if out of memory. */
struct nsl_spool *nsl_spool_new(void);
void nsl_spool_free(struct nsl_spool *);

/*
 * Say that the kept records will be visited once (one nsl_spool_emit
 * or nsl_spool_each).  A piped input's temporary copy is then freed
 * behind the visit by a thread of the spool's, and the rest of it just
 * after, beside what the caller does next (commit its output), instead
 * of all at once when the spool is freed: closing a copy of n bytes
 * costs about 0.1 s a GB.  A second visit is then an error
 * (NSL_EX_SOFTWARE).
 */
void nsl_spool_once(struct nsl_spool *);

/*
 * Start reading path ("-" or NULL: standard input); the previous input,
 * if any, must have been read to its end.  Returns 0, or -1 with err set
 * (NSL_EX_NOINPUT: cannot open; NSL_EX_USAGE: a pipe, and
 * $NSL_SPOOL_MEMORY is not a size).  A temporary file that cannot be made fails the read that needs
 * it (NSL_EX_IOERR, placed at $TMPDIR).
 */
int nsl_spool_open(struct nsl_spool *, const char *path, struct nsl_err *);

/*
 * Next record of the current input into rec (parsed with rec's flags;
 * the line is borrowed until the next call).  Returns 1, 0 at the end of
 * the input (which is then closed), -1 with err set at the file and line.
 */
int nsl_spool_next(struct nsl_spool *, struct nsl_rec *, struct nsl_err *);

/* nsl_spool_next's line, not parsed (borrowed until the next call). */
int nsl_spool_getline(struct nsl_spool *, const char **line, size_t *len,
    struct nsl_err *);

/* Place err at the current input's name and line (for field errors). */
void nsl_spool_locate(const struct nsl_spool *, struct nsl_err *);
/* The current input's line number: that of the record last read. */
unsigned long nsl_spool_lineno(const struct nsl_spool *);

uint64_t nsl_spool_count(const struct nsl_spool *);

/* The bytes of text copied so far (piped inputs), and the bytes of the
 * copy that hold them, packed. */
void nsl_spool_sizes(const struct nsl_spool *, uint64_t *text,
    uint64_t *copy);

/*
 * Write the line of every record i with keep[i] != 0 (i < count), each
 * followed by "\n", in input order.  Returns 0, or -1 with err set.
 */
int nsl_spool_emit(struct nsl_spool *, const unsigned char *keep,
    struct nsl_writer *, struct nsl_err *);

/*
 * The same visit with a function: fn(arg, i, line, len, err) for every
 * record i with keep[i] != 0, in input order, line being its bytes
 * without the newline (borrowed for the call).  A non-zero return from
 * fn stops the visit and is returned as -1 (fn sets err).
 */
typedef int nsl_spool_fn(void *arg, uint64_t i, const char *line,
    size_t len, struct nsl_err *err);
int nsl_spool_each(struct nsl_spool *, const unsigned char *keep,
    nsl_spool_fn *fn, void *arg, struct nsl_err *err);

#endif
