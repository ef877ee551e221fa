// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-inventory consumes (the stock commands),
// each with its message's schema, check and handler (and, but for restock,
// their first statement); the fuzz target
// tests/fuzz/fuzz_messages.c reads them too.
#include "inventory.h"

const sq_route inventory_routes[] = {
	{ "inventory.reserve", 0, inventory_reserve_fields, NULL, inventory_handle_reserve, NULL, inventory_reserve_first },
	{ "inventory.release", 0, inventory_release_fields, NULL, inventory_handle_release, NULL, inventory_release_first },
	{ "inventory.commit", 0, inventory_commit_fields, NULL, inventory_handle_commit, NULL, inventory_commit_first },
	{ "inventory.restock", 0, inventory_restock_fields, NULL, inventory_handle_restock, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};
