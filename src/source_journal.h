/* source_journal.h - sd-journal (files, a directory, or the local journal), yielding events. */
#ifndef SWL_SOURCE_JOURNAL_H
#define SWL_SOURCE_JOURNAL_H

#include "event.h"

/* True when the path names a journal file (ends in ".journal" or ".journal~"). */
bool swl_is_journal_path(const char *path);

struct swl_journal;

enum swl_journal_kind { SWL_JOURNAL_LOCAL, SWL_JOURNAL_DIR, SWL_JOURNAL_FILES };

/* Open the local journal, a directory (paths[0]) or files (npaths of them).
 * identifiers: SYSLOG_IDENTIFIER values to read (NULL/0 = every entry); kernel: also
 * _TRANSPORT=kernel entries. Returns 0 or a negative errno. */
int swl_journal_open(enum swl_journal_kind kind, const char *const *paths, size_t npaths,
		     const char *const *identifiers, size_t nidentifiers, bool kernel,
		     struct swl_journal **out);
void swl_journal_close(struct swl_journal *j);
/* Position: at the head, the tail (after the last entry), or after a saved cursor.
 * Returns 1 when the cursor was found, 0 when it was gone and the reader is at the head
 * (a gap: the caller counts it), or a negative errno. */
int swl_journal_seek_head(struct swl_journal *j);
int swl_journal_seek_tail(struct swl_journal *j);
int swl_journal_seek_cursor(struct swl_journal *j, const char *cursor);
/* Next entry as an event (fields borrowed until the next call; MESSAGE in msg, charon's
 * prefixes parsed). Returns 1 with an entry, 0 when none is left for now, negative errno. */
int swl_journal_next(struct swl_journal *j, struct swl_event *ev);
/* The current entry's cursor (caller frees), or NULL. */
char *swl_journal_cursor(struct swl_journal *j);
/* The fd to poll for changes (call right after open, before seeking); after it is readable,
 * swl_journal_wait(j, 0) processes the changes. Returns the fd or a negative errno. */
int swl_journal_fd(struct swl_journal *j);
/* Wait up to timeout_us for changes: returns >0 on change, 0 on timeout, negative errno. */
int swl_journal_wait(struct swl_journal *j, uint64_t timeout_us);

#endif
