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
 * @defgroup qcd qcd
 * @ingroup cplugins
 *
 * @defgroup qcd_plugin qcd_plugin
 * @{ @ingroup qcd
 */

#ifndef QCD_PLUGIN_H_
#define QCD_PLUGIN_H_

#include <plugins/plugin.h>

typedef struct qcd_plugin_t qcd_plugin_t;

/**
 * RFC 6290 Quick Crash Detection for IKEv2.
 *
 * As token maker, the plugin gives each peer a token in IKE_AUTH, derived
 * from a persistent secret and the IKE SPIs, and after a restart answers
 * protected requests for the lost IKE_SAs with that token, unprotected.  As
 * token taker, it stores the peer's tokens and, on such a verified reply,
 * deletes the IKE_SA at once and re-establishes it as DPD would.
 */
struct qcd_plugin_t {

	/**
	 * Implements plugin interface.
	 */
	plugin_t plugin;
};

#endif /** QCD_PLUGIN_H_ @}*/
