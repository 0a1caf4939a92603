/* explain.c - `remaptrace explain`: a dry run against a live process. */
#include <stdio.h>

#include "rt_tracer.h"

int
rt_explain_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("remaptrace: explain is not implemented yet\n", stderr);
	return 125;
}
