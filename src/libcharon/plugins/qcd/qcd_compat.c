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
 * Series told apart by the functions libstrongswan exports
 */
static char *series[] = {
	"5.9.x",
	"6.0.0 to 6.0.1",
	"6.0.2 or later",
};

/**
 * Series of the running libstrongswan: 6.0 added key_exchange_concat_secrets()
 * with multiple key exchanges, 6.0.2 library_init_register()
 */
static int running_series()
{
	if (!dlsym(RTLD_DEFAULT, "key_exchange_concat_secrets"))
	{
		return 0;
	}
	return dlsym(RTLD_DEFAULT, "library_init_register") ? 2 : 1;
}

/**
 * Series the plugin was built for
 */
static int built_series()
{
#if defined(QCD_LIBRARY_INIT_REGISTER)
	return 2;
#elif defined(QCD_IKE_KEYS_ARRAY)
	return 1;
#else
	return 0;
#endif
}

/*
 * Described in header
 */
bool qcd_compat_check()
{
	int running = running_series(), built = built_series();

	if (running != built)
	{
		/* DBG_DMN, the first group: later ones moved (6.1 added DBG_WCH
		 * before DBG_LIB), and a message in a group the daemon does not know
		 * is dropped */
		DBG1(DBG_DMN, "qcd: this plugin was built for strongSwan %s (series "
			 "%s), but runs in a strongSwan %s daemon, whose plugin interface "
			 "differs; not loading it. Install the plugin built for this "
			 "strongSwan, or rebuild it against its source", VERSION,
			 series[built], series[running]);
		return FALSE;
	}
	return TRUE;
}
