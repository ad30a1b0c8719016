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

#include "qcd_reply.h"

#include <encoding/parser.h>
#include <encoding/payloads/notify_payload.h>

/** IKE header flags */
#define FLAG_RESPONSE	0x20
#define FLAG_INITIATOR	0x08

/**
 * Write a notify without SPI, return its length
 */
static size_t encode_notify(u_char *pos, payload_type_t next,
							notify_type_t type, chunk_t data)
{
	pos[0] = next;
	pos[1] = 0;							/* not critical */
	htoun16(pos + 2, QCD_NOTIFY_HEADER_LEN + data.len);
	pos[4] = 0;							/* protocol ID 0, erratum 3449 */
	pos[5] = 0;							/* SPI size 0, R4.1-2 */
	htoun16(pos + 6, type);
	memcpy(pos + QCD_NOTIFY_HEADER_LEN, data.ptr, data.len);
	return QCD_NOTIFY_HEADER_LEN + data.len;
}

/*
 * Described in header
 */
size_t qcd_reply_encode(qcd_reply_t *reply, u_char buf[QCD_REPLY_MAX_LEN])
{
	size_t len = IKE_HEADER_LENGTH;
	int i;

	memcpy(buf, &reply->spi_i, sizeof(reply->spi_i));
	memcpy(buf + 8, &reply->spi_r, sizeof(reply->spi_r));
	buf[16] = PLV2_NOTIFY;
	buf[17] = (IKEV2_MAJOR_VERSION << 4) | IKEV2_MINOR_VERSION;
	buf[18] = reply->exchange;
	buf[19] = (reply->response ? FLAG_RESPONSE : 0) |
			  (reply->initiator ? FLAG_INITIATOR : 0);
	htoun32(buf + 20, reply->mid);

	len += encode_notify(buf + len, reply->count ? PLV2_NOTIFY : PL_NONE,
						 INVALID_IKE_SPI, chunk_empty);
	for (i = 0; i < reply->count && i < QCD_SECRET_GENERATIONS; i++)
	{
		len += encode_notify(buf + len,
							 i + 1 < reply->count ? PLV2_NOTIFY : PL_NONE,
							 QUICK_CRASH_DETECTION, reply->tokens[i]);
	}
	htoun32(buf + 24, len);
	return len;
}

/**
 * Handle one parsed notify, returns FALSE if the reply is invalid
 */
static bool add_notify(qcd_reply_t *reply, chunk_t packet,
					   notify_payload_t *notify)
{
	chunk_t data;

	switch (notify->get_notify_type(notify))
	{
		case INVALID_IKE_SPI:
			reply->invalid_ike_spi = TRUE;
			return TRUE;
		case QUICK_CRASH_DETECTION:
			data = notify->get_notification_data(notify);
			if (data.len < QCD_TOKEN_MIN || data.len > QCD_TOKEN_MAX ||
				reply->count >= QCD_REPLY_MAX_TOKENS)
			{
				return FALSE;
			}
			/* the parser copies data, point into the packet instead, it
			 * ends with the data of the last notify parsed */
			reply->tokens[reply->count++] = chunk_create(
						packet.ptr + packet.len - data.len, data.len);
			return TRUE;
		default:
			return TRUE;
	}
}

/*
 * Described in header
 */
bool qcd_reply_parse(chunk_t packet, qcd_reply_t *reply)
{
	parser_t *parser;
	payload_t *payload;
	ike_header_t *header;
	payload_type_t type;
	bool ok;

	*reply = (qcd_reply_t){};
	if (packet.len < IKE_HEADER_LENGTH || packet.len > QCD_REPLY_MAX_PARSE ||
		untoh32(packet.ptr + 24) != packet.len)
	{
		return FALSE;
	}
	parser = parser_create(packet);
	if (parser->parse_payload(parser, PL_HEADER, &payload) != SUCCESS)
	{
		parser->destroy(parser);
		return FALSE;
	}
	header = (ike_header_t*)payload;
	reply->spi_i = header->get_initiator_spi(header);
	reply->spi_r = header->get_responder_spi(header);
	reply->exchange = header->get_exchange_type(header);
	reply->mid = header->get_message_id(header);
	reply->initiator = header->get_initiator_flag(header);
	reply->response = header->get_response_flag(header);
	ok = header->get_maj_version(header) == IKEV2_MAJOR_VERSION &&
		 reply->response;
	type = payload->get_next_type(payload);
	payload->destroy(payload);

	while (ok && type != PL_NONE)
	{
		ok = type == PLV2_NOTIFY &&
			 parser->parse_payload(parser, PLV2_NOTIFY, &payload) == SUCCESS;
		if (ok)
		{
			/* tokens point to the end of what we parsed so far */
			ok = add_notify(reply, chunk_create(packet.ptr, packet.len -
								parser->get_remaining_byte_count(parser)),
							(notify_payload_t*)payload);
			type = payload->get_next_type(payload);
			payload->destroy(payload);
		}
	}
	ok = ok && reply->count && parser->get_remaining_byte_count(parser) == 0;
	parser->destroy(parser);
	return ok;
}
