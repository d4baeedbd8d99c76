/* position.c - saved positions (see position.h). */
#include "position.h"

#include <stdlib.h>

void swl_state_pos_fini(struct swl_state_pos *p)
{
	free(p->cursor);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	free(p->files);
	*p = (struct swl_state_pos){ 0 };
}

const struct swl_file_pos *swl_state_pos_file(const struct swl_state_pos *p, const char *path)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}
