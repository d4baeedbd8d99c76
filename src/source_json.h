/* source_json.h - `journalctl -o json` (and -o json-seq) saved to a file, replayed as journal
 * entries: one JSON object a line, its fields those of the entry.
 *
 * A value is a string, a number (its digits), an array of byte values (journalctl's form for
 * a value that is not UTF-8), or an array of those (a field with several values: each is one
 * field); null (a value journalctl left out for its size) is no field. An object or any
 * other shape is not an entry: such a line counts as read and unparsed, and the first one
 * is reported on stderr. The file is recognised by its first line (plain or gzip), not its
 * name; stdin is read as log lines.
 */
#ifndef SWL_SOURCE_JSON_H
#define SWL_SOURCE_JSON_H

#include "event.h"

/* The fields of the JSON object in line[0..len), as swl_fields_keep keeps them: names and
 * values are decoded into buf (len bytes are enough), fields holds up to SWL_FIELDS_ROOM.
 * Returns how many, or -EBADMSG when the line is not one JSON object of that shape. */
int swl_json_fields(const char *line, size_t len, char *buf, struct swl_field *fields);

#endif
