/* check.h - the check mode: load and compile rules files, and run every rule's examples. */
#ifndef SWL_CHECK_H
#define SWL_CHECK_H

#include <stdio.h>

#include "util.h"

/* Check each rules file or directory; errors and failures go to out as path:line:col: message,
 * and unless quiet one summary line per path. Returns the number of failures (a path that
 * does not load, or holds no rule, counts one). */
int swl_check_run(const char *const *paths, size_t npaths, bool quiet, FILE *out);

#endif
