/* log.c - one line on stderr per message, in the form the reader understands (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 2048 /* a longer message is cut */
#define JOURNALD_STDOUT "/run/systemd/journal/stdout"

static enum swl_log_form form = SWL_LOG_PLAIN;

bool swl_log_fd_is_journal(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return false;
	/* sd-daemon(3): JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; a
	 * process whose stderr was redirected since must not take it for the journal */
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && dev == (unsigned long long)st.st_dev &&
	    ino == (unsigned long long)st.st_ino)
		return true;
	/* systemd-cat and the like connect without setting it: the peer is journald's socket */
	if (!S_ISSOCK(st.st_mode))
		return false;
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX)
		return false;
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
	return n >= sizeof(JOURNALD_STDOUT) - 1 && memcmp(sa.sun_path, JOURNALD_STDOUT, sizeof(JOURNALD_STDOUT) - 1) == 0 &&
	       (n == sizeof(JOURNALD_STDOUT) - 1 || sa.sun_path[sizeof(JOURNALD_STDOUT) - 1] == '\0');
}

void swl_log_init(bool daemon)
{
	form = swl_log_fd_is_journal(STDERR_FILENO) ? SWL_LOG_JOURNAL : daemon ? SWL_LOG_LOGFMT : SWL_LOG_PLAIN;
}

enum swl_log_form swl_log_form(void)
{
	return form;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warn";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

/* Append s to out (at *at, cap bytes) as one line: control characters escaped, and with
 * quoting (logfmt) also \ and ". Stops before the end of out. */
static void put_escaped(char *out, size_t cap, size_t *at, const char *s, bool quoting)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s && *at + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\t' || c == '\r') {
			out[(*at)++] = '\\';
			out[(*at)++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20 || c == 0x7f) {
			out[(*at)++] = '\\';
			out[(*at)++] = 'x';
			out[(*at)++] = hex[c >> 4];
			out[(*at)++] = hex[c & 15];
		} else if (quoting && (c == '\\' || c == '"')) {
			out[(*at)++] = '\\';
			out[(*at)++] = (char)c;
		} else {
			out[(*at)++] = (char)c;
		}
	}
}

static void put_str(char *out, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);
	if (*at + n >= cap)
		n = cap - *at - 1;
	memcpy(out + *at, s, n);
	*at += n;
}

void swl_log(int level, const char *fmt, ...)
{
	int saved_errno = errno;
	char msg[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	char line[2 * MSG_MAX + 128];
	size_t at = 0;
	switch (form) {
	case SWL_LOG_JOURNAL:
		at = (size_t)snprintf(line, sizeof(line), "<%d>", level < 0 ? 0 : level > 7 ? 7 : level);
		put_escaped(line, sizeof(line), &at, msg, false);
		break;
	case SWL_LOG_LOGFMT: {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		char ts[40];
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		at = (size_t)snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s msg=\"", ts, (long)tv.tv_usec / 1000,
				      level_name(level));
		put_escaped(line, sizeof(line), &at, msg, true);
		put_str(line, sizeof(line), &at, "\"");
		break;
	}
	case SWL_LOG_PLAIN:
		put_str(line, sizeof(line), &at, "swanlog: ");
		put_escaped(line, sizeof(line), &at, msg, false);
		break;
	}
	line[at++] = '\n';
	/* one write: lines of several threads never interleave (short writes aside, on a pipe
	 * under PIPE_BUF bytes there are none) */
	for (size_t off = 0; off < at;) {
		ssize_t w = write(STDERR_FILENO, line + off, at - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved_errno;
}
