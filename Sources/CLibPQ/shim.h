#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>

#if !defined(LIBPQ_HAS_PIPELINING)
#error "PostgresSessions needs libpq 14 or newer (pipeline mode)"
#endif

/* The reactor that drives libpq's nonblocking sockets needs epoll and eventfd, which Glibc's Swift module
   does not export; and the library's threads name themselves with prctl, which is variadic (Swift cannot
   call it) and whose pthread_setname_np counterpart needs _GNU_SOURCE. */
#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/* Names the calling thread where the system shows threads (the kernel keeps the first 15 bytes). */
static inline int clibpq_name_current_thread(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#endif

#endif
