// SPDX-License-Identifier: MIT
// sq_sd.c -- sd_notify calls through libsystemd; the watchdog is pinged by the
// loop itself so a stuck loop misses it.
#include "sq_sd.h"

#include <stdint.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static uint64_t watchdog_usec;
static int watchdog_checked;
static uint64_t last_ping;

static uint64_t mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sq_sd_ready(const char *status)
{
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void sq_sd_status(const char *status) { (void)sd_notifyf(0, "STATUS=%s", status); }
void sq_sd_stopping(void) { (void)sd_notify(0, "STOPPING=1"); }

void sq_sd_reloading(void)
{
	(void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)mono_usec());
}

void sq_sd_watchdog(void)
{
	uint64_t now;

	if (!watchdog_checked) {
		watchdog_checked = 1;
		if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
			watchdog_usec = 0;
	}
	if (!watchdog_usec)
		return;
	now = mono_usec();
	if (now - last_ping >= watchdog_usec / 2) {
		(void)sd_notify(0, "WATCHDOG=1");
		last_ping = now;
	}
}
