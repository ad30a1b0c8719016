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
 * defines QCD_IKE_KEYS_ARRAY for 6.x.
 */

#ifndef QCD_COMPAT_H_
#define QCD_COMPAT_H_

#include <library.h>

#ifdef QCD_IKE_KEYS_ARRAY
#include <collections/array.h>
/** 6.x: listener_t.ike_keys gets an array of key_exchange_t, and is raised
 * once per key exchange (RFC 9370) */
typedef array_t qcd_ike_keys_t;
#define QCD_SERIES "6.x"
#else
#include <crypto/key_exchange.h>
/** 5.9.x: listener_t.ike_keys gets the one key exchange */
typedef key_exchange_t qcd_ike_keys_t;
#define QCD_SERIES "5.9.x"
#endif

/**
 * Check that the running strongSwan is of the series the plugin was built
 * for.  Method tables differ between them (6.0 inserted methods into
 * message_t and notify_payload_t), so a plugin of one series in a daemon of
 * the other would call the wrong functions, silently.  Logs one error
 * naming both if not.
 *
 * @return			TRUE if the series match
 */
bool qcd_compat_check();

#endif /** QCD_COMPAT_H_ @}*/
