/*
 * io.h - line reader (over zlib) and atomic writer.
 *
 * A reader reads plain or gzip input alike, told apart by their first
 * two bytes, from a path or from "-" (standard input).  BGZF blocks
 * (nsl/bgzf.h), as the writer makes, are inflated a batch at a time on
 * every thread, from a file or a pipe; other gzip members on one.
 * Lines may be of any length.  A truncated or corrupt gzip stream is an I/O error that
 * names the file, never a silent short read.
 *
 * A writer writes to standard output (path NULL or "-") or to a file.  A
 * file is written to a temporary file in the same directory and renamed
 * over the target by nsl_writer_commit(), so a failed run never leaves a
 * half-written output; a name ending in ".gz" is gzip-compressed, as
 * BGZF blocks compressed on every thread (nsl/bgzf.h).  The
 * result is otherwise what a shell's '>' leaves: a symbolic link is
 * followed (the temporary file goes beside the file it names, which is
 * replaced, the link kept); an existing file's permission bits, and its
 * owner and group where we may set them, carry over, and one we may not
 * write is refused; a new file gets 0666 less the umask.  Until
 * committed, a writer's temporary file is removed by nsl_writer_abort(),
 * by nsl_io_cleanup() (which the tools' die helpers call) and on SIGINT,
 * SIGTERM, SIGHUP and SIGPIPE.  Standard output, and a pipe or device
 * named as the output, are written in whole lines (a line longer than the
 * buffer is held until its end): a run that fails leaves there only whole
 * lines, never one cut short.
 */
#ifndef NSL_IO_H
#define NSL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nsl_reader;
struct nsl_writer;

/*
 * Open path ("-" or NULL: standard input).  Returns a new reader (free
 * with nsl_reader_close) or NULL with err set: NSL_EX_NOINPUT when the file
 * cannot be opened or is a directory.
 */
struct nsl_reader *nsl_reader_open(const char *path, struct nsl_err *err);

/*
 * A reader over fd (already open for reading, positioned where reading
 * starts), which the reader owns from now on: it is closed with the
 * reader, and also when this fails.  name is for messages.  Returns a new
 * reader or NULL with err set (out of memory).
 */
struct nsl_reader *nsl_reader_open_fd(int fd, const char *name,
    struct nsl_err *err);

/*
 * Give every byte read from now on (decompressed: the text the lines
 * are cut from) to fn(arg, p, n) as it is read, in order; fn NULL stops.
 * fn returns 0, or -1 with errno set, which fails the read that takes
 * the bytes it was to copy (NSL_EX_IOERR, placed at "temporary file").
 * nsl_spool keeps a pipe this way.  From this call on the reader reads
 * ahead in a thread of its own (reading, decompressing and handing on
 * up to four blocks of 256 KB before the caller takes them), so fn runs
 * on that thread; errors still come back from the call that reaches
 * them, in the same words and at the same line.  The thread takes only
 * SIGURG, which nsl_reader_close() sends it to end a read(2) that waits
 * on a quiet pipe; a handler for SIGURG is set if the process has none.
 */
typedef int nsl_reader_sink_fn(void *arg, const char *p, size_t n);
void nsl_reader_tee(struct nsl_reader *, nsl_reader_sink_fn *fn, void *arg);

/*
 * Read the next line.  On success returns 1 and sets *line (borrowed,
 * valid until the next call, NUL-terminated) and *len, without the line
 * terminator ("\n" or "\r\n").  Returns 0 at end of input, -1 on a read
 * error (err set to NSL_EX_IOERR with the file name and the line where
 * the data stopped: "truncated gzip data (unexpected end of file)",
 * "corrupt gzip data (incorrect data check)").  zlib checks a gzip
 * member as a whole and drops what it decoded in the call that fails,
 * so corrupt data may be placed up to 512 KB (decoded) early.
 */
int nsl_reader_getline(struct nsl_reader *, const char **line, size_t *len,
    struct nsl_err *err);

/*
 * Read up to n raw bytes (for binary formats).  Returns the number read;
 * fewer than n only at end of input; -1 on error with err set, placed at
 * the file (no line) and saying "after byte B of the data".
 */
long nsl_reader_read(struct nsl_reader *, void *buf, size_t n,
    struct nsl_err *err);

/*
 * Read exactly n raw bytes, for binary formats whose size is known.  A
 * short read is bad data (NSL_EX_DATAERR): "truncated file: WHAT ends at
 * byte B", where B counts from offset, the caller's position of p[0] in
 * the file.  Returns 0 or -1 with err set and placed at the file.
 */
int nsl_reader_read_exact(struct nsl_reader *, void *p, size_t n,
    uint64_t offset, const char *what, struct nsl_err *err);

/* Display name ("-" shows as "<stdin>") and number of the last line read. */
const char *nsl_reader_name(const struct nsl_reader *);
/* Name the input otherwise in messages (a copy of standard input, say:
 * "<stdin>" rather than "/dev/fd/3").  Returns 0, or -1: no memory. */
int nsl_reader_set_name(struct nsl_reader *, const char *name);
unsigned long nsl_reader_lineno(const struct nsl_reader *);

/* Offset, in uncompressed bytes, of the start of the last line read. */
uint64_t nsl_reader_offset(const struct nsl_reader *);

/* 1 if the input is gzip-compressed (a pipe's first bytes may be read
 * to tell, and are kept for the reading). */
int nsl_reader_is_gzip(struct nsl_reader *);

void nsl_reader_close(struct nsl_reader *);

/*
 * Open an output: NULL or "-" is standard output; otherwise a temporary
 * file beside path, renamed on commit.  Returns NULL with err set
 * (NSL_EX_IOERR) when the directory is not writable.
 */
struct nsl_writer *nsl_writer_open(const char *path, struct nsl_err *err);

/* Append n bytes.  Returns 0, or -1 with err set (NSL_EX_IOERR). */
int nsl_writer_write(struct nsl_writer *, const void *p, size_t n,
    struct nsl_err *err);

/*
 * Room for n bytes at the end of the output, for a caller that would
 * otherwise build a line in a buffer of its own and copy it: *p is set
 * to the room (borrowed until the next call on the writer), and
 * nsl_writer_advance(w, k) then adds the first k bytes written there.
 * Returns 0, 1 with *p NULL when n is more than the writer buffers (the
 * caller then writes by nsl_writer_write), or -1 with err set
 * (NSL_EX_IOERR) when making room fails.
 */
int nsl_writer_space(struct nsl_writer *, size_t n, char **p,
    struct nsl_err *err);
void nsl_writer_advance(struct nsl_writer *, size_t k);

/*
 * Flush and close; for a file, rename it over the target.  Frees the
 * writer whatever happens.  Returns 0, or -1 with err set (the temporary
 * file is then removed).
 */
int nsl_writer_commit(struct nsl_writer *, struct nsl_err *err);

/* Discard the output (remove the temporary file) and free the writer. */
void nsl_writer_abort(struct nsl_writer *);

/* Remove the temporary files of all writers not yet committed. */
void nsl_io_cleanup(void);

#endif
