/*
 * Copyright (C) 2026 strongswan-qcd authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

#include "qcd_compat.h"

#include <dlfcn.h>

#include <utils/debug.h>

/**
 * A function of libstrongswan that 6.0 added with multiple key exchanges
 * and that no 5.9.x release has
 */
#define SERIES_6_SYMBOL "key_exchange_concat_secrets"

/*
 * Described in header
 */
bool qcd_compat_check()
{
	bool running_6, built_6 = FALSE;

#ifdef QCD_IKE_KEYS_ARRAY
	built_6 = TRUE;
#endif
	running_6 = dlsym(RTLD_DEFAULT, SERIES_6_SYMBOL) != NULL;
	if (running_6 != built_6)
	{
		DBG1(DBG_LIB, "qcd: this plugin was built for strongSwan %s (series "
			 "%s), but runs in a strongSwan %s daemon, whose plugin interface "
			 "differs; not loading it. Install the plugin built for this "
			 "strongSwan, or rebuild it against its source", VERSION,
			 QCD_SERIES, running_6 ? "6.x" : "5.9.x");
		return FALSE;
	}
	return TRUE;
}
