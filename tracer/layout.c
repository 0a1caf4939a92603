/* layout.c - which file page backs each page of a remapped range (--layout). */
#include <stdlib.h>

#include "rt_tracer.h"

char *
rt_layout_describe(pid_t tid, const struct rt_verdict *v,
		   unsigned long page_size)
{
	(void)tid;
	(void)v;
	(void)page_size;
	return NULL;	/* TODO */
}
