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
 * @defgroup qcd_token qcd_token
 * @{ @ingroup qcd
 */

#ifndef QCD_TOKEN_H_
#define QCD_TOKEN_H_

#include "qcd_secret.h"

#include <sa/ike_sa_id.h>
#include <networking/host.h>

/** Length of the tokens we make (R5-2: 16 to 128) */
#define QCD_TOKEN_LEN 32

/** Shortest and longest token accepted from peers (R5-2) */
#define QCD_TOKEN_MIN 16
#define QCD_TOKEN_MAX 128

/** Size of a secret's fingerprint, with the terminating NUL */
#define QCD_FINGERPRINT_LEN 9

typedef struct qcd_token_t qcd_token_t;
typedef enum qcd_method_t qcd_method_t;

/**
 * How tokens are derived.
 */
enum qcd_method_t {
	/** RFC 6290 5.1: HMAC-SHA-256(secret, SPIi | SPIr) */
	QCD_METHOD_SPI,
	/** RFC 6290 5.2: HMAC-SHA-256(secret, SPIi | SPIr | IPaddr-T) */
	QCD_METHOD_ADDRESS,
};

/**
 * Names for qcd_method_t, as used in strongswan.conf
 */
extern enum_name_t *qcd_method_names;

/**
 * Token maker's token generator, one keyed PRF per secret generation.
 *
 * Tokens are HMAC-SHA-256 keyed with QCD_SECRET, over the 8-byte SPIs in
 * wire order (R5.1-4), for QCD_METHOD_ADDRESS followed by the taker's
 * address as 4 or 16 bytes (R5.2-1).  Same input, same token, also after a
 * restart (R1.1-1, R5-5); a keyed PRF keeps tokens unguessable and
 * unrelated to each other (R5-3, R5-4, R9.1-3).
 *
 * Thread-safe; the secret can be replaced at any time (reload).
 */
struct qcd_token_t {

	/**
	 * Replace the secret.
	 *
	 * @param secret	new secret, NULL to stop making tokens
	 * @return			FALSE if HMAC-SHA-256 is not available
	 */
	bool (*set_secret)(qcd_token_t *this, qcd_secret_t *secret);

	/**
	 * Number of generations we make tokens for, 0 if the maker is off.
	 *
	 * @return			0 to QCD_SECRET_GENERATIONS
	 */
	int (*get_count)(qcd_token_t *this);

	/**
	 * Get the fingerprint of the current secret, see qcd_secret_t.
	 *
	 * @param buf		receives the NUL-terminated fingerprint, "" if the
	 *					maker is off
	 * @return			FALSE if the maker is off
	 */
	bool (*get_fingerprint)(qcd_token_t *this, char buf[QCD_FINGERPRINT_LEN]);

	/**
	 * Get the token derivation method.
	 *
	 * @return			method
	 */
	qcd_method_t (*get_method)(qcd_token_t *this);

	/**
	 * Compute the token of one generation.
	 *
	 * @param gen		generation, 0 is the current one
	 * @param id		IKE SPIs the token is for
	 * @param taker		the taker's address, used by QCD_METHOD_ADDRESS
	 * @param token		QCD_TOKEN_LEN bytes to write the token to
	 * @return			TRUE if the token was written
	 */
	bool (*compute)(qcd_token_t *this, int gen, ike_sa_id_t *id, host_t *taker,
					u_char token[QCD_TOKEN_LEN]);

	/**
	 * Destroy the generator, wiping its keys.
	 */
	void (*destroy)(qcd_token_t *this);
};

/**
 * Create a token generator without a secret.
 *
 * @param method	token derivation method
 * @return			generator
 */
qcd_token_t *qcd_token_create(qcd_method_t method);

#endif /** QCD_TOKEN_H_ @}*/
