// SPDX-License-Identifier: MIT
// sq_signal.c -- handlers that only set flags (the loop acts on them).
#include "sq_signal.h"

#include <signal.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void on_stop(int sig) { (void)sig; stop_flag = 1; }
static void on_hup(int sig) { (void)sig; reload_flag = 1; }

void sq_signals_install(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int sq_signal_stop(void) { return stop_flag; }

int sq_signal_take_reload(void)
{
	if (!reload_flag)
		return 0;
	reload_flag = 0;
	return 1;
}
