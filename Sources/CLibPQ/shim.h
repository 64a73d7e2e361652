#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>

#if !defined(LIBPQ_HAS_PIPELINING)
#error "PostgresSessions needs libpq 14 or newer (pipeline mode)"
#endif

#endif
