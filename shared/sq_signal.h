// SPDX-License-Identifier: MIT
// sq_signal.h -- process signals as flags the loop polls: SIGTERM/SIGINT ask to
// stop, SIGHUP asks to re-read the config, SIGPIPE is ignored.
#ifndef SQ_SIGNAL_H
#define SQ_SIGNAL_H

void sq_signals_install(void);
/* Non-zero once SIGTERM or SIGINT arrived. */
int sq_signal_stop(void);
/* 1 once per SIGHUP (the request is consumed). */
int sq_signal_take_reload(void);

#endif
