/* position.c - saved positions (see position.h). */
#include "position.h"

#include <stdlib.h>

#include "wal.h"

void swl_state_pos_fini(struct swl_state_pos *p)
{
	free(p->cursor);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	free(p->files);
	*p = (struct swl_state_pos){ 0 };
}

enum swl_pos_kind swl_state_pos_kind(const struct swl_state_pos *p)
{
	uint64_t seq;
	if (p->cursor)
		return swl_wal_pos_parse(p->cursor, &seq) == 0 ? SWL_POS_WAL : SWL_POS_JOURNAL;
	return p->nfiles ? SWL_POS_FILES : SWL_POS_NONE;
}

const char *swl_pos_kind_name(enum swl_pos_kind k)
{
	static const char *const names[] = { "none", "a journal follower", "omprog", "follow --file" };
	return names[k];
}

const struct swl_file_pos *swl_state_pos_file(const struct swl_state_pos *p, const char *path)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}
