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

/**
 * @defgroup qcd_compat qcd_compat
 * @{ @ingroup qcd
 *
 * What differs between the strongSwan series the plugin builds against,
 * all in one place.  m4/strongswan.m4 probes the configured tree and
 * defines QCD_IKE_KEYS_ARRAY for 6.x, QCD_LIBRARY_INIT_REGISTER for 6.0.2
 * and later, and QCD_PLUGIN_DEFINE for 6.0.3 and later.
 */

#ifndef QCD_COMPAT_H_
#define QCD_COMPAT_H_

#include <library.h>

#include <plugins/plugin.h>

#ifdef QCD_IKE_KEYS_ARRAY
#include <collections/array.h>
/** 6.x: listener_t.ike_keys gets an array of key_exchange_t, and is raised
 * once per key exchange (RFC 9370) */
typedef array_t qcd_ike_keys_t;
#else
#include <crypto/key_exchange.h>
/** 5.9.x: listener_t.ike_keys gets the one key exchange */
typedef key_exchange_t qcd_ike_keys_t;
#endif

#ifdef QCD_PLUGIN_DEFINE
/** 6.0.3 and later: the loader wants qcd_plugin_version == its VERSION */
#define QCD_PLUGIN_CREATE PLUGIN_DEFINE(qcd)
#else
/** Older loaders ignore the version field; define it all the same, so that
 * a 6.0.3+ loader refuses this build naming both versions, instead of
 * saying that the field is missing */
#define QCD_PLUGIN_CREATE \
	const char *qcd_plugin_version = VERSION; \
	plugin_t *qcd_plugin_create()
#endif

/**
 * Check that the running strongSwan is of the series the plugin was built
 * for, as far as loaders before 6.0.3 need it (later ones refuse any other
 * version themselves).  Method tables differ between them (6.0 inserted
 * methods into message_t and notify_payload_t, 6.1 into peer_cfg_t), so a
 * plugin of one series in a daemon of another would call the wrong
 * functions, silently.  Logs one error naming both if not.
 *
 * @return			TRUE if the series match
 */
bool qcd_compat_check();

#endif /** QCD_COMPAT_H_ @}*/
