/* log.h - messages on stderr, one line each, with a level the reader understands.
 *
 * Three forms, chosen once by the command (swl_log_init):
 *   journal  stderr is a stream into the journal (systemd sets JOURNAL_STREAM to its device and
 *            inode; systemd-cat connects it to journald's stdout socket): each line starts with
 *            the sd-daemon(3) prefix "<3>" ... "<7>", which journald takes as the entry's
 *            PRIORITY and removes;
 *   logfmt   a daemon (follow, omprog) anywhere else: ts=... level=info msg="...";
 *   plain    the one-shot commands (replay, check, usage errors): "swanlog: message".
 * A message is one line whatever it holds: control characters are escaped (\n, \xHH), and in
 * logfmt so are \ and ". Each line is written with one write(2), so lines from several
 * threads never mix. Thread-safe once initialised.
 */
#ifndef SWL_LOG_H
#define SWL_LOG_H

#include <stdbool.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

enum swl_log_form { SWL_LOG_PLAIN, SWL_LOG_LOGFMT, SWL_LOG_JOURNAL };

/* daemon: logfmt unless stderr is the journal; otherwise plain unless stderr is the journal. */
void swl_log_init(bool daemon);
enum swl_log_form swl_log_form(void);
/* Is fd a stream into the journal? JOURNAL_STREAM names fd's device and inode, or fd is a
 * socket connected to journald's stdout socket. */
bool swl_log_fd_is_journal(int fd);

/* One message at a syslog level (LOG_ERR ... LOG_DEBUG). */
void swl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
