/*
 * batch.h - read records' lines and parse them on every thread, in order.
 *
 * Parsing (the numbers' text) is most of a read's time at embedding
 * widths.  nsl_batch_each() takes lines from a reader or a spool in
 * batches (up to 64 lines or 1 MB), parses a batch on every thread, then
 * hands its records to the caller one by one in file order: whatever the
 * caller does with them (labels numbered by first appearance, widths
 * compared with the first record's, counts) happens as a one-line-at-a-
 * time read would have it, and the first bad line of the input is the
 * one reported.  Small batches (under 64 KB) are parsed on the calling
 * thread alone, and the lines after one (16384 of them, then a batch
 * again) are taken as the reader gives them, not copied: for short
 * records threads and copies cost more than they save.
 */
#ifndef NSL_BATCH_H
#define NSL_BATCH_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "json.h"
#include "spool.h"

/* Where the lines come from: a reader, or (r NULL) a spool. */
struct nsl_lines {
	struct nsl_reader *r;
	struct nsl_spool *sp;
};

/* with NSL_BATCH_HASH, each record's line hash (nsl_hash64), else 0 */
typedef int nsl_batch_fn(void *arg, struct nsl_rec *rec,
    unsigned long lineno, uint64_t hash, struct nsl_err *err);

enum {
	NSL_BATCH_HASH = 1 << 0,	/* hash each line as read (nsl/hash.h) */
	NSL_BATCH_FN_PLACES = 1 << 1	/* fn places its own errors */
};

/*
 * Every remaining record of L's current input, parsed with rec_flags, to
 * fn(arg, rec, lineno, hash, err) in order (rec is borrowed for the
 * call).  Returns 0 at the input's end, or -1 with err set: a line that
 * does not parse, placed at the input's name and that line; fn's error,
 * placed so too unless it is an I/O error (which names its own file) or
 * flags has NSL_BATCH_FN_PLACES; a read error as the reader or spool
 * gives it, after the lines before it.
 */
int nsl_batch_each(struct nsl_lines *L, unsigned rec_flags, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err);

/*
 * nsl_batch_each with each record in the caller's rec (parsed with its
 * flags): fn(arg, rec, ...) finds it there, for code that reads the
 * record from where it keeps it.  rec's buffers are traded with the
 * batch's, not copied.
 */
int nsl_batch_into(struct nsl_lines *L, struct nsl_rec *rec, unsigned flags,
    nsl_batch_fn *fn, void *arg, struct nsl_err *err);

/*
 * Work on each record beside the parse (nsl_batch_into_prep): prep(arg,
 * rec, out, err) runs on the thread that parsed the line, right after,
 * and writes what it makes to out (the line's own buffer, emptied
 * first), returning 0, or -1 with err set.  It runs on several threads
 * at once: it may only read what arg shares.  fn, in order as always,
 * finds the record's result in *prepared: out, and rc with err when prep
 * failed (for fn to report, so that the first failing line is still the
 * one reported, as if the work had been fn's).
 */
struct nsl_batch_prep {
	struct nsl_buf out;
	int rc;
	struct nsl_err err;
};

typedef int nsl_batch_prep_fn(void *arg, const struct nsl_rec *rec,
    struct nsl_buf *out, struct nsl_err *err);

int nsl_batch_into_prep(struct nsl_lines *L, struct nsl_rec *rec,
    unsigned flags, nsl_batch_prep_fn *prep,
    const struct nsl_batch_prep **prepared, nsl_batch_fn *fn, void *arg,
    struct nsl_err *err);

/*
 * Lines given one at a time rather than read (a spool's second pass,
 * nsl_spool_each, gives its lines to a function), parsed on every thread
 * in batches as nsl_batch_into parses lines it reads, and each record
 * handed to fn(arg, rec, tag, hash, err) in order, in the caller's rec.
 * A line's tag (its record's number, say) comes back as fn's lineno, for
 * fn to place its own errors by; a line that does not parse ends the
 * visit with the parser's error, placed by place(arg, tag, err).
 *
 * nsl_batch_feed_line(F, line, len, tag, err) copies the line (it may be
 * borrowed) and may call fn for lines given before it: 0, or -1 with
 * fn's error or the parser's.  nsl_batch_feed_end(F, err) parses and
 * hands over the lines still held: 0, or -1 so.  After an error the feed
 * takes no more lines.  nsl_batch_feed_new returns NULL when out of
 * memory; nsl_batch_feed_free(NULL) does nothing.
 */
typedef void nsl_batch_place_fn(void *arg, unsigned long tag,
    struct nsl_err *err);

struct nsl_batch_feed;

struct nsl_batch_feed *nsl_batch_feed_new(struct nsl_rec *rec, unsigned flags,
    nsl_batch_fn *fn, nsl_batch_place_fn *place, void *arg);
int nsl_batch_feed_line(struct nsl_batch_feed *, const char *line, size_t len,
    unsigned long tag, struct nsl_err *err);
int nsl_batch_feed_end(struct nsl_batch_feed *, struct nsl_err *err);
void nsl_batch_feed_free(struct nsl_batch_feed *);

/* After the last record of paths[file] (shown as name): 0, or -1 with err. */
typedef int nsl_batch_end_fn(void *arg, size_t file, const char *name,
    struct nsl_err *err);

/*
 * nsl_batch_into over every file of paths[0..npaths) in order ("-" is
 * standard input; none at all means standard input), end(arg, file,
 * name, err) after each file's last record when end is not NULL.
 * Returns 0, or -1 with err set (a file that cannot be opened: its
 * reader's error).
 */
int nsl_batch_paths(const char *const *paths, size_t npaths,
    struct nsl_rec *rec, nsl_batch_fn *fn, nsl_batch_end_fn *end,
    void *arg, struct nsl_err *err);

/*
 * nsl_batch_paths for a prep that makes each record's whole line:
 * prep(arg, rec, out, err) beside the parse, as nsl_batch_into_prep's,
 * and each line written to w in order; prep's error, the first in the
 * input, ends it there, placed at its line.
 */
int nsl_batch_paths_write(const char *const *paths, size_t npaths,
    struct nsl_rec *rec, nsl_batch_prep_fn *prep, void *arg,
    struct nsl_writer *w, struct nsl_err *err);

/*
 * Every record of paths[0..npaths) in order ("-" is standard input; none
 * at all means standard input), read into rec and given to fn(arg, rec,
 * err), parsed in batches as above.  A failure of fn (non-zero) ends the
 * reading: its error is placed at the record's file and line, except an
 * output error (NSL_EX_IOERR), which the writer has placed at the
 * output.  Returns 0 after the last record, or -1 with err set.
 */
typedef int nsl_rec_fn(void *arg, const struct nsl_rec *, struct nsl_err *err);
int nsl_rec_each(const char *const *paths, size_t npaths, struct nsl_rec *,
    nsl_rec_fn *fn, void *arg, struct nsl_err *err);

#endif
