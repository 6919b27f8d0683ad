/*
 * sort.h - an introsort made for one element type and one rule, its
 * comparisons inlined, in the manner of OpenBSD's <sys/tree.h>.
 *
 *	NSL_SORT_DEFINE(name, type, before)
 *
 * defines
 *
 *	static void name(type *a, size_t n, int how);
 *
 * which sorts a[0..n) so that no element comes before one on its left
 * under before(x, y, how): an expression on two `const type *` and the
 * int the caller passes along (say, which of several orders), true when
 * x comes strictly before y.  before must be a strict weak order (no
 * NaN keys); equal elements may end up in any order, so when they are
 * identical, or the rule is total, the result is the one qsort() with
 * the matching comparison gives.
 *
 * qsort() calls its comparison through a pointer, twenty-odd times a
 * row on a few million rows, and glibc's merges through a copy of the
 * array; this sorts in place with the comparison inlined (a plan of
 * 5,000,000 keys: 0.61x the time, half the memory, bench/prune-short.sh).
 * Median-of-three quicksort, insertion sort below 16 elements, heapsort
 * past 2 log2 n levels, so no input takes more than n log n steps.
 */
#ifndef NSL_SORT_H
#define NSL_SORT_H

#include <stddef.h>

#define NSL_SORT_DEFINE(name, type, before)				\
static inline void							\
name##_swap(type *x, type *y)						\
{									\
	type t = *x;							\
									\
	*x = *y;							\
	*y = t;								\
}									\
									\
static void								\
name##_insertion(type *a, size_t n, int how)				\
{									\
	size_t i, j;							\
	type t;								\
									\
	for (i = 1; i < n; i++) {					\
		t = a[i];						\
		for (j = i; j > 0 && (before(&t, &a[j - 1], how)); j--)	\
			a[j] = a[j - 1];				\
		a[j] = t;						\
	}								\
}									\
									\
/* a[i] down the max-heap a[0..n) */					\
static void								\
name##_sift(type *a, size_t i, size_t n, int how)			\
{									\
	size_t c;							\
									\
	while ((c = 2 * i + 1) < n) {					\
		if (c + 1 < n && (before(&a[c], &a[c + 1], how)))	\
			c++;						\
		if (!(before(&a[i], &a[c], how)))			\
			return;						\
		name##_swap(&a[i], &a[c]);				\
		i = c;							\
	}								\
}									\
									\
static void								\
name##_heapsort(type *a, size_t n, int how)				\
{									\
	size_t i;							\
									\
	for (i = n / 2; i-- > 0;)					\
		name##_sift(a, i, n, how);				\
	for (i = n; i-- > 1;) {						\
		name##_swap(&a[0], &a[i]);				\
		name##_sift(a, 0, i, how);				\
	}								\
}									\
									\
/*									\
 * Partition a[0..n) (n > 16) around the median of its first, middle	\
 * and last elements; return the pivot's place p: nothing in a[0..p)	\
 * comes after it, nothing in a(p..n) before it.			\
 */									\
static size_t								\
name##_partition(type *a, size_t n, int how)				\
{									\
	size_t i, j, mid = n / 2;					\
	type pv;							\
									\
	if (before(&a[mid], &a[0], how))				\
		name##_swap(&a[mid], &a[0]);				\
	if (before(&a[n - 1], &a[0], how))				\
		name##_swap(&a[n - 1], &a[0]);				\
	if (before(&a[n - 1], &a[mid], how))				\
		name##_swap(&a[n - 1], &a[mid]);			\
	/* a[0] <= pivot <= a[n - 2]: both scans stop inside */	\
	name##_swap(&a[mid], &a[n - 2]);				\
	pv = a[n - 2];							\
	for (i = 0, j = n - 2;;) {					\
		while (before(&a[++i], &pv, how))			\
			continue;					\
		while (before(&pv, &a[--j], how))			\
			continue;					\
		if (i >= j)						\
			break;						\
		name##_swap(&a[i], &a[j]);				\
	}								\
	name##_swap(&a[i], &a[n - 2]);					\
	return i;							\
}									\
									\
static void								\
name(type *a, size_t n, int how)					\
{									\
	size_t p, depth = 0, m;						\
									\
	for (m = n; m > 1; m /= 2)					\
		depth += 2;						\
	while (n > 16) {						\
		if (depth-- == 0) {					\
			name##_heapsort(a, n, how);			\
			return;						\
		}							\
		p = name##_partition(a, n, how);			\
		/* the smaller side by recursion, the larger here */	\
		if (p < n - p - 1) {					\
			name(a, p, how);				\
			a += p + 1;					\
			n -= p + 1;					\
		} else {						\
			name(a + p + 1, n - p - 1, how);		\
			n = p;						\
		}							\
	}								\
	name##_insertion(a, n, how);					\
}

#endif
