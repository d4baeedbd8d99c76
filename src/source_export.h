/* source_export.h - the journal export format (`journalctl -o export`, what systemd-journal-
 * remote reads) saved to a file, replayed as journal entries with their fields.
 *
 * Entries are separated by an empty line; a field is "NAME=value" on one line, or, for a value
 * that holds a newline or other binary, "NAME", a newline, the value's length as 64-bit
 * little-endian, the value, and a newline. A value is cut at max_line bytes (the rest is
 * skipped); a line that is neither form is skipped and the first one reported on stderr; a
 * file that ends inside an entry still delivers the fields read. The file is recognised by
 * its first two lines (plain or gzip), not its name; stdin is read as log lines.
 */
#ifndef SWL_SOURCE_EXPORT_H
#define SWL_SOURCE_EXPORT_H

#include "event.h"

struct swl_export;

/* Open path ("-" is stdin) for reading entries. Returns 0 or a negative errno. */
int swl_export_open(const char *path, size_t max_line, struct swl_export **out);
/* The next entry's fields, as swl_fields_keep keeps them (borrowed until the next call).
 * Returns 1 with an entry, 0 at the end, or a negative errno. */
int swl_export_next(struct swl_export *x, const struct swl_field **fields, size_t *n);
/* Lines that were no field so far, and the number of the first (0: none). */
size_t swl_export_bad_lines(const struct swl_export *x, size_t *first);
void swl_export_close(struct swl_export *x);

/* Whether the file at path starts with two fields of the export format. */
bool swl_is_export_file(const char *path);

#endif
