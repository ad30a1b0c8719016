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
 * @defgroup qcd_counters qcd_counters
 * @{ @ingroup qcd
 */

#ifndef QCD_COUNTERS_H_
#define QCD_COUNTERS_H_

#include <library.h>

typedef struct qcd_counters_t qcd_counters_t;
typedef enum qcd_counter_t qcd_counter_t;

/**
 * Events the plugin counts since charon started, for the status view.
 */
enum qcd_counter_t {
	/** maker: our token added to a protected message to a peer */
	QCD_TOKENS_SENT,
	/** maker: unprotected replies with tokens to requests for unknown
	 * IKE_SAs */
	QCD_REPLIES_SENT,
	/** maker: INVALID_IKE_SPI alone past the reply limits
	 * (reply_over_limit = notify) */
	QCD_REPLIES_NOTIFY,
	/** maker: requests for unknown IKE_SAs dropped by the reply limits */
	QCD_REPLIES_DROPPED,
	/** maker: requests for unknown IKE_SAs ignored, as we have the IKE_SA
	 * with the I flag flipped */
	QCD_REQUESTS_LIVE,
	/** maker: requests for unknown IKE_SAs ignored, no config for the
	 * peer */
	QCD_REQUESTS_UNCONFIGURED,
	/** maker: journaled IKE_SAs pushed to their peers after a restart */
	QCD_PUSHES_SENT,
	/** taker: tokens of peers stored */
	QCD_TOKENS_STORED,
	/** taker: tokens of peers not stored, max_tokens reached or of an
	 * invalid length */
	QCD_TOKENS_NOT_STORED,
	/** taker: unprotected messages with a verified token */
	QCD_TOKENS_VERIFIED,
	/** taker: unprotected messages with tokens that did not verify, or
	 * for IKE_SAs we have no token for */
	QCD_TOKENS_REJECTED,
	/** taker: unprotected messages with tokens dropped by the verify
	 * limits */
	QCD_VERIFY_DROPPED,
	/** taker: IKE_SAs checked after a verified token answering none of
	 * our requests (a push, or a replay) */
	QCD_NUDGES,
	/** taker: IKE_SAs deleted as lost by the peer */
	QCD_DELETES,
	/** number of counters */
	QCD_COUNTER_MAX,
};

/**
 * Names of qcd_counter_t, as in the status output.
 */
extern enum_name_t *qcd_counter_names;

/**
 * Event counters of the plugin, 64 bits each.
 *
 * Incrementing is a single atomic operation where the platform has
 * lock-free 64-bit atomics, else it takes a mutex.  Thread-safe.
 */
struct qcd_counters_t {

	/**
	 * Count an event.
	 *
	 * @param counter	counter to increment
	 */
	void (*inc)(qcd_counters_t *this, qcd_counter_t counter);

	/**
	 * Get a counter's value.
	 *
	 * @param counter	counter to read
	 * @return			events counted since creation
	 */
	uint64_t (*get)(qcd_counters_t *this, qcd_counter_t counter);

	/**
	 * Destroy the counters.
	 */
	void (*destroy)(qcd_counters_t *this);
};

/**
 * Create counters, all zero.
 *
 * @return			counters
 */
qcd_counters_t *qcd_counters_create();

#endif /** QCD_COUNTERS_H_ @}*/
