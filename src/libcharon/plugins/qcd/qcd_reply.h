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
 * @defgroup qcd_reply qcd_reply
 * @{ @ingroup qcd
 */

#ifndef QCD_REPLY_H_
#define QCD_REPLY_H_

#include "qcd_token.h"

#include <encoding/payloads/ike_header.h>

/** Most tokens we parse from one reply; at least 4 are required (R4.5-5) */
#define QCD_REPLY_MAX_TOKENS 8

/** Length of a notify payload without data */
#define QCD_NOTIFY_HEADER_LEN 8

/** Longest reply we encode: header, INVALID_IKE_SPI, 4 tokens */
#define QCD_REPLY_MAX_LEN (IKE_HEADER_LENGTH + QCD_NOTIFY_HEADER_LEN + \
			QCD_SECRET_GENERATIONS * (QCD_NOTIFY_HEADER_LEN + QCD_TOKEN_LEN))

/** Longest packet we try to parse as a reply */
#define QCD_REPLY_MAX_PARSE (IKE_HEADER_LENGTH + QCD_NOTIFY_HEADER_LEN + \
			QCD_REPLY_MAX_TOKENS * (QCD_NOTIFY_HEADER_LEN + QCD_TOKEN_MAX))

typedef struct qcd_reply_t qcd_reply_t;

/**
 * The unprotected reply of RFC 6290 4.5, HDR, N(INVALID_IKE_SPI), N(QCD_TOKEN)+
 *
 * Encoded here, not with message_t: message_t generates unprotected
 * messages for INFORMATIONAL only, but the reply copies the request's
 * exchange type, so that takers can match it with their outstanding request.
 */
struct qcd_reply_t {

	/** initiator SPI, network order */
	uint64_t spi_i;

	/** responder SPI, network order */
	uint64_t spi_r;

	/** exchange type */
	exchange_type_t exchange;

	/** message ID */
	uint32_t mid;

	/** I flag: the sender is the original initiator */
	bool initiator;

	/** R flag: this is a response */
	bool response;

	/** N(INVALID_IKE_SPI) present (R4.5-3) */
	bool invalid_ike_spi;

	/** number of tokens */
	int count;

	/** tokens, N(QUICK_CRASH_DETECTION) data */
	chunk_t tokens[QCD_REPLY_MAX_TOKENS];
};

/**
 * Encode a reply.  Protocol ID 0 (erratum 3449) and SPI size 0 (R4.1-2) in
 * every notify, INVALID_IKE_SPI first (R4.5-1).
 *
 * @param reply		reply to encode, at most QCD_SECRET_GENERATIONS tokens
 *					of up to QCD_TOKEN_LEN bytes
 * @param buf		QCD_REPLY_MAX_LEN bytes to write to
 * @return			encoded length
 */
size_t qcd_reply_encode(qcd_reply_t *reply, u_char buf[QCD_REPLY_MAX_LEN]);

/**
 * Parse an IKEv2 message that consists of notifies only.
 *
 * It fails for anything else: a request, other payloads, no token, more
 * than QCD_REPLY_MAX_TOKENS tokens, a token of a length outside
 * QCD_TOKEN_MIN..QCD_TOKEN_MAX, a length field that does not match.
 * The protocol ID of the notifies is ignored (R4.1-1).
 *
 * @param packet	raw IKE message
 * @param reply		parsed reply, tokens point into packet
 * @return			TRUE if packet is a QCD reply
 */
bool qcd_reply_parse(chunk_t packet, qcd_reply_t *reply);

#endif /** QCD_REPLY_H_ @}*/
