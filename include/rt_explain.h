/* rt_explain.h - `remaptrace explain` (tracer/explain.c). */
#ifndef RT_EXPLAIN_H
#define RT_EXPLAIN_H


/* `remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]`: exit status. */
int rt_explain_main(int argc, char **argv);

#endif
