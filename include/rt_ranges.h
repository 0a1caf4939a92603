/* rt_ranges.h - pure sorted tables behind open-file identity
 * (emu/ranges.c): a binary search that any comparison (even a system
 * call such as kcmp) can drive, and the address ranges of a process that
 * name an open file, kept disjoint and sorted so that lookups, inserts and
 * punches cost O(log n).
 */
#ifndef RT_RANGES_H
#define RT_RANGES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* A comparison that could not be made (the element is skipped). */
#define RT_SORTED_ERR	INT_MIN

/**
 * rt_sorted_find() - binary search over @n sorted elements.
 * @cmp: compares the sought item with element @i: < 0 it sorts before
 *	the element, 0 it is the element, > 0 it sorts after;
 *	RT_SORTED_ERR when they cannot be compared.
 * @arg: passed to @cmp.
 * @pos: the element's index when found, else where it would be inserted.
 * Returns 1 found, 0 not found, -EIO when @cmp failed.
 */
int rt_sorted_find(size_t n, int (*cmp)(const void *arg, size_t i),
		   const void *arg, size_t *pos);

/**
 * rt_sorted_insert() - put @elem (@size bytes) at index @pos of the array
 * *@a of *@n elements (capacity *@cap), growing it.  Returns 0 or -ENOMEM
 * (then nothing changed).
 */
int rt_sorted_insert(void **a, size_t *n, size_t *cap, size_t size,
		     size_t pos, const void *elem);

/* Remove @count elements from index @pos of @a (*@n elements). */
void rt_sorted_remove(void *a, size_t *n, size_t size, size_t pos,
		      size_t count);

/* [start, end) maps open file @key from file offset @off (bytes). */
struct rt_range {
	uint64_t start, end;
	uint64_t off;
	uint64_t key;
};

/*
 * Disjoint ranges by descending start: mmap places mappings top-down, so
 * a new one usually goes at the end and costs no move.
 */
struct rt_ranges {
	struct rt_range *r;
	size_t n, cap;
};

/* Key @key gained (@delta 1) or lost (-1) a range. */
typedef void rt_ranges_ref_fn(void *arg, uint64_t key, int delta);

/* The range that contains @addr, or NULL.  O(log n). */
const struct rt_range *rt_ranges_find(const struct rt_ranges *rs,
				      uint64_t addr);

/**
 * rt_ranges_punch() - cut [@s, @e) out of every range, as the kernel's
 * mmap or munmap there does: ranges inside go, ranges across an edge are
 * trimmed (their offset follows), a range around it is split.  @ref hears
 * of each range gained or lost.  Returns 0 or -ENOMEM (a split, with the
 * tail not kept: the ranges stay disjoint).
 */
int rt_ranges_punch(struct rt_ranges *rs, uint64_t s, uint64_t e,
		    rt_ranges_ref_fn *ref, void *arg);

/**
 * rt_ranges_add() - @r replaces whatever was at its addresses.  @ref hears
 * of @r (+1) only once it is in.  Returns 0 or -ENOMEM.
 */
int rt_ranges_add(struct rt_ranges *rs, const struct rt_range *r,
		  rt_ranges_ref_fn *ref, void *arg);

/**
 * rt_ranges_filter() - keep only the ranges for which @keep returns
 * nonzero; @ref hears of each one dropped.  Returns how many were dropped.
 */
size_t rt_ranges_filter(struct rt_ranges *rs,
			int (*keep)(void *arg, const struct rt_range *r),
			rt_ranges_ref_fn *ref, void *arg);

void rt_ranges_free(struct rt_ranges *rs);

#endif
