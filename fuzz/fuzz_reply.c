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

/*
 * qcd_reply_parse() on arbitrary bytes, the first thing an unauthenticated
 * packet reaches on the token taker.  Each accepted reply is checked
 * against an independent walk of the notify payloads, then encoded and
 * parsed again.
 */

#include <library.h>
#include <daemon.h>

#include "qcd_reply.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dbg_default_set_level(-1);
	library_init(NULL, "fuzz_reply");
	/* libcharon's DBG macros need the bus */
	libcharon_init();
	return 0;
}

/**
 * Walk the payload chain by hand: TRUE if every payload is a notify, and
 * the QCD tokens are where the parser says, in order
 */
static bool walk(const uint8_t *buf, size_t len, qcd_reply_t *reply)
{
	size_t pos = IKE_HEADER_LENGTH, plen, spi;
	int next = buf[16], count = 0;
	bool invalid_ike_spi = FALSE;

	while (next != PL_NONE)
	{
		if (next != PLV2_NOTIFY || pos + QCD_NOTIFY_HEADER_LEN > len)
		{
			return FALSE;
		}
		plen = untoh16(buf + pos + 2);
		spi = buf[pos + 5];
		if (plen < QCD_NOTIFY_HEADER_LEN + spi || pos + plen > len)
		{
			return FALSE;
		}
		switch (untoh16(buf + pos + 6))
		{
			case QUICK_CRASH_DETECTION:
				if (count >= reply->count ||
					reply->tokens[count].ptr != buf + pos + 8 + spi ||
					reply->tokens[count].len != plen - 8 - spi)
				{
					return FALSE;
				}
				count++;
				break;
			case INVALID_IKE_SPI:
				invalid_ike_spi = TRUE;
				break;
			default:
				break;
		}
		next = buf[pos];
		pos += plen;
	}
	return pos == len && count == reply->count &&
		   invalid_ike_spi == reply->invalid_ike_spi;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	qcd_reply_t reply, again;
	u_char out[QCD_REPLY_MAX_LEN];
	size_t out_len;
	int i;

	if (!qcd_reply_parse(chunk_create((u_char*)buf, len), &reply))
	{
		return 0;
	}
	if (!walk(buf, len, &reply) || !reply.count ||
		reply.count > QCD_REPLY_MAX_TOKENS || !reply.response ||
		untoh32(buf + 24) != len)
	{
		abort();
	}
	for (i = 0; i < reply.count; i++)
	{
		if (reply.tokens[i].len < QCD_TOKEN_MIN ||
			reply.tokens[i].len > QCD_TOKEN_MAX)
		{
			abort();
		}
	}
	/* what we can encode: up to 4 tokens of our length or shorter */
	if (reply.count > QCD_SECRET_GENERATIONS)
	{
		return 0;
	}
	for (i = 0; i < reply.count; i++)
	{
		if (reply.tokens[i].len > QCD_TOKEN_LEN)
		{
			return 0;
		}
	}
	out_len = qcd_reply_encode(&reply, out);
	if (!qcd_reply_parse(chunk_create(out, out_len), &again) ||
		again.spi_i != reply.spi_i || again.spi_r != reply.spi_r ||
		again.exchange != reply.exchange || again.mid != reply.mid ||
		again.initiator != reply.initiator || !again.invalid_ike_spi ||
		again.count != reply.count)
	{
		abort();
	}
	for (i = 0; i < reply.count; i++)
	{
		if (!chunk_equals(again.tokens[i], reply.tokens[i]))
		{
			abort();
		}
	}
	return 0;
}
