#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>

#if !defined(LIBPQ_HAS_PIPELINING)
#error "PostgresSessions needs libpq 14 or newer (pipeline mode)"
#endif

/* The reactor that drives libpq's nonblocking sockets needs epoll and eventfd, which Glibc's Swift module
   does not export. */
#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif

#endif
