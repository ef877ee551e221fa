// SPDX-License-Identifier: MIT
// sq_sd.h -- the sd_notify protocol: READY, STOPPING, RELOADING, STATUS and a
// watchdog ping paced at half of WATCHDOG_USEC; all no-ops without systemd.
#ifndef SQ_SD_H
#define SQ_SD_H

void sq_sd_ready(const char *status);
void sq_sd_status(const char *status);
void sq_sd_stopping(void);
void sq_sd_reloading(void);
/* Call from the loop; pings when half the watchdog interval has passed. */
void sq_sd_watchdog(void);

#endif
