/* SPDX-License-Identifier: MIT
 * What the CLI says and which exit code it returns when the controller refuses a request
 * or cannot be reached. The exit code is the `exit` column of util/errors.def for the
 * error code the controller sent ({"error": {"code", "message", "where"}}). Pure
 * functions: the caller prints the message. */
#ifndef GT_CLI_APIERR_H
#define GT_CLI_APIERR_H

#include <stddef.h>

#include "util/error.h"

/* The error whose stable name is `name` ("not_found" -> GT_E_NOT_FOUND); GT_E__COUNT when
 * no row has that name or name is NULL. */
gt_err gt_cli_err_by_name(const char *name);

/* The error for an HTTP status that came without an error document (from a proxy, say):
 * 401 unauthorized, 404 not_found, 502..504 unavailable, other 5xx io, other 4xx invalid. */
gt_err gt_cli_err_by_status(long status);

/* An error answer (status >= 400, body of len bytes) as one line ("WHERE: MESSAGE", plus
 * what to do for 401 and 403) into msg; returns the exit code. */
int gt_cli_api_error(long status, const char *body, size_t len, char *msg, size_t msglen);

/* The line for a controller at `server` that did not answer, `reason` being the system's
 * ("Connection refused"). The exit code that goes with it is gt_err_exit(GT_E_UNAVAILABLE). */
void gt_cli_unreachable(const char *server, const char *reason, char *msg, size_t msglen);

#endif
