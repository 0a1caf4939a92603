/* arch-x86.h - what arch-x86_64.c and arch-i386.c share: the user code
 * segments that tell a thread's mode, and the x32 marker bit.
 */
#ifndef RT_ARCH_X86_H
#define RT_ARCH_X86_H

#include "rt_arch.h"

#define RT_X86_USER64_CS	0x33	/* __USER_CS: 64-bit code */
#define RT_X86_USER32_CS	0x23	/* __USER32_CS: compat (i386) code */
#define RT_X32_SYSCALL_BIT	0x40000000	/* __X32_SYSCALL_BIT */

extern const struct rt_arch rt_arch_i386, rt_arch_x32;

#endif
