/* The Calyx module ABI: the one header shared by the host and every module, pure C99.
 * Rules that hold for every type here (docs/abi.md has the full reference):
 * - a struct that may grow starts with its size; minor versions only append fields;
 * - only C types cross; strings are borrowed (pointer, length) views, never NUL-terminated by contract;
 * - nothing allocated on one side is freed on the other. */
#ifndef CALYX_PLUGIN_API_H
#define CALYX_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version. A module built for another major is refused; a module built for a newer minor than the
 * host's is refused; an older minor is served (the host reads only the fields its size covers). */
#define CALYX_ABI_VERSION_MAJOR 1
#define CALYX_ABI_VERSION_MINOR 0

/* Outcome of every call across the ABI.
 * THREADING: a plain value. OWNERSHIP: a plain value. */
typedef enum calyx_status {
  CALYX_OK = 0,
  CALYX_ERROR = 1,            /* failed; the callee set a message through the host */
  CALYX_INVALID_ARGUMENT = 2, /* the caller passed something the callee cannot accept */
  CALYX_NOT_FOUND = 3,        /* the thing named does not exist */
  CALYX_DENIED = 4,           /* the caller may not do this */
  CALYX_UNAVAILABLE = 5       /* a dependency (the database) cannot be reached now */
} calyx_status;

/* A string view: `len` bytes at `data`, UTF-8, not necessarily NUL-terminated.
 * OWNERSHIP: borrowed; valid only for the duration of the call that passes it; copy what you keep.
 * THREADING: read it only on the thread of that call. */
typedef struct calyx_str {
  const char* data;
  size_t len;
} calyx_str;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CALYX_PLUGIN_API_H */
