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
 * @defgroup qcd_responder qcd_responder
 * @{ @ingroup qcd
 */

#ifndef QCD_RESPONDER_H_
#define QCD_RESPONDER_H_

#include "qcd_counters.h"
#include "qcd_journal.h"
#include "qcd_store.h"
#include "qcd_token.h"

#include <encoding/message.h>

/** Message ID of pushed replies: no request has it, as IKEv2 message IDs
 * never wrap (RFC 7296 2.2); not 0xffffffff, which charon's IKE_SA manager
 * takes for its "not processing" mark and drops */
#define QCD_PUSH_MID 0xfffffffe

/** Seconds after a push during which the peer's request is answered
 * outside the reply limits */
#define QCD_PUSH_EXPECT 30

typedef struct qcd_responder_t qcd_responder_t;

/**
 * Token maker: answers protected requests for unknown IKE_SAs with the
 * unprotected N(INVALID_IKE_SPI), N(QCD_TOKEN)+ (R3-5, R4.5-1).
 */
struct qcd_responder_t {

	/**
	 * Handle a message charon found no IKE_SA for (ALERT_INVALID_IKE_SPI).
	 *
	 * Only IKEv2 requests that are protected (SK or SKF first) and not
	 * IKE_SA_INIT get a reply, never one for an IKE_SA we have (R9.2-1),
	 * only from peers we have a config for, and only within the configured
	 * limits (R8.1-4, R9.3-2).
	 *
	 * @param message	message with parsed header
	 */
	void (*handle)(qcd_responder_t *this, message_t *message);

	/**
	 * Push the reply for an IKE_SA lost in a crash to its peer, unasked:
	 * an INFORMATIONAL response with QCD_PUSH_MID.  Takers that verify the
	 * token check at once whether the IKE_SA is alive (nudge).  Not sent
	 * for an IKE_SA we have (R9.2-1), nor to peers we have no config for
	 * yet.  The peer's next request for the IKE_SA gets its reply within
	 * push_expect seconds, outside the reply limits, once.
	 *
	 * @param entry		journaled IKE_SA
	 * @return			FALSE if we have no config for the peer yet, TRUE
	 *					if the entry is done with
	 */
	bool (*push)(qcd_responder_t *this, qcd_journal_entry_t *entry);

	/**
	 * Destroy the responder.
	 */
	void (*destroy)(qcd_responder_t *this);
};

/**
 * Milliseconds after the start to wait for an HA partner's resync of the
 * IKE_SAs it holds, 0 without the ha plugin: the resync is asked for after
 * heartbeat_delay, and a partner is declared dead after heartbeat_timeout.
 * Answers wait 2 * heartbeat_delay (2 s), the push heartbeat_delay +
 * heartbeat_timeout (3.1 s).  Only once all plugins are loaded.
 *
 * @param push		TRUE for the push, FALSE for answers
 * @return			milliseconds
 */
u_int qcd_responder_cluster_wait(bool push);

/**
 * Create a responder, reading the reply_* settings.
 *
 * @param token		token generator
 * @param store		IKE_SAs we have
 * @param counters	event counters
 * @return			responder
 */
qcd_responder_t *qcd_responder_create(qcd_token_t *token, qcd_store_t *store,
									  qcd_counters_t *counters);

#endif /** QCD_RESPONDER_H_ @}*/
