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
 * @defgroup qcd_store qcd_store
 * @{ @ingroup qcd
 */

#ifndef QCD_STORE_H_
#define QCD_STORE_H_

#include "qcd_reply.h"

#include <sa/ike_sa_id.h>

typedef struct qcd_store_t qcd_store_t;
typedef enum qcd_match_t qcd_match_t;

/**
 * Result of matching an unprotected reply against the store.
 */
enum qcd_match_t {
	/** no IKE_SA with these SPIs */
	QCD_MATCH_NO_SA,
	/** the peer gave us no token for the SA */
	QCD_MATCH_NO_TOKEN,
	/** no token matches */
	QCD_MATCH_MISMATCH,
	/** a token matches, but the reply answers no outstanding request, and
	 * the SA was nudged less than QCD_NUDGE_INTERVAL ago */
	QCD_MATCH_NUDGED,
	/** a token matches, but the reply answers no outstanding request: a
	 * push, or a replay; check whether the SA is alive */
	QCD_MATCH_NUDGE,
	/** a token matches the reply to our outstanding request: the peer
	 * lost the SA */
	QCD_MATCH_OK,
};

/**
 * What a token the peer sent may be used for, see set_token().
 */
typedef enum {
	/** received before the peer was authenticated: for this SA, once
	 * confirm()ed */
	QCD_TOKEN_AFTER_AUTH = FALSE,
	/** for this SA, now */
	QCD_TOKEN_USABLE = TRUE,
	/** received in an IKE rekey response: for the new SA, once rekey()
	 * tells it, never for this one */
	QCD_TOKEN_FOR_REKEY,
} qcd_token_use_t;

/** Seconds between two QCD_MATCH_NUDGE for one SA */
#define QCD_NUDGE_INTERVAL 5

/** Largest request kept to send once more out of band, see resend() */
#define QCD_RESEND_MAX 512

/**
 * What the store knows of an SA's tokens, see get_info().
 */
typedef struct {
	/** the peer's token is stored and usable */
	bool token;
	/** a token of the peer's is kept aside, not usable yet */
	bool pending;
	/** the peer's last usable token was not stored, max_tokens reached */
	bool full;
	/** we gave the peer our token for the SA's SPIs */
	bool given;
	/** we owe the peer a token for the SA, see owe() and rekey() */
	bool owed;
} qcd_store_info_t;

/**
 * Names for qcd_match_t
 */
extern enum_name_t *qcd_match_names;

/**
 * The "extension data" QCD keeps with each IKEv2 SA (R3-3).
 *
 * Entries are keyed by the SA's SPIs, whatever the role, and by its unique
 * ID, which survives charon resetting the SA's SPIs, and hold:
 *  - the SPIs themselves: the token maker never answers for a live SA,
 *    even if a request flips the I flag so that charon misses it (R9.2-1);
 *  - a SHA-256 digest of the peer's token, taken from protected messages
 *    only (R3-3, R1.1-3), so that no token is kept in memory (R9.1-4);
 *  - a digest of a token not usable yet: one received before the peer was
 *    authenticated, so that unauthenticated peers cannot fill max_tokens,
 *    or one for the new SA in an IKE rekey response;
 *  - the message ID and exchange type of our outstanding request, to
 *    match replies against, a copy of it to send once more on a nudge,
 *    and when the SA was last nudged;
 *  - what token we still owe the peer after an IKE rekey (R4.3-2, R4.3-3)
 *    or an address change (R4.4-1), and whether we gave ours.
 *
 * An entry has a fixed size, 136 bytes plus about 80 in the two hash
 * tables, with or without a token, and is the only allocation per SA but
 * for the copy of an outstanding request (at most QCD_RESEND_MAX bytes,
 * freed once it is answered).  Tokens are limited
 * to a configured number; beyond it new tokens are not stored, which only
 * disables QCD for those SAs.  Digests are wiped when replaced or removed.
 * Thread-safe.
 */
struct qcd_store_t {

	/**
	 * Add an SA once both its SPIs are known.  An entry the same SA had
	 * under other SPIs is removed.
	 *
	 * @param id		SPIs and role of the SA
	 * @param uid		unique ID of the SA
	 */
	void (*add)(qcd_store_t *this, ike_sa_id_t *id, u_int uid);

	/**
	 * Remove an SA and wipe its token (R5.3-1).
	 *
	 * @param uid		unique ID of the SA to remove
	 */
	void (*remove)(qcd_store_t *this, u_int uid);

	/**
	 * Check whether an SA with these SPIs exists, in either role.
	 *
	 * @param spi_i		initiator SPI, network order
	 * @param spi_r		responder SPI, network order
	 * @return			TRUE if known
	 */
	bool (*contains)(qcd_store_t *this, uint64_t spi_i, uint64_t spi_r);

	/**
	 * Store the peer's token for an SA.  A usable token replaces an
	 * earlier one (R4.4-2); one that is not usable yet is kept aside until
	 * confirm() or rekey(), as use says, without counting against
	 * max_tokens.
	 *
	 * @param id		SA
	 * @param token		token, QCD_TOKEN_MIN to QCD_TOKEN_MAX bytes
	 * @param use		what the token is for
	 * @return			FALSE if the SA is unknown or the store is full
	 */
	bool (*set_token)(qcd_store_t *this, ike_sa_id_t *id, chunk_t token,
					  qcd_token_use_t use);

	/**
	 * Make a token kept aside until the peer is authenticated usable, when
	 * the SA is established.  A token kept aside for the new SA of an IKE
	 * rekey is dropped instead: an SA that is established again after it
	 * failed its rekey.
	 *
	 * @param id		SA
	 * @return			TRUE if a token became usable
	 */
	bool (*confirm)(qcd_store_t *this, ike_sa_id_t *id);

	/**
	 * Remember our last request on an SA, outstanding until answered().
	 *
	 * @param id		SA
	 * @param mid		message ID
	 * @param exchange	exchange type
	 */
	void (*set_request)(qcd_store_t *this, ike_sa_id_t *id, uint32_t mid,
						exchange_type_t exchange);

	/**
	 * Keep a copy of our outstanding request as sent, encrypted, so that
	 * resend() can send it once more.  Ignored if it is not the request of
	 * set_request() or larger than QCD_RESEND_MAX.
	 *
	 * @param id		SA
	 * @param mid		message ID of the request
	 * @param data		the request's packet data
	 */
	void (*set_packet)(qcd_store_t *this, ike_sa_id_t *id, uint32_t mid,
					   chunk_t data);

	/**
	 * Get a copy of our outstanding request to send once more, out of
	 * band: at most once per message ID.
	 *
	 * @param id		SA
	 * @param mid		message ID of the outstanding request
	 * @param data		copy of its packet data, to free
	 * @return			FALSE if not outstanding, not kept, or sent once more
	 *					already
	 */
	bool (*resend)(qcd_store_t *this, ike_sa_id_t *id, uint32_t mid,
				   chunk_t *data);

	/**
	 * Note the protected response to a request: it is no longer
	 * outstanding, a reply to it is a nudge at most.
	 *
	 * @param id		SA
	 * @param mid		message ID of the response
	 */
	void (*answered)(qcd_store_t *this, ike_sa_id_t *id, uint32_t mid);

	/**
	 * Get our outstanding request on an SA, if any.
	 *
	 * @param id		SA
	 * @param mid		message ID of the request
	 * @return			TRUE if a request is outstanding
	 */
	bool (*outstanding)(qcd_store_t *this, ike_sa_id_t *id, uint32_t *mid);

	/**
	 * Add the new SA of an IKE rekey, give it the token the peer sent for
	 * it in the rekey response, and remember what token we owe the peer.
	 * The old SA's own token is not moved (R4.3-1, R5.3-1).
	 *
	 * @param old		rekeyed SA
	 * @param new		new SA
	 * @param new_uid	unique ID of the new SA
	 * @param initiator	TRUE if we initiated the rekey
	 * @param owe		TRUE to send our token in our first request on the
	 *					new SA (R4.3-3); as responder only if the rekey
	 *					response did not carry it, see take_owed()
	 */
	void (*rekey)(qcd_store_t *this, ike_sa_id_t *old, ike_sa_id_t *new,
				  u_int new_uid, bool initiator, bool owe);

	/**
	 * Owe the peer a new token for an SA, in our next request on it.
	 *
	 * @param id		SA
	 */
	void (*owe)(qcd_store_t *this, ike_sa_id_t *id);

	/**
	 * Take the SPIs we owe the peer a token for on this SA, if any: after
	 * an IKE rekey we responded to, the new SA's SPIs; after one we
	 * initiated, or after owe(), the SA's own SPIs, for the next request.
	 *
	 * @param id		SA a message is sent on
	 * @param spi_i		initiator SPI the token is for
	 * @param spi_r		responder SPI the token is for
	 * @param response	TRUE if the message is a CREATE_CHILD_SA response
	 * @return			TRUE if a token is owed, it is then cleared
	 */
	bool (*take_owed)(qcd_store_t *this, ike_sa_id_t *id, bool response,
					  uint64_t *spi_i, uint64_t *spi_r);

	/**
	 * Note that we gave the peer our token for an SA, see get_info().
	 *
	 * @param id		SPIs the token is for
	 */
	void (*given)(qcd_store_t *this, ike_sa_id_t *id);

	/**
	 * Get what the store knows of an SA's tokens, for logs and the status
	 * view; never a token or its digest.
	 *
	 * @param uid		unique ID of the SA
	 * @param info		filled in
	 * @return			FALSE if the SA is unknown
	 */
	bool (*get_info)(qcd_store_t *this, u_int uid, qcd_store_info_t *info);

	/**
	 * Match an unprotected reply against the SA with its SPIs.  Tokens are
	 * compared in constant time; any one matching is enough (R4.5-5).
	 * Only a reply to our outstanding request proves the SA lost: stricter
	 * than R3-8, so that a replayed reply is harmless (R9.1-6).
	 *
	 * @param reply		parsed reply
	 * @param id		on QCD_MATCH_OK and QCD_MATCH_NUDGE, clone of the
	 *					SA's ID
	 * @return			result
	 */
	qcd_match_t (*match)(qcd_store_t *this, qcd_reply_t *reply,
						 ike_sa_id_t **id);

	/**
	 * Number of SAs and of stored tokens.
	 *
	 * @param tokens	number of tokens stored, if not NULL
	 * @return			number of SAs
	 */
	u_int (*get_count)(qcd_store_t *this, u_int *tokens);

	/**
	 * Destroy the store, wiping all tokens.
	 */
	void (*destroy)(qcd_store_t *this);
};

/**
 * Create a store.
 *
 * @param max_tokens	most tokens stored at once
 * @return				store
 */
qcd_store_t *qcd_store_create(u_int max_tokens);

#endif /** QCD_STORE_H_ @}*/
