/* rt_names.h - pure decoders of numbers into the names the log shows
 * (emu/names.c): mmap prot and flags, errno values, signals.
 */
#ifndef RT_NAMES_H
#define RT_NAMES_H

#include <stddef.h>
#include <stdint.h>

/**
 * rt_names_prot() - "PROT_READ|PROT_WRITE", "PROT_NONE" for 0; bits
 * without a name are appended in hex ("PROT_READ|0x10").
 * Writes like snprintf: at most @size - 1 characters and a NUL when
 * @size > 0.  Returns the length the whole text needs.
 */
size_t rt_names_prot(int prot, char *buf, size_t size);

/**
 * rt_names_mapflags() - mmap flags: the mapping type first, then the flag
 * names ("MAP_SHARED|MAP_FIXED|MAP_POPULATE"), a MAP_HUGETLB page size as
 * "21<<MAP_HUGE_SHIFT", the rest in hex; "0" for 0.  Returns and writes
 * like snprintf.
 */
size_t rt_names_mapflags(uint64_t flags, char *buf, size_t size);

/**
 * rt_names_errno() - "EINVAL" for EINVAL or -EINVAL, the kernel's
 * internal restart codes too ("ERESTARTSYS"); NULL for 0 or an unknown
 * value.
 */
const char *rt_names_errno(int err);

/**
 * rt_names_signal() - "SIGSEGV"; real-time signals as "SIGRT_n" counted
 * from the kernel's SIGRTMIN (32); NULL for 0 or an unknown value.
 */
const char *rt_names_signal(int sig);

#endif
