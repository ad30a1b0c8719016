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
 * @defgroup qcd_listener qcd_listener
 * @{ @ingroup qcd
 */

#ifndef QCD_LISTENER_H_
#define QCD_LISTENER_H_

#include "qcd_counters.h"
#include "qcd_journal.h"
#include "qcd_responder.h"
#include "qcd_store.h"
#include "qcd_token.h"
#include "qcd_verifier.h"

#include <bus/listeners/listener.h>

typedef struct qcd_listener_t qcd_listener_t;

/**
 * Bus hooks of the qcd plugin.
 *
 * Maker: adds our token to IKE_AUTH and IKE rekeys, and hands requests for
 * unknown IKE_SAs to the responder.  Taker: stores the peer's tokens and
 * hands unprotected replies to the verifier.  Both: keeps the store in step
 * with the IKE_SAs, and logs for each IKE_SA that IKE_AUTH establishes
 * whether we gave our token and hold the peer's.
 */
struct qcd_listener_t {

	/**
	 * Implements listener_t.
	 */
	listener_t listener;

	/**
	 * Destroy the listener.
	 */
	void (*destroy)(qcd_listener_t *this);
};

/**
 * Create the listener.
 *
 * @param store		per-IKE_SA data
 * @param token		token generator, NULL if the maker role is off
 * @param responder	unprotected replies, NULL if the maker role is off
 * @param verifier	reply verification, NULL if the taker role is off
 * @param journal	IKE_SAs for push recovery, NULL if off; needs token
 * @param counters	event counters
 * @return			listener
 */
qcd_listener_t *qcd_listener_create(qcd_store_t *store, qcd_token_t *token,
									qcd_responder_t *responder,
									qcd_verifier_t *verifier,
									qcd_journal_t *journal,
									qcd_counters_t *counters);

#endif /** QCD_LISTENER_H_ @}*/
