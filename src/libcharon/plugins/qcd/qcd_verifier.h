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
 * @defgroup qcd_verifier qcd_verifier
 * @{ @ingroup qcd
 */

#ifndef QCD_VERIFIER_H_
#define QCD_VERIFIER_H_

#include "qcd_counters.h"
#include "qcd_store.h"

#include <encoding/message.h>

typedef struct qcd_verifier_t qcd_verifier_t;

/**
 * Token taker: verifies unprotected N(INVALID_IKE_SPI), N(QCD_TOKEN)+
 * replies and deletes the IKE_SA the peer lost (R3-6, R3-8, R4.5-7).
 *
 * This is the one code path for such replies; they arrive through the
 * message hook, or on ME builds through the connect_manager decorator.
 */
struct qcd_verifier_t {

	/**
	 * Process a message that may be an unprotected QCD reply.
	 *
	 * Replies are accepted from any address and port (R3-10).  A verified
	 * token in the reply to our outstanding request queues a job that
	 * deletes the IKE_SA and its CHILD_SAs silently and re-establishes
	 * them like a DPD timeout would.  Nothing is ever sent in response
	 * (R4.5-8).  A verified token that answers no request (a push from a
	 * restarted maker, or a replay) never deletes anything: with nudge
	 * enabled it starts a DPD on the IKE_SA, at most once per
	 * QCD_NUDGE_INTERVAL, and the maker's reply to that decides.
	 *
	 * @param message	message with parsed header
	 * @return			TRUE if this was a QCD reply, FALSE to let charon
	 *					process it as before
	 */
	bool (*process)(qcd_verifier_t *this, message_t *message);

	/**
	 * Destroy the verifier.
	 */
	void (*destroy)(qcd_verifier_t *this);
};

/**
 * Create a verifier, reading the verify_* and nudge settings.
 *
 * @param store		tokens per IKE_SA
 * @param counters	event counters
 * @return			verifier
 */
qcd_verifier_t *qcd_verifier_create(qcd_store_t *store,
									qcd_counters_t *counters);

#endif /** QCD_VERIFIER_H_ @}*/
